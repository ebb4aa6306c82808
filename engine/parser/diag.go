package parser

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ursa-authz/ursa/engine/ast"
)

// maxErrors bounds the errors collected for one source; parsing stops once
// it is reached.
const maxErrors = 100

// snippetWidth is the longest source line shown whole in a snippet; longer
// lines are cut to a window around the caret.
const snippetWidth = 160

// diags collects the diagnostics of one source. It keeps one diagnostic per
// line and severity (the leftmost), so a long line full of mistakes costs one
// snippet, not one per mistake.
type diags struct {
	fset   *ast.FileSet
	file   *ast.File
	list   ast.ErrorList
	byLine map[lineKey]int // index into list
	nerr   int
}

type lineKey struct {
	line int
	sev  ast.Severity
}

func (d *diags) full() bool { return d.nerr >= maxErrors }

func (d *diags) add(pos ast.Pos, sev ast.Severity, format string, args ...any) {
	ps := d.file.Position(pos)
	k := lineKey{ps.Line, sev}
	if i, ok := d.byLine[k]; ok {
		if d.list[i].Pos.Column > ps.Column {
			d.list[i] = d.newError(ps, sev, format, args...)
		}
		return
	}
	if sev == ast.SeverityError {
		if d.full() {
			return
		}
		d.nerr++
	}
	if d.byLine == nil {
		d.byLine = map[lineKey]int{}
	}
	d.byLine[k] = len(d.list)
	d.list = append(d.list, d.newError(ps, sev, format, args...))
}

func (d *diags) newError(ps ast.Position, sev ast.Severity, format string, args ...any) *ast.Error {
	return &ast.Error{
		Pos:      ps,
		Severity: sev,
		Kind:     ast.KindSyntax,
		Msg:      fmt.Sprintf(format, args...),
		Snippet:  snippet(d.file, ps),
	}
}

// snippet renders the line of ps with a caret under its column, like
// ast.Snippet, but cuts long lines to a window around the caret.
func snippet(f *ast.File, ps ast.Position) string {
	src := f.Src
	start := ps.Offset - (ps.Column - 1)
	if start < 0 || start > len(src) || ps.Offset > len(src) {
		return ""
	}
	end := len(src)
	if i := bytes.IndexByte(src[ps.Offset:], '\n'); i >= 0 {
		end = ps.Offset + i
	}
	if end > start && src[end-1] == '\r' {
		end--
	}
	if end-start <= snippetWidth {
		return ast.Snippet(f, ps)
	}
	// Cut to [from, to) around the caret, on rune boundaries.
	from := max(start, ps.Offset-snippetWidth/2)
	for from > start && !utf8.RuneStart(src[from]) {
		from--
	}
	to := min(end, ps.Offset+snippetWidth/2)
	for to < end && !utf8.RuneStart(src[to]) {
		to++
	}
	var b strings.Builder
	prefix := ""
	if from > start {
		prefix = "..."
	}
	b.WriteString(prefix)
	b.Write(src[from:to])
	if to < end {
		b.WriteString("...")
	}
	b.WriteByte('\n')
	b.WriteString(strings.Repeat(" ", len(prefix)))
	for _, c := range src[from:min(ps.Offset, to)] {
		if c == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
	}
	b.WriteByte('^')
	return b.String()
}
