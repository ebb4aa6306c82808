package ast

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Severity tells an error from a warning.
type Severity int

const (
	SeverityError Severity = iota
	SeverityWarning
)

// Kind classifies errors so callers can test them with errors.Is.
type Kind int

const (
	KindSyntax     Kind = iota + 1 // lexer or parser
	KindValidation                 // load-time checks: undefined rules, rule types, blocks...
	KindRuntime                    // evaluation
)

// Sentinel errors, matched by errors.Is against an *Error of that kind.
var (
	ErrSyntax     = errors.New("syntax error")
	ErrValidation = errors.New("validation error")
	ErrRuntime    = errors.New("runtime error")
)

// Error is a diagnostic at a source position, with a caret snippet.
type Error struct {
	Pos      Position
	Severity Severity
	Kind     Kind
	Msg      string
	Snippet  string // the source line followed by a caret line; may be empty
	Err      error  // optional wrapped cause
}

// NewError builds an Error at p in fset, filling in the snippet.
func NewError(fset *FileSet, p Pos, kind Kind, format string, args ...any) *Error {
	e := &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
	if f := fset.File(p); f != nil {
		e.Pos = f.Position(p)
		e.Snippet = Snippet(f, e.Pos)
	}
	return e
}

// Snippet renders the source line of pos with a caret under its column.
func Snippet(f *File, pos Position) string {
	line := f.Line(pos.Line)
	if line == "" && pos.Column <= 1 {
		return ""
	}
	pad := make([]byte, 0, pos.Column)
	for i := 0; i < pos.Column-1 && i < len(line); i++ {
		if line[i] == '\t' {
			pad = append(pad, '\t')
		} else {
			pad = append(pad, ' ')
		}
	}
	return line + "\n" + string(pad) + "^"
}

// Error renders "file:line:col: message" followed by the snippet.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Header())
	if e.Snippet != "" {
		b.WriteString("\n")
		b.WriteString(e.Snippet)
	}
	return b.String()
}

// Header renders "file:line:col: [warning: ]message" without the snippet.
func (e *Error) Header() string {
	var b strings.Builder
	if e.Pos.IsValid() || e.Pos.Filename != "" {
		b.WriteString(e.Pos.String())
		b.WriteString(": ")
	}
	if e.Severity == SeverityWarning {
		b.WriteString("warning: ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Is matches the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrSyntax:
		return e.Kind == KindSyntax
	case ErrValidation:
		return e.Kind == KindValidation
	case ErrRuntime:
		return e.Kind == KindRuntime
	}
	return false
}

// Unwrap returns the wrapped cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of diagnostics; as an error it reports all of them.
type ErrorList []*Error

// Add appends e.
func (l *ErrorList) Add(e *Error) { *l = append(*l, e) }

func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Column != b.Column {
		return a.Column < b.Column
	}
	return l[i].Msg < l[j].Msg
}

// Sort orders the list by position.
func (l ErrorList) Sort() { sort.Stable(l) }

// RemoveMultiples sorts the list and keeps only the first error per line.
func (l *ErrorList) RemoveMultiples() {
	l.Sort()
	var last Position
	i := 0
	for _, e := range *l {
		if i == 0 || e.Pos.Filename != last.Filename || e.Pos.Line != last.Line || e.Severity != (*l)[i-1].Severity {
			last = e.Pos
			(*l)[i] = e
			i++
		}
	}
	*l = (*l)[:i]
}

// Errors returns only the entries of error severity.
func (l ErrorList) Errors() ErrorList {
	var out ErrorList
	for _, e := range l {
		if e.Severity == SeverityError {
			out = append(out, e)
		}
	}
	return out
}

// Warnings returns only the entries of warning severity.
func (l ErrorList) Warnings() ErrorList {
	var out ErrorList
	for _, e := range l {
		if e.Severity == SeverityWarning {
			out = append(out, e)
		}
	}
	return out
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Err returns nil if the list holds no errors (warnings do not count), else
// the list of errors.
func (l ErrorList) Err() error {
	errs := l.Errors()
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// Is reports whether any entry matches target.
func (l ErrorList) Is(target error) bool {
	for _, e := range l {
		if errors.Is(e, target) {
			return true
		}
	}
	return false
}

// As lets errors.As reach the first *Error.
func (l ErrorList) As(target any) bool {
	if len(l) == 0 {
		return false
	}
	if t, ok := target.(**Error); ok {
		*t = l[0]
		return true
	}
	return false
}
