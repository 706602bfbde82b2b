package output

import (
	"bytes"
	"io"
	"os"
)

// spillMemory is how much a spill holds in memory before it moves to a
// temporary file (a variable for the tests).
var spillMemory = 1 << 20

// spill is a buffer that holds what a writer must keep until the end of an
// answer (one JSON object per answer), in memory while it is small and in
// an unnamed temporary file once it is not, so that an answer of any size
// takes bounded memory.
type spill struct {
	mem  bytes.Buffer
	file *os.File
	n    int64
}

func (s *spill) Write(p []byte) (int, error) {
	s.n += int64(len(p))
	if s.file == nil && s.mem.Len()+len(p) > spillMemory {
		f, err := os.CreateTemp("", "circl-pdns-*.spill")
		if err != nil {
			return 0, err
		}
		os.Remove(f.Name()) // nothing is left behind, whatever happens
		s.file = f
		if _, err := s.mem.WriteTo(f); err != nil {
			return 0, err
		}
		s.mem = bytes.Buffer{}
	}
	if s.file != nil {
		return s.file.Write(p)
	}
	return s.mem.Write(p)
}

// Len is the number of bytes written.
func (s *spill) Len() int64 { return s.n }

// WriteTo writes everything written, then frees it.
func (s *spill) WriteTo(w io.Writer) (int64, error) {
	if s.file == nil {
		return s.mem.WriteTo(w)
	}
	defer s.Close()
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, s.file)
}

// Reader reads back everything written; the spill is not to be written
// to again.
func (s *spill) Reader() (io.Reader, error) {
	if s.file == nil {
		return bytes.NewReader(s.mem.Bytes()), nil
	}
	_, err := s.file.Seek(0, io.SeekStart)
	return s.file, err
}

// Close frees what the spill holds.
func (s *spill) Close() error {
	s.mem = bytes.Buffer{}
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	s.file = nil
	return err
}
