package parser

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ursa-authz/ursa/engine/ast"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF tokKind = iota
	tIllegal
	tName
	tInt
	tFloat
	tString

	// punctuation and operators
	tLParen  // (
	tRParen  // )
	tLBrack  // [
	tRBrack  // ]
	tLBrace  // {
	tRBrace  // }
	tComma   // ,
	tColon   // :
	tSemi    // ;
	tDot     // .
	tBang    // !
	tStar    // *
	tSlash   // /
	tPlus    // +
	tMinus   // -
	tEq      // ==
	tNeq     // !=
	tLeq     // <=
	tGeq     // >=
	tLt      // <
	tGt      // >
	tUnify   // =
	tAssign  // :=
	tPipe    // |
	tQuery   // ?=
	tKwFirst // marker: keywords follow

	tNew
	tMod
	tRem
	tCut
	tDebug
	tPrint
	tIn
	tForall
	tIf
	tAnd
	tOr
	tNot
	tMatches
	tType
	tTrue
	tFalse
	tInf
	tNan
)

var keywords = map[string]tokKind{
	"new": tNew, "mod": tMod, "rem": tRem, "cut": tCut, "debug": tDebug,
	"print": tPrint, "in": tIn, "forall": tForall, "if": tIf, "and": tAnd,
	"or": tOr, "not": tNot, "matches": tMatches, "type": tType,
	"true": tTrue, "false": tFalse, "inf": tInf, "nan": tNan,
}

// foreignOps are doubled characters from other languages, with a hint.
var foreignOps = map[byte]string{'&': "use `and`", '|': "use `or`"}

var punctText = map[tokKind]string{
	tLParen: "(", tRParen: ")", tLBrack: "[", tRBrack: "]", tLBrace: "{", tRBrace: "}",
	tComma: ",", tColon: ":", tSemi: ";", tDot: ".", tBang: "!", tStar: "*", tSlash: "/",
	tPlus: "+", tMinus: "-", tEq: "==", tNeq: "!=", tLeq: "<=", tGeq: ">=", tLt: "<",
	tGt: ">", tUnify: "=", tAssign: ":=", tPipe: "|", tQuery: "?=",
}

// isWord reports whether k is a name or a keyword: the tokens accepted where
// a field, method, keyword-argument or dictionary key name is expected.
func (k tokKind) isWord() bool { return k == tName || k > tKwFirst }

// token is one lexical token.
type token struct {
	kind tokKind
	pos  ast.Pos // first byte
	end  ast.Pos // one past the last byte
	text string  // source text
	val  string  // decoded value of a string literal
}

// describe renders the token for an "unexpected ..." message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tName:
		return fmt.Sprintf("name %q", t.text)
	case tInt, tFloat:
		return "number " + truncate(t.text)
	case tString:
		return "string " + truncate(t.text)
	case tIllegal:
		return fmt.Sprintf("%q", truncate(t.text))
	}
	if t.kind > tKwFirst {
		return fmt.Sprintf("keyword %q", t.text)
	}
	return fmt.Sprintf("token %q", t.text)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

// lexer turns a source file into tokens.
type lexer struct {
	fset *ast.FileSet
	file *ast.File
	src  []byte
	ssrc string // src as a string: token texts are substrings of it
	off  int
	errs *diags
	// interned: names and string literal values, each spelling once, so
	// that equal names in the AST share their bytes (an evaluator comparing
	// variable names or role names finds equal ones by pointer first).
	interned map[string]string
}

// intern returns s, or the equal string met first in this file.
func (l *lexer) intern(s string) string {
	if t, ok := l.interned[s]; ok {
		return t
	}
	if l.interned == nil {
		l.interned = map[string]string{}
	}
	l.interned[s] = s
	return s
}

func (l *lexer) errorAt(off int, format string, args ...any) {
	l.errs.add(l.file.Pos(off), ast.SeverityError, format, args...)
}

// scanAll lexes the whole file. The last token is always tEOF.
func scanAll(fset *ast.FileSet, file *ast.File, errs *diags) []token {
	l := &lexer{fset: fset, file: file, src: file.Src, ssrc: string(file.Src), errs: errs}
	if strings.HasPrefix(l.ssrc, "\uFEFF") {
		l.off = len("\uFEFF") // a byte order mark, as editors on Windows write
	}
	toks := make([]token, 0, len(l.src)/3+16) // typical policies: ~4 bytes per token
	for {
		t := l.next()
		toks = append(toks, t)
		if t.kind == tEOF {
			return toks
		}
	}
}

func isNameStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isNameChar(r rune) bool  { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }
func isDigit(c byte) bool     { return '0' <= c && c <= '9' }

func (l *lexer) peekRune(off int) (rune, int) {
	if off >= len(l.src) {
		return -1, 0
	}
	c := l.src[off]
	if c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRune(l.src[off:])
}

func (l *lexer) tok(kind tokKind, start int) token {
	return token{kind: kind, pos: l.file.Pos(start), end: l.file.Pos(l.off), text: l.ssrc[start:l.off]}
}

func (l *lexer) next() token {
	// skip white space and comments
	for l.off < len(l.src) {
		c := l.src[l.off]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' {
			l.off++
			continue
		}
		if c == '#' {
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.off++
			}
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(l.src[l.off:])
			if r != utf8.RuneError && unicode.IsSpace(r) {
				l.off += n
				continue
			}
		}
		break
	}
	start := l.off
	if l.off >= len(l.src) {
		return token{kind: tEOF, pos: l.file.Pos(start), end: l.file.Pos(start)}
	}
	c := l.src[l.off]
	switch {
	case isDigit(c):
		return l.number()
	case c == '"':
		return l.str()
	}
	if r, n := l.peekRune(l.off); isNameStart(r) {
		l.off += n
		return l.name(start)
	}
	if hint, ok := foreignOps[c]; ok && l.off+1 < len(l.src) && l.src[l.off+1] == c {
		l.off += 2
		l.errorAt(start, "invalid operator %q; %s", l.ssrc[start:l.off], hint)
		return l.tok(tIllegal, start)
	}
	one := func(k tokKind) token {
		l.off++
		return l.tok(k, start)
	}
	two := func(second byte, k2, k1 tokKind) token {
		if l.off+1 < len(l.src) && l.src[l.off+1] == second {
			l.off += 2
			return l.tok(k2, start)
		}
		l.off++
		return l.tok(k1, start)
	}
	switch c {
	case '(':
		return one(tLParen)
	case ')':
		return one(tRParen)
	case '[':
		return one(tLBrack)
	case ']':
		return one(tRBrack)
	case '{':
		return one(tLBrace)
	case '}':
		return one(tRBrace)
	case ',':
		return one(tComma)
	case ';':
		return one(tSemi)
	case '.':
		return one(tDot)
	case '*':
		return one(tStar)
	case '/':
		return one(tSlash)
	case '+':
		return one(tPlus)
	case '-':
		return one(tMinus)
	case '|':
		return one(tPipe)
	case ':':
		return two('=', tAssign, tColon)
	case '=':
		return two('=', tEq, tUnify)
	case '!':
		return two('=', tNeq, tBang)
	case '<':
		return two('=', tLeq, tLt)
	case '>':
		return two('=', tGeq, tGt)
	case '?':
		if l.off+1 < len(l.src) && l.src[l.off+1] == '=' {
			l.off += 2
			return l.tok(tQuery, start)
		}
	}
	r, n := l.peekRune(l.off)
	l.off += n
	if r == '\'' {
		l.errorAt(start, "illegal character %U %q; Polar strings use double quotes", r, r)
		return l.tok(tIllegal, start)
	}
	if r == utf8.RuneError && n == 1 {
		l.errorAt(start, "invalid UTF-8 byte 0x%02x", c)
	} else {
		l.errorAt(start, "illegal character %U %q", r, r)
	}
	return l.tok(tIllegal, start)
}

// name scans the rest of a name; names may contain `::` between parts.
func (l *lexer) name(start int) token {
	for {
		r, n := l.peekRune(l.off)
		if isNameChar(r) {
			l.off += n
			continue
		}
		if r == ':' && l.off+1 < len(l.src) && l.src[l.off+1] == ':' {
			if r2, n2 := l.peekRune(l.off + 2); isNameStart(r2) {
				l.off += 2 + n2
				continue
			}
		}
		break
	}
	t := l.tok(tName, start)
	if k, ok := keywords[t.text]; ok {
		t.kind = k
	} else {
		t.text = l.intern(t.text)
	}
	return t
}

// number scans an integer or a float: digits [. digits] [e [+-] digits].
// Conversion (and int64 overflow checking) is done by the parser, which
// knows whether a minus sign precedes the literal.
func (l *lexer) number() token {
	start := l.off
	kind := tInt
	for l.off < len(l.src) && isDigit(l.src[l.off]) {
		l.off++
	}
	if l.off+1 < len(l.src) && l.src[l.off] == '.' && isDigit(l.src[l.off+1]) {
		kind = tFloat
		l.off++
		for l.off < len(l.src) && isDigit(l.src[l.off]) {
			l.off++
		}
	}
	if l.off < len(l.src) && (l.src[l.off] == 'e' || l.src[l.off] == 'E') {
		j := l.off + 1
		if j < len(l.src) && (l.src[j] == '+' || l.src[j] == '-') {
			j++
		}
		if j < len(l.src) && isDigit(l.src[j]) {
			kind = tFloat
			l.off = j
			for l.off < len(l.src) && isDigit(l.src[l.off]) {
				l.off++
			}
		}
	}
	return l.tok(kind, start)
}

// str scans a double-quoted string literal. Escapes: \n \t \r \" \\ \0 and
// \u{hex}. Raw newlines are allowed inside strings (as in oso). An
// unterminated string is reported at its opening quote.
func (l *lexer) str() token {
	start := l.off
	l.off++ // opening quote
	var b strings.Builder
	escaped := false // b is in use: an escape was seen
	for {
		if l.off >= len(l.src) {
			l.errorAt(start, "unterminated string literal")
			return l.tok(tIllegal, start)
		}
		c := l.src[l.off]
		if c == '"' {
			l.off++
			t := l.tok(tString, start)
			if escaped {
				t.val = l.intern(b.String())
			} else {
				t.val = l.intern(l.ssrc[start+1 : l.off-1])
			}
			return t
		}
		if c != '\\' {
			if escaped {
				b.WriteByte(c)
			}
			l.off++
			continue
		}
		if !escaped {
			escaped = true
			b.WriteString(l.ssrc[start+1 : l.off])
		}
		esc := l.off
		l.off++
		if l.off >= len(l.src) {
			continue // reported as unterminated
		}
		e := l.src[l.off]
		l.off++
		switch e {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '"':
			b.WriteByte('"')
		case '\\':
			b.WriteByte('\\')
		case '0':
			b.WriteByte(0)
		case 'u':
			r, ok := l.unicodeEscape()
			if !ok {
				l.errorAt(esc, "invalid unicode escape: want \\u{hex} with 1 to 6 hex digits naming a valid code point")
				continue
			}
			b.WriteRune(r)
		default:
			r, n := l.peekRune(l.off - 1)
			l.off += n - 1
			l.errorAt(esc, "unknown escape sequence \\%c in string (valid: \\n \\t \\r \\\" \\\\ \\0 \\u{hex})", r)
		}
	}
}

// unicodeEscape scans `{hex}` after `\u`.
func (l *lexer) unicodeEscape() (rune, bool) {
	if l.off >= len(l.src) || l.src[l.off] != '{' {
		return 0, false
	}
	j := l.off + 1
	for j < len(l.src) && j-l.off <= 7 && isHex(l.src[j]) {
		j++
	}
	if j >= len(l.src) || l.src[j] != '}' || j == l.off+1 || j-l.off > 7 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(l.src[l.off+1:j]), 16, 32)
	l.off = j + 1
	if err != nil || v > unicode.MaxRune || (v >= 0xD800 && v <= 0xDFFF) {
		return 0, false
	}
	return rune(v), true
}

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}
