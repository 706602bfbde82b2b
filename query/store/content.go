package store

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"io"
	"slices"
)

// content reads the text of one input in blocks, hashing it as it goes,
// and tells which blocks an earlier import read (memory.go).
//
// A log is read in blocks of whole lines: a last line without its end is
// held back (a log being written ends inside its last line), and left for
// the next import. Its blocks end at its checkpoints (the first line end
// after every checkpointEvery bytes) and at the ends of earlier imports
// whose text it may be, so that the digest at each is known.
//
// While an earlier import may have read what comes, the blocks are held
// (at most a checkpoint's interval of them), then handed out as read
// before (its digest there was the same) or not (it was not: that import
// was of another text).
type content struct {
	r       io.Reader
	buf     []byte // buf[lo:hi] is read and not handed out
	lo, hi  int
	eof     bool
	readErr error

	lines bool      // a log: whole lines, checkpoints
	off   int64     // of the text handed out (or held)
	h     hash.Hash // of the text up to off
	head  []byte    // the first headBytes bytes (or fewer: the whole text)

	points []point // of this text, for the next import
	grid   int64   // the next checkpoint is the first line end at or after this

	marks []*mark // earlier imports this text may extend
	held  []block // blocks read while one of them may have read them
	queue []block // blocks ready to hand out
	done  int64   // the text up to here was imported before
	since *mark   // by this import
	tail  int     // bytes of a last line without its end, held back
	long  bool    // the start of a line too long was dropped: the next block ends it
}

// block is a piece of the text, and whether an earlier import read it.
type block struct {
	data   []byte
	before bool
	long   bool // data is the end of one line longer than the limit, the rest dropped unread
}

const blockBytes = 256 << 10

// newContent reads the text of r, its first bytes at once (head); set
// lines before the first block is read.
func newContent(r io.Reader) (*content, error) {
	c := &content{r: r, buf: make([]byte, 2*blockBytes), h: sha256.New(), grid: checkpointEvery}
	for c.hi < headBytes && !c.eof {
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
	c.head = slices.Clone(c.buf[:min(c.hi, headBytes)])
	return c, nil
}

// resume sets the earlier imports whose text this may be.
func (c *content) resume(marks []*mark) { c.marks = marks }

// fill reads more of the text into buf.
func (c *content) fill() error {
	if c.eof {
		return c.readErr
	}
	if c.lo > 0 && c.lo == c.hi {
		c.lo, c.hi = 0, 0
	}
	if c.hi == len(c.buf) {
		if c.lo > 0 {
			c.hi = copy(c.buf, c.buf[c.lo:c.hi])
			c.lo = 0
		} else {
			c.buf = slices.Grow(c.buf, len(c.buf))[:2*len(c.buf)] // one line longer than the buffer
		}
	}
	n, err := c.r.Read(c.buf[c.hi:])
	c.hi += n
	if err == io.EOF {
		c.eof = true
		return nil
	}
	if err != nil {
		c.eof, c.readErr = true, err
	}
	return err
}

// next hands out the next block of the text, or io.EOF at its end.
func (c *content) next(maxLine int) (block, error) {
	for len(c.queue) == 0 {
		b, err := c.cut(maxLine)
		if err == io.EOF {
			// the end: what is held was not read before
			c.queue, c.held, c.marks = append(c.queue, c.held...), nil, nil
			if len(c.queue) == 0 {
				return block{}, io.EOF
			}
			break
		}
		if err != nil {
			return block{}, err
		}
		c.decide(b)
	}
	b := c.queue[0]
	c.queue = c.queue[1:]
	return b, nil
}

// decide holds b, or queues it, and says what the held blocks were when
// the digest of an earlier import at their end is known: read before (the
// same digest), or not (another: that import was of another text).
func (c *content) decide(b block) {
	if len(c.marks) == 0 {
		c.queue = append(c.queue, b)
		return
	}
	c.held = append(c.held, b)
	sum := c.sum()
	matched := false
	live := c.marks[:0]
	for _, m := range c.marks {
		if m.next < len(m.points) && m.points[m.next].off < c.off {
			continue // it has a point where this text has no line end: another text
		}
		if p := m.points[m.next]; p.off == c.off {
			if p.sum != sum {
				continue // another text
			}
			matched, c.since = true, m
			if m.next++; m.next == len(m.points) {
				continue // this text was read to where it stopped
			}
		}
		live = append(live, m)
	}
	c.marks = live
	if matched {
		for i := range c.held {
			c.held[i].before = true
		}
		c.done = c.off
	}
	if matched || len(c.marks) == 0 {
		c.queue, c.held = append(c.queue, c.held...), nil
	}
}

// sum is the digest of the text handed out so far.
func (c *content) sum() (s [sha256.Size]byte) {
	c.h.Sum(s[:0])
	return s
}

// cut takes the next block off buf: whole lines for a log, ending at its
// next checkpoint or at the end of an earlier import; everything, at the
// end of the text.
func (c *content) cut(maxLine int) (block, error) {
	for {
		avail := c.buf[c.lo:c.hi]
		if c.long { // the rest of a line too long, up to its end
			if i := bytes.IndexByte(avail, '\n'); i >= 0 {
				c.long = false
				b := c.hand(i + 1)
				b.long = true
				return b, nil
			}
			c.drop(len(avail))
			if c.eof {
				c.long = false
				return block{}, io.EOF
			}
			if err := c.fill(); err != nil {
				return block{}, err
			}
			continue
		}
		stop, n := c.stop(), -1
		if stop >= 0 && stop-c.off <= int64(len(avail)) { // an earlier import's end is in buf
			if n = int(stop - c.off); c.lines && avail[n-1] != '\n' {
				c.dropMarksAt(stop) // no line end there: another text
				continue
			}
		}
		end := c.rawCut(avail)
		if c.lines {
			end = c.lineCut(avail)
		}
		if n > 0 && (end == 0 || n < end) {
			end = n
		}
		if end > 0 {
			return c.hand(end), nil
		}
		switch {
		case c.eof && c.readErr != nil:
			return block{}, c.readErr
		case c.eof:
			c.tail = len(avail) // a last line without its end: left for the next import
			return block{}, io.EOF
		case c.lines && len(avail) > maxLine && bytes.IndexByte(avail, '\n') < 0:
			c.drop(len(avail)) // the start of a line too long: read on to its end
			c.long = true
			continue
		}
		if err := c.fill(); err != nil {
			return block{}, err
		}
	}
}

// rawCut is where a block of any bytes ends in avail: blockBytes, or the
// rest at the end of the text; 0 to read more first.
func (c *content) rawCut(avail []byte) int {
	if len(avail) >= blockBytes {
		return blockBytes
	}
	if c.eof {
		return len(avail)
	}
	return 0
}

// lineCut is where a block of whole lines ends in avail: at the
// checkpoint's line end (the first line end at or after the checkpoint's
// offset) if it is within blockBytes, or else at the last line end
// before both; 0 to read more first.
func (c *content) lineCut(avail []byte) int {
	g := int(min(max(c.grid-c.off-1, 0), int64(len(avail))))
	e1 := -1
	if i := bytes.IndexByte(avail[g:], '\n'); i >= 0 {
		e1 = g + i + 1
	}
	if e1 > 0 && e1 <= blockBytes {
		return e1
	}
	if e1 < 0 && !c.eof && len(avail) < blockBytes {
		return 0 // read more first
	}
	if j := bytes.LastIndexByte(avail[:min(len(avail), g, blockBytes)], '\n'); j >= 0 {
		return j + 1
	}
	return max(e1, 0) // one line longer than a block
}

// stop is the nearest end of an earlier import still possible, past
// what was handed out, or -1.
func (c *content) stop() int64 {
	stop := int64(-1)
	for _, m := range c.marks {
		if e := m.end(); e > c.off && (stop < 0 || e < stop) {
			stop = e
		}
	}
	return stop
}

// dropMarksAt forgets the earlier imports that ended at off.
func (c *content) dropMarksAt(off int64) {
	c.marks = slices.DeleteFunc(c.marks, func(m *mark) bool { return m.end() == off })
	if len(c.marks) == 0 {
		c.queue, c.held = append(c.queue, c.held...), nil
	}
}

// drop takes n bytes off buf, hashing them, and keeps nothing.
func (c *content) drop(n int) {
	c.h.Write(c.buf[c.lo : c.lo+n])
	c.lo += n
	c.off += int64(n)
}

// hand takes n bytes off buf as a block, hashing them, and notes a
// checkpoint when it ends at one.
func (c *content) hand(n int) block {
	b := slices.Clone(c.buf[c.lo : c.lo+n])
	c.lo += n
	c.h.Write(b)
	c.off += int64(n)
	if c.lines && c.off >= c.grid && b[len(b)-1] == '\n' {
		c.points = append(c.points, point{c.off, c.sum()})
		for c.grid <= c.off {
			c.grid += checkpointEvery
		}
	}
	return block{data: b}
}

// end is the point where this text was read to: what the next import of
// it starts after. It adds the last point to points.
func (c *content) end() []point {
	if len(c.points) == 0 || c.points[len(c.points)-1].off != c.off {
		c.points = append(c.points, point{c.off, c.sum()})
	}
	return c.points
}
