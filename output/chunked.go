package output

import "unsafe"

// chunked is a list that grows by chunks of fixed size rather than by
// copying itself into a larger array: holding n entries never takes the
// room of 2n, even for a moment, and a pointer to an entry stays valid.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkLen = 4096

func (c *chunked[T]) append(v T) {
	if c.n%chunkLen == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

func (c *chunked[T]) at(i int) *T { return &c.chunks[i/chunkLen][i%chunkLen] }

func (c *chunked[T]) len() int { return c.n }

// texts keeps copies of strings in shared chunks: many small strings held
// to the end of a run cost their bytes, not an allocation each.
type texts struct{ free []byte }

func (t *texts) clone(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if cap(t.free)-len(t.free) < n {
		t.free = make([]byte, 0, max(n, 16*chunkLen))
	}
	start := len(t.free)
	for _, p := range parts {
		t.free = append(t.free, p...)
	}
	b := t.free[start:len(t.free):len(t.free)]
	if n == 0 {
		return ""
	}
	return unsafe.String(&b[0], n) // never written again
}
