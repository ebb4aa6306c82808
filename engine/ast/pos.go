// Package ast defines the syntax tree of Polar policies, source positions and
// the error types every later stage reports with.
//
// Entry points: FileSet (AddFile, Position), the node types (File, Rule,
// RuleType, Query, Block and the Expr/Term types), Error and ErrorList.
//
// Positions follow go/token: a Pos is a compact offset into a FileSet and is
// resolved to file:line:col only when an error or warning is reported.
package ast

import (
	"fmt"
	"sort"
	"sync"
)

// Pos is a compact source position: an offset into a FileSet. NoPos is zero.
type Pos int

// NoPos is the zero Pos: no position known.
const NoPos Pos = 0

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p != NoPos }

// Position is a resolved source position.
type Position struct {
	Filename string
	Offset   int // byte offset, 0-based
	Line     int // 1-based
	Column   int // 1-based, in bytes
}

// IsValid reports whether the position is known.
func (p Position) IsValid() bool { return p.Line > 0 }

func (p Position) String() string {
	s := p.Filename
	if s == "" {
		s = "<input>"
	}
	if p.IsValid() {
		s += fmt.Sprintf(":%d:%d", p.Line, p.Column)
	}
	return s
}

// File is one source file inside a FileSet.
type File struct {
	Name  string
	Base  int // Pos of the first byte
	Src   []byte
	lines []int // offsets of line starts
}

// Pos returns the Pos of the byte at offset off in f.
func (f *File) Pos(off int) Pos { return Pos(f.Base + off) }

// Offset returns the byte offset of p in f.
func (f *File) Offset(p Pos) int { return int(p) - f.Base }

// Position resolves p, which must belong to f.
func (f *File) Position(p Pos) Position {
	off := f.Offset(p)
	if off < 0 {
		off = 0
	}
	if off > len(f.Src) {
		off = len(f.Src)
	}
	i := sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	return Position{Filename: f.Name, Offset: off, Line: i + 1, Column: off - f.lines[i] + 1}
}

// Line returns the text of the 1-based line n, without its newline.
func (f *File) Line(n int) string {
	if n < 1 || n > len(f.lines) {
		return ""
	}
	start := f.lines[n-1]
	end := len(f.Src)
	if n < len(f.lines) {
		end = f.lines[n] - 1
	}
	if end > start && f.Src[end-1] == '\r' {
		end--
	}
	return string(f.Src[start:end])
}

// FileSet holds the sources of a policy. It is safe for concurrent use.
type FileSet struct {
	mu    sync.RWMutex
	base  int
	files []*File
}

// NewFileSet returns an empty FileSet.
func NewFileSet() *FileSet { return &FileSet{base: 1} }

// AddFile registers src under name and returns the File.
func (s *FileSet) AddFile(name string, src []byte) *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &File{Name: name, Base: s.base, Src: src, lines: []int{0}}
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	s.base += len(src) + 1 // +1 so an EOF position is distinct from the next file
	s.files = append(s.files, f)
	return f
}

// File returns the file that contains p, or nil.
func (s *FileSet) File(p Pos) *File {
	if s == nil || !p.IsValid() {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].Base > int(p) }) - 1
	if i < 0 {
		return nil
	}
	f := s.files[i]
	if int(p) > f.Base+len(f.Src) {
		return nil
	}
	return f
}

// Position resolves p; an unknown p yields the zero Position.
func (s *FileSet) Position(p Pos) Position {
	if f := s.File(p); f != nil {
		return f.Position(p)
	}
	return Position{}
}
