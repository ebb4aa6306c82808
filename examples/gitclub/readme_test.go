package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/gormfilter"
	"gorm.io/gorm"
)

// The README's quick start walks through this example with its real code and
// real answers; these tests keep it so.

type block struct{ lang, text string }

// quickStart returns the fenced blocks of the README's "Quick start" section.
func quickStart(t *testing.T) []block {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i := strings.Index(s, "\n## Quick start")
	if i < 0 {
		t.Fatal("README.md has no Quick start section")
	}
	s = s[i+1:]
	if j := strings.Index(s, "\n## "); j >= 0 {
		s = s[:j]
	}
	var blocks []block
	for {
		i := strings.Index(s, "```")
		if i < 0 {
			return blocks
		}
		s = s[i+3:]
		nl := strings.IndexByte(s, '\n')
		lang := s[:nl]
		s = s[nl+1:]
		end := strings.Index(s, "```")
		if end < 0 {
			t.Fatal("unterminated code block in the quick start")
		}
		blocks = append(blocks, block{lang, s[:end]})
		s = s[end+3:]
	}
}

// lines returns the trimmed non-empty lines of s.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsRun(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		if strings.Join(hay[i:i+len(needle)], "\n") == strings.Join(needle, "\n") {
			return true
		}
	}
	return false
}

// Every paragraph of every Go and Polar snippet is a contiguous excerpt of
// one source file.
func TestReadmeCodeIsReal(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	files = append(files, "gitclub.polar")
	var sources [][]string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, lines(string(b)))
	}
	n := 0
	for _, b := range quickStart(t) {
		if b.lang != "go" && b.lang != "polar" {
			continue
		}
		n++
		for _, para := range strings.Split(b.text, "\n\n") {
			found := false
			for _, src := range sources {
				if containsRun(src, lines(para)) {
					found = true
					break
				}
			}
			if !found {
				t.Errorf("README %s snippet is not in examples/gitclub's sources:\n%s", b.lang, para)
			}
		}
	}
	if n < 5 {
		t.Errorf("only %d code snippets in the quick start", n)
	}
}

// Every `$ curl` in the quick start, run in order against a fresh app,
// answers what the README shows.
func TestReadmeCurls(t *testing.T) {
	app := newApp(t, sqliteDB)
	n := 0
	for _, b := range quickStart(t) {
		if b.lang != "console" {
			continue
		}
		ls := strings.Split(strings.TrimRight(b.text, "\n"), "\n")
		for i := 0; i < len(ls); i++ {
			cmd, ok := strings.CutPrefix(ls[i], "$ ")
			if !ok {
				t.Fatalf("console block line %q is not a command", ls[i])
			}
			var want []string
			for i+1 < len(ls) && !strings.HasPrefix(ls[i+1], "$ ") {
				i++
				want = append(want, ls[i])
			}
			got := curl(t, app, cmd)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("$ %s\ngot:\n%s\nREADME shows:\n%s", cmd, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			n++
		}
	}
	if n < 5 {
		t.Errorf("only %d curl commands in the quick start", n)
	}
}

// curl serves one README curl command line: -i, -H 'X-User: name',
// -X METHOD, -d 'body', and localhost:8080/path.
func curl(t *testing.T, h http.Handler, cmd string) []string {
	t.Helper()
	args := shellSplit(cmd)
	if len(args) == 0 || args[0] != "curl" {
		t.Fatalf("not a curl command: %s", cmd)
	}
	method, body, user, path, head := "GET", "", "", "", false
	for i := 1; i < len(args); i++ {
		switch a := args[i]; a {
		case "-i":
			head = true
		case "-H":
			i++
			name, ok := strings.CutPrefix(args[i], "X-User: ")
			if !ok {
				t.Fatalf("unexpected header %q", args[i])
			}
			user = name
		case "-X":
			i++
			method = args[i]
		case "-d":
			i++
			body = args[i]
			if method == "GET" {
				method = "POST"
			}
		default:
			p, ok := strings.CutPrefix(a, "localhost:8080")
			if !ok {
				t.Fatalf("unexpected curl argument %q", a)
			}
			path = p
		}
	}
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if user != "" {
		req.Header.Set("X-User", user)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out []string
	if head {
		out = append(out, fmt.Sprintf("HTTP/1.1 %d %s", rec.Code, http.StatusText(rec.Code)))
	}
	return append(out, strings.TrimRight(rec.Body.String(), "\n"))
}

func shellSplit(s string) []string {
	var out []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQuote, have = !inQuote, true
		case r == ' ' && !inQuote:
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// The SQL the quick start shows is the query gormfilter runs for alice.
func TestReadmeSQL(t *testing.T) {
	app := newApp(t, sqliteDB)
	var alice User
	if err := app.db.Preload("OrgRoles").Preload("RepoRoles").Where("name = ?", "alice").Take(&alice).Error; err != nil {
		t.Fatal(err)
	}
	var repos []Repository
	st := gormfilter.Authorized(app.db.Session(&gorm.Session{DryRun: true}), &alice, "read").Order("id").Find(&repos).Statement
	vars := make([]string, len(st.Vars))
	for i, v := range st.Vars {
		vars[i] = fmt.Sprint(v)
	}
	got := fmt.Sprintf("%s  -- %s", st.SQL.String(), strings.Join(vars, ", "))
	for _, b := range quickStart(t) {
		if b.lang == "sql" {
			if want := strings.TrimSpace(b.text); got != want {
				t.Errorf("README shows\n%s\ngormfilter runs\n%s", want, got)
			}
			return
		}
	}
	t.Error("no sql block in the quick start")
}
