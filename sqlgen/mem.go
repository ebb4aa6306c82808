package sqlgen

import (
	"sync"
	"unsafe"
)

// mem holds the intermediate SQL text and bind arguments of one
// compilation. Every fragment's text is a string carved out of a byte chunk
// and every argument list a slice of an []any chunk, instead of one heap
// object each: a compilation makes ~200 such pieces, and allocating them
// (and collecting them) was most of its cost.
//
// A compiler and its mem are reused by later compilations (compilerPool),
// so nothing carved out of mem may outlive the call that made it: Where and
// Select copy the result out before the compiler is released, and error
// messages are formatted (copied) when they are made. Within one call,
// chunks are only appended to: a string or slice handed out never changes.
type mem struct {
	text    []byte   // current text chunk
	scratch [][]byte // free builder buffers
	vals    slab[any]
	strs    slab[string]
	// the compiler's small structures, for the same reason
	refs  slab[colRef]
	objs  slab[object]
	binds slab[binding]
	hops  slab[hopItem]
	res   slab[resolved]
}

const (
	minTextChunk = 4 << 10
	// a compiler whose text grew past this (a huge filter) is not kept
	maxTextChunk = 256 << 10
)

// str returns a string with the bytes of b.
func (m *mem) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	m.reserve(len(b))
	i := len(m.text)
	m.text = m.text[:i+len(b)] // (a length store: no write barrier)
	copy(m.text[i:], b)
	return unsafe.String(&m.text[i], len(b))
}

// reserve makes room for n more bytes in the current text chunk. A full
// chunk is left to the strings that point into it, not copied.
func (m *mem) reserve(n int) {
	if cap(m.text)-len(m.text) < n {
		m.text = make([]byte, 0, max(2*cap(m.text), n, minTextChunk))
	}
}

// cat returns the concatenation of parts.
func (m *mem) cat(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return ""
	}
	m.reserve(n)
	i := len(m.text)
	m.text = m.text[:i+n] // (a length store: no write barrier)
	t := m.text[i:]
	for _, p := range parts {
		t = t[copy(t, p):]
	}
	return unsafe.String(&m.text[i], n)
}

// args returns the concatenation of lists (nil if empty). The result's
// capacity is its length, so an append to it copies.
func (m *mem) args(lists ...[]any) []any {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	if n == 0 {
		return nil
	}
	out := m.vals.take(n)[:0]
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// one is the argument list of one value.
func (m *mem) one(v any) []any {
	out := m.vals.take(1)
	out[0] = v
	return out
}

// list returns the list of ss (nil if empty), of capacity its length.
func (m *mem) list(ss ...string) []string {
	if len(ss) == 0 {
		return nil
	}
	out := m.strs.take(len(ss))
	copy(out, ss)
	return out
}

// obj returns a pointer to a copy of o.
func (m *mem) obj(o object) *object {
	p := &m.objs.take(1)[0]
	*p = o
	return p
}

// bind returns a pointer to a copy of b.
func (m *mem) bind(b binding) *binding {
	p := &m.binds.take(1)[0]
	*p = b
	return p
}

// slab hands out slices of a chunk of Ts (see mem).
type slab[T any] struct{ cur []T }

// take returns n Ts, of capacity n. Only the vals slab is cleared between
// compilations (see mem.reset): the Ts of the other slabs may hold what an
// earlier compilation left there, so callers overwrite all n.
func (s *slab[T]) take(n int) []T {
	if cap(s.cur)-len(s.cur) < n {
		s.cur = make([]T, 0, max(2*cap(s.cur), n, 16))
	}
	i := len(s.cur)
	s.cur = s.cur[:i+n]
	return s.cur[i : i+n : i+n]
}

// reset zeroes what was handed out and reports whether the chunk is small
// enough to keep.
func (s *slab[T]) reset() bool {
	clear(s.cur)
	return s.forget()
}

// forget makes the chunk's Ts free again without zeroing them and reports
// whether the chunk is small enough to keep.
func (s *slab[T]) forget() bool {
	s.cur = s.cur[:0]
	return cap(s.cur) <= 4<<10
}

// builder returns a text builder; its String hands its buffer back.
func (m *mem) builder() sbuf {
	if n := len(m.scratch); n > 0 {
		b := m.scratch[n-1]
		m.scratch = m.scratch[:n-1]
		return sbuf{m: m, b: b}
	}
	return sbuf{m: m}
}

// reset forgets everything carved out (the caller has copied its result)
// and drops the bind values, which are the caller's data. It reports
// whether the chunks are small enough to keep.
//
// The other slabs are not zeroed: they only point into the text chunks,
// into each other, at the schema and at names of the filter, and zeroing
// them (pointer stores with the GC's write barrier) was ~6% of a small
// compilation. What they keep alive stays bounded by the chunk sizes kept,
// until the compiler is reused or dropped by the pool.
func (m *mem) reset() bool {
	m.text = m.text[:0]
	ok := cap(m.text) <= maxTextChunk && len(m.scratch) <= 64
	ok = m.vals.reset() && ok
	ok = m.strs.forget() && ok
	ok = m.refs.forget() && ok
	ok = m.objs.forget() && ok
	ok = m.binds.forget() && ok
	ok = m.hops.forget() && ok
	ok = m.res.forget() && ok
	return ok
}

// sbuf builds one string in a scratch buffer of a mem (a strings.Builder
// whose String copies into the mem's chunk). Several may be open at once.
type sbuf struct {
	m *mem
	b []byte
}

func (s *sbuf) WriteString(x string) { s.b = append(s.b, x...) }
func (s *sbuf) writeByte(x byte)     { s.b = append(s.b, x) }
func (s *sbuf) Len() int             { return len(s.b) }

// String returns the text written and releases the buffer: the builder must
// not be used afterwards.
func (s *sbuf) String() string {
	r := s.m.str(s.b)
	if cap(s.b) <= 16<<10 {
		s.m.scratch = append(s.m.scratch, s.b[:0])
	}
	s.b = nil
	return r
}

// compilerPool reuses compilers (their operand stack, maps and mem) across
// compilations; a compiler is used by one goroutine between get and put.
var compilerPool = sync.Pool{New: func() any { return &compiler{m: &mem{}} }}
