package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ClickHouse's RowBinary format, the rows of a table one after another,
// each column in order: a String as its length (unsigned LEB128) then its
// bytes, a UInt64 in 8 bytes and a UInt8 in one, little-endian, an
// Array(String) as its length then its strings. It is what every version
// reads and writes the fastest, and it needs no escaping.

// rowWriter appends values in RowBinary to a buffer.
type rowWriter struct{ b []byte }

func (w *rowWriter) str(s string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *rowWriter) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

func (w *rowWriter) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }

func (w *rowWriter) u8(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *rowWriter) strs(ss []string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(ss)))
	for _, s := range ss {
		w.str(s)
	}
}

// rowReader reads values in RowBinary from a server's answer, bounded:
// no string is longer than max.
type rowReader struct {
	r   *bufio.Reader
	max int
	err error
}

// errAnswer is an answer that is not RowBinary of the columns asked: a
// server's error in the middle of its answer, or a broken one.
var errAnswer = errors.New("the answer is not what was asked")

// more says whether another row begins; at the end of the answer, false.
func (r *rowReader) more() bool {
	if r.err != nil {
		return false
	}
	if _, err := r.r.Peek(1); err != nil {
		if err != io.EOF {
			r.err = err
		}
		return false
	}
	return true
}

func (r *rowReader) str() string {
	if r.err != nil {
		return ""
	}
	n, err := binary.ReadUvarint(r.r)
	if err != nil {
		r.fail(err)
		return ""
	}
	if n > uint64(r.max) {
		r.err = fmt.Errorf("%w: a value of %d bytes", errAnswer, n)
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(err)
		return ""
	}
	return string(b)
}

func (r *rowReader) u64() uint64 {
	if r.err != nil {
		return 0
	}
	var b [8]byte
	if _, err := io.ReadFull(r.r, b[:]); err != nil {
		r.fail(err)
		return 0
	}
	return binary.LittleEndian.Uint64(b[:])
}

func (r *rowReader) u32() uint32 {
	if r.err != nil {
		return 0
	}
	var b [4]byte
	if _, err := io.ReadFull(r.r, b[:]); err != nil {
		r.fail(err)
		return 0
	}
	return binary.LittleEndian.Uint32(b[:])
}

func (r *rowReader) u8() uint8 {
	if r.err != nil {
		return 0
	}
	c, err := r.r.ReadByte()
	if err != nil {
		r.fail(err)
	}
	return c
}

// fail notes a read that ended inside a row.
func (r *rowReader) fail(err error) {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("%w: it ends inside a row", errAnswer)
	}
	r.err = err
}
