package parser

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/tools/txtar"

	"github.com/ursa-authz/ursa/engine/ast"
)

// addGoldenSeeds adds the policies of testdata/*.txtar to the corpus.
func addGoldenSeeds(f *testing.F) {
	for _, path := range goldenFiles(f) {
		a, err := txtar.ParseFile(path)
		if err != nil {
			f.Fatal(err)
		}
		if src, ok := goldenPolicy(a); ok {
			f.Add(string(src))
		}
	}
	for _, s := range []string{
		"", "f(", "f(x) if", `"\u{`, "resource R {", "x.(", "[*", "{a", "-", "- -1", "f(x) if x = -9223372036854775808;",
		"?= 1 e5;", "a::b::", "f(x) if !x;", "f(x: -inf) if x matches {a: Foo{}};", "A()if 0*--00*0;", "f() if --nan.x;",
	} {
		f.Add(s)
	}
}

// FuzzParse checks that the parser never panics and always terminates, that
// every diagnostic has a position, and that a policy that parses without
// errors prints to source that parses back to an equal tree.
func FuzzParse(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		pf, errs := ParseFile(ast.NewFileSet(), "fuzz.polar", []byte(src))
		for _, e := range errs {
			if !e.Pos.IsValid() || e.Msg == "" {
				t.Fatalf("diagnostic without position or message: %#v", e)
			}
		}
		if errs.Err() != nil {
			_ = ast.String(pf) // printing a partial tree must not panic
			return
		}
		out := ast.String(pf)
		pf2, errs2 := ParseFile(ast.NewFileSet(), "printed.polar", []byte(out))
		if errs2.Err() != nil {
			t.Fatalf("printed policy does not parse: %v\nsource:\n%q\nprinted:\n%s", errs2, src, out)
		}
		if !ast.Equal(pf, pf2) {
			t.Fatalf("round trip changed the tree\nsource:  %q\nprinted: %q\nbefore: %s\nafter:  %s", src, out, sexpr(pf), sexpr(pf2))
		}
		if out2 := ast.String(pf2); out2 != out {
			t.Fatalf("printing is not stable:\n%s\n---\n%s", out, out2)
		}

		// The same input as a query.
		q, qerrs := ParseQuery(ast.NewFileSet(), "q", src)
		if qerrs.Err() == nil {
			out := ast.String(q)
			q2, errs := ParseQuery(ast.NewFileSet(), "q2", out)
			if errs.Err() != nil || !ast.Equal(q, q2) {
				t.Fatalf("query round trip failed: %q -> %q: %v", src, out, errs)
			}
		}
	})
}

// FuzzLex checks lexer invariants: no panic, tokens are in order, do not
// overlap, cover only non-blank, non-comment text, and the stream ends with
// exactly one EOF.
func FuzzLex(f *testing.F) {
	addGoldenSeeds(f)
	f.Fuzz(func(t *testing.T, src string) {
		fset := ast.NewFileSet()
		file := fset.AddFile("lex", []byte(src))
		d := diags{fset: fset, file: file}
		toks := scanAll(fset, file, &d)
		errs := d.list
		if len(toks) == 0 || toks[len(toks)-1].kind != tEOF {
			t.Fatal("token stream does not end with EOF")
		}
		last := 0
		for i, tk := range toks {
			start, end := file.Offset(tk.pos), file.Offset(tk.end)
			if start < last || end < start || end > len(src) {
				t.Fatalf("token %d %v at [%d,%d) out of order (last end %d)", i, tk.describe(), start, end, last)
			}
			gap := src[last:start]
			for len(gap) > 0 {
				if gap[0] == '#' {
					nl := strings.IndexByte(gap, '\n')
					if nl < 0 {
						break
					}
					gap = gap[nl+1:]
					continue
				}
				r, n := utf8.DecodeRuneInString(gap)
				if !strings.ContainsRune(" \t\n\r\f\v", r) && !(r > 127 && r != utf8.RuneError) {
					t.Fatalf("skipped non-blank %q before token %d", gap, i)
				}
				gap = gap[n:]
			}
			if tk.kind != tEOF && tk.text != src[start:end] {
				t.Fatalf("token text %q != source %q", tk.text, src[start:end])
			}
			if tk.kind == tEOF && i != len(toks)-1 {
				t.Fatal("EOF before the end")
			}
			if tk.kind != tEOF && end == start {
				t.Fatalf("empty token %d", i)
			}
			last = end
		}
		if tk := toks[len(toks)-1]; file.Offset(tk.pos) != len(src) && !strings.Contains(src[last:], "") {
			t.Fatal("EOF not at end")
		}
		for _, e := range errs {
			if !e.Pos.IsValid() {
				t.Fatalf("lexer error without position: %v", e)
			}
		}
		// Strings print back to a literal that lexes to the same value.
		for _, tk := range toks {
			if tk.kind != tString {
				continue
			}
			q := ast.Quote(tk.val)
			fs2 := ast.NewFileSet()
			f2 := fs2.AddFile("q", []byte(q))
			d2 := diags{fset: fs2, file: f2}
			toks2 := scanAll(fs2, f2, &d2)
			errs2 := d2.list
			if len(errs2) > 0 || len(toks2) != 2 || toks2[0].kind != tString || toks2[0].val != tk.val {
				t.Fatalf("string %q quoted as %s does not lex back: %v", tk.val, q, errs2)
			}
		}
	})
}
