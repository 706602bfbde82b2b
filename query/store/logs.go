package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// tallyBytes bounds the memory of the observations merged before they are
// written: past it, what is merged is written (the store merges it again
// with what comes later), whatever the size of the log.
const tallyBytes = 32 << 20

// readLog reads a DNS log: its text is read (and hashed) in one goroutine,
// its lines turned into observations and merged in another, and the
// records written in this one.
func (im *Import) readLog(ctx context.Context, name string, c *content, format pdns.InputFormat, st *InputStats, progress func()) error {
	stop := make(chan struct{})
	defer close(stop)
	blocks := make(chan blockOrErr, 4)
	go func() { // it alone uses c until blocks is closed
		defer close(blocks)
		for {
			b, err := c.next(im.maxRecordBytes())
			if err == io.EOF {
				return
			}
			select {
			case blocks <- blockOrErr{b, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	chunks := make(chan *importChunk, 4)
	var read logRead
	go func() {
		defer close(chunks)
		read = im.parseLog(name, format, blocks, chunks, stop)
	}()
	err := im.drain(ctx, chunks, st, progress)
	if err == nil { // the log was read to its end, and the reader is done with c
		st.Log = read.parser.Stats()
		st.Log.Bad += read.long
		st.Log.Lines += read.long
		im.stats.BadLines += st.Log.Bad
	}
	return err
}

// logRead is what parseLog read: its parser, with its counts, and the
// lines too long to be read.
type logRead struct {
	parser pdns.LogParser
	long   int
}

// errStopped is a chunk that could not be sent: the import stopped.
var errStopped = errors.New("stopped")

type blockOrErr struct {
	block
	err error
}

// parseLog turns the blocks of a log into chunks of records, and returns
// its parser (whose counts are final once chunks is closed).
func (im *Import) parseLog(name string, format pdns.InputFormat, blocks <-chan blockOrErr, chunks chan<- *importChunk, stop <-chan struct{}) (read logRead) {
	k := im.newChunker(chunks, stop)
	send := k.send
	where := func(line int) string { return fmt.Sprintf("line %d", line) }
	problem := func(line int, err error) {
		k.c.problems = append(k.c.problems, &pdns.RecordError{Indicator: name, Where: where(line), Err: err})
	}
	parser, err := pdns.NewLogParser(format, im.maxRecordBytes(), problem)
	if err != nil {
		k.c.err = err
		send()
		return read
	}
	read.parser = parser
	t := &pdns.Tally{SensorID: im.SensorID}
	flush := func() bool {
		err := t.Drain(func(rec pdns.Record) error {
			k.c.read++
			if err := k.c.add(&rec); err != nil {
				return err
			}
			if len(k.c.rows) == importRows && !send() {
				return errStopped
			}
			return nil
		}, func(err error) {
			k.c.refused++
			k.c.problems = append(k.c.problems, &pdns.RecordError{Indicator: name, Where: "a record made of its lines", Err: err})
		})
		if err == errStopped {
			return false
		}
		if err != nil {
			k.c.err = err
			send()
			return false
		}
		return true
	}
	line := 1
	for b := range blocks {
		if b.err != nil {
			k.c.err = b.err
			send()
			return read
		}
		switch {
		case b.long:
			problem(line, &pdns.LineTooLongError{Max: im.maxRecordBytes(), What: "line"})
			read.long++
		case b.before:
			parser.Skip(b.data)
		default:
			if err := parser.Parse(b.data, line, t); err != nil {
				k.c.err = err
				send()
				return read
			}
		}
		line += bytes.Count(b.data, []byte("\n"))
		if !send() { // its problems, and the progress: a chunk a block
			return read
		}
		if t.Bytes() > tallyBytes && !flush() {
			return read
		}
	}
	if flush() {
		send()
	}
	return read
}
