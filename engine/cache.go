package engine

import (
	"reflect"
	"sync/atomic"
	"unsafe"
)

// typeCache is a small copy-on-write list from reflect.Type to V for inline
// caches at call sites (specializers, lookups): lock-free reads by linear
// scan (call sites see few types), rare writes.
type typeCache[V any] struct {
	p atomic.Pointer[[]typeEntry[V]]
}

type typeEntry[V any] struct {
	t reflect.Type
	v V
}

const (
	typeCacheMax  = 16
	tupleCacheMax = 64
)

func (c *typeCache[V]) get(t reflect.Type) (V, bool) {
	if l := c.p.Load(); l != nil {
		for i := range *l {
			if (*l)[i].t == t {
				return (*l)[i].v, true
			}
		}
	}
	var zero V
	return zero, false
}

func (c *typeCache[V]) put(t reflect.Type, v V) {
	for {
		old := c.p.Load()
		var n []typeEntry[V]
		if old != nil {
			if len(*old) >= typeCacheMax {
				return
			}
			n = append(n, *old...)
		}
		n = append(n, typeEntry[V]{t, v})
		if c.p.CompareAndSwap(old, &n) {
			return
		}
	}
}

// tupleCache maps the dynamic types of up to 4 arguments to a value.
type tupleCache[V any] struct {
	p atomic.Pointer[[]tupleEntry[V]]
}

// typeTuple holds the dynamic types of the arguments as their interface
// type words (see typeWord): comparing two tuples is a plain memory
// comparison, not four interface comparisons.
type typeTuple [4]unsafe.Pointer

// typeWord identifies the dynamic type of v (nil for a nil interface): the
// type word of the interface value, one per Go type like reflect.TypeOf.
func typeWord(v any) unsafe.Pointer { return efaceOf(&v).typ }

type tupleEntry[V any] struct {
	k typeTuple
	v V
}

func (c *tupleCache[V]) get(k *typeTuple) (V, bool) {
	if l := c.p.Load(); l != nil {
		for i := range *l {
			if (*l)[i].k == *k {
				return (*l)[i].v, true
			}
		}
	}
	var zero V
	return zero, false
}

func (c *tupleCache[V]) put(k *typeTuple, v V) {
	for {
		old := c.p.Load()
		var n []tupleEntry[V]
		if old != nil {
			if len(*old) >= tupleCacheMax {
				return
			}
			n = append(n, *old...)
		}
		n = append(n, tupleEntry[V]{*k, v})
		if c.p.CompareAndSwap(old, &n) {
			return
		}
	}
}

// slab hands out pointers to T from chunks that are reused across queries
// (reset clears what was used). Pointers stay valid until reset.
type slab[T any] struct {
	chunks [][]T
	ci     int // current chunk
	off    int // next free index in the current chunk
}

const slabChunk = 128

func (s *slab[T]) alloc() *T {
	if s.ci < len(s.chunks) && s.off < len(s.chunks[s.ci]) {
		p := &s.chunks[s.ci][s.off]
		s.off++
		return p
	}
	if s.ci < len(s.chunks) {
		s.ci++
	}
	if s.ci >= len(s.chunks) {
		s.chunks = append(s.chunks, make([]T, slabChunk))
		s.ci = len(s.chunks) - 1
	}
	s.off = 1
	return &s.chunks[s.ci][0]
}

func (s *slab[T]) reset() { s.chunks, s.ci, s.off = resetChunks(s.chunks, s.ci, s.off) }

// resetChunks clears the used part of arena chunks (so pooled machines do
// not retain values) and keeps at most 16 chunks.
func resetChunks[T any](chunks [][]T, ci, off int) ([][]T, int, int) {
	for i := 0; i <= ci && i < len(chunks); i++ {
		if i < ci {
			clear(chunks[i])
		} else {
			clear(chunks[i][:off])
		}
	}
	if len(chunks) > 16 {
		clear(chunks[16:])
		chunks = chunks[:16]
	}
	return chunks, 0, 0
}

// anySlab hands out []any slices of a given length.
type anySlab struct {
	chunks [][]any
	ci     int
	off    int
}

func (s *anySlab) alloc(n int) []any {
	if n == 0 {
		return nil
	}
	for {
		if s.ci < len(s.chunks) {
			c := s.chunks[s.ci]
			if s.off+n <= len(c) {
				out := c[s.off : s.off+n : s.off+n]
				s.off += n
				return out
			}
			s.ci++
			s.off = 0
			continue
		}
		size := 256
		if n > size {
			size = n
		}
		s.chunks = append(s.chunks, make([]any, size))
		s.ci = len(s.chunks) - 1
		s.off = 0
	}
}

func (s *anySlab) reset() { s.chunks, s.ci, s.off = resetChunks(s.chunks, s.ci, s.off) }
