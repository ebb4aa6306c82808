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
	vals    []any    // current argument chunk
	strs    []string // current chunk of string lists (guards)
	scratch [][]byte // free builder buffers
}

const (
	minTextChunk = 4 << 10
	minValsChunk = 64
	minStrsChunk = 32
	// a compiler whose chunks grew past these (a huge filter) is not kept
	maxTextChunk = 256 << 10
	maxValsChunk = 4 << 10
)

// str returns a string with the bytes of b.
func (m *mem) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	m.reserve(len(b))
	i := len(m.text)
	m.text = append(m.text, b...)
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
	for _, p := range parts {
		m.text = append(m.text, p...)
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
	if cap(m.vals)-len(m.vals) < n {
		m.vals = make([]any, 0, max(2*cap(m.vals), n, minValsChunk))
	}
	i := len(m.vals)
	for _, l := range lists {
		m.vals = append(m.vals, l...)
	}
	return m.vals[i:len(m.vals):len(m.vals)]
}

// list returns the list of ss (nil if empty), of capacity its length.
func (m *mem) list(ss ...string) []string {
	if len(ss) == 0 {
		return nil
	}
	if cap(m.strs)-len(m.strs) < len(ss) {
		m.strs = make([]string, 0, max(2*cap(m.strs), len(ss), minStrsChunk))
	}
	i := len(m.strs)
	m.strs = append(m.strs, ss...)
	return m.strs[i:len(m.strs):len(m.strs)]
}

// grab returns an empty argument list with room for n values.
func (m *mem) grab(n int) []any {
	if cap(m.vals)-len(m.vals) < n {
		m.vals = make([]any, 0, max(2*cap(m.vals), n, minValsChunk))
	}
	i := len(m.vals)
	m.vals = m.vals[:i+n]
	return m.vals[i : i : i+n]
}

// one is the argument list of one value.
func (m *mem) one(v any) []any {
	if cap(m.vals)-len(m.vals) < 1 {
		m.vals = make([]any, 0, max(2*cap(m.vals), minValsChunk))
	}
	m.vals = append(m.vals, v)
	n := len(m.vals)
	return m.vals[n-1 : n : n]
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
// and drops the references the chunks hold. It reports whether the chunks
// are small enough to keep.
func (m *mem) reset() bool {
	clear(m.vals)
	m.text, m.vals, m.strs = m.text[:0], m.vals[:0], m.strs[:0]
	return cap(m.text) <= maxTextChunk && cap(m.vals) <= maxValsChunk && cap(m.strs) <= maxValsChunk && len(m.scratch) <= 64
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
