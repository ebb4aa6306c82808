package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
	"github.com/ursa-authz/ursa/engine/parser"
)

// loaded is a policy loaded by the CLI.
type loaded struct {
	files  []string
	schema *schemaFile
	srcs   map[string][]byte // file name -> source, for `line` in the debugger
	reg    *engine.Registry
	prog   *loader.Program
	policy *engine.Policy
	diags  ast.ErrorList // errors and warnings, sorted
}

// loadOpts select what loadPolicy does beyond parsing and checking.
type loadOpts struct {
	inline     bool // run the inline ?= queries (a failing one is a load error)
	noWarnings bool // setup does not print warnings
	query      *engine.QueryOptions
}

// loadPolicy reads, parses, checks and compiles files. A reading error is
// returned as err; policy errors are in l.diags (l.policy is then nil).
func loadPolicy(files []string, schema *schemaFile, o loadOpts) (*loaded, error) {
	l := &loaded{files: files, schema: schema, srcs: map[string][]byte{}}
	fset := ast.NewFileSet()
	var parsed []*ast.PolicyFile
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		l.srcs[name] = b
		f, errs := parser.ParseFile(fset, name, b)
		l.diags = append(l.diags, errs...)
		if f != nil {
			parsed = append(parsed, f)
		}
	}
	reg, err := buildRegistry(schema, parsed)
	if err != nil {
		return nil, err
	}
	l.reg = reg
	if l.diags.Err() != nil {
		l.diags.Sort()
		return l, nil
	}
	prog, errs := loader.Load(fset, parsed, reg)
	l.diags = append(l.diags, errs...)
	if errs.Err() != nil {
		l.diags.Sort()
		return l, nil
	}
	l.prog = prog
	p, cerrs := engine.Compile(prog, reg)
	l.diags = append(l.diags, cerrs...)
	if cerrs.Err() != nil {
		l.diags.Sort()
		return l, nil
	}
	p.Warnings = l.diags.Warnings()
	if o.inline {
		for _, r := range runInline(p, o.query) {
			if !r.ok {
				l.diags.Add(r.diag(p.FileSet()))
			}
		}
		if l.diags.Err() != nil {
			l.diags.Sort()
			return l, nil
		}
	}
	l.diags.Sort()
	l.policy = p
	return l, nil
}

// buildRegistry registers the schema's classes and an empty placeholder
// class for every other class named by an actor or resource block.
func buildRegistry(schema *schemaFile, files []*ast.PolicyFile) (*engine.Registry, error) {
	reg := engine.NewRegistry()
	if schema != nil {
		if err := schema.register(reg); err != nil {
			return nil, err
		}
	}
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, it := range f.Items {
			b, ok := it.(*ast.Block)
			if !ok || b == nil || b.Name == "" || reg.Known(b.Name) || engine.IsBuiltinClass(b.Name) {
				continue
			}
			// A distinct marker field makes a distinct Go type per class.
			t := reflect.StructOf([]reflect.StructField{markerField(b.Name)})
			if err := reg.RegisterClass(t, b.Name, nil); err != nil {
				return nil, err
			}
		}
	}
	return reg, nil
}

// inlineResult is the outcome of one inline query.
type inlineResult struct {
	q   *ast.Query
	ok  bool
	err error
}

func (r inlineResult) diag(fset *ast.FileSet) *ast.Error {
	if r.err != nil {
		e := ast.NewError(fset, r.q.At, ast.KindValidation, "inline query failed with an error: %v", oneLine(r.err))
		e.Err = r.err
		return e
	}
	return ast.NewError(fset, r.q.At, ast.KindValidation, "inline query failed: %s", ast.String(r.q.Body))
}

// runInline runs the inline queries of p, in load order.
func runInline(p *engine.Policy, opts *engine.QueryOptions) []inlineResult {
	var out []inlineResult
	for _, q := range p.Program().Queries {
		r := inlineResult{q: q}
		for _, err := range p.QueryExpr(context.Background(), opts, q.Body) {
			r.ok, r.err = err == nil, err
			break
		}
		out = append(out, r)
	}
	return out
}

// oneLine is the first line of an error message (without its snippet).
func oneLine(err error) string {
	if e, ok := err.(*ast.Error); ok {
		return e.Header()
	}
	if l, ok := err.(ast.ErrorList); ok && len(l) > 0 {
		return l[0].Header()
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// printDiags writes errors and warnings with their snippets and returns the
// number of errors.
func printDiags(w io.Writer, diags ast.ErrorList) int {
	n := 0
	for _, d := range diags {
		fmt.Fprintln(w, d.Error())
		if d.Severity == ast.SeverityError {
			n++
		}
	}
	return n
}

// setup loads the files of a command line with its optional --schema. It
// prints problems to stderr and returns a non-zero exit code on failure.
func setup(cl *cmdline, o loadOpts, stderr io.Writer) (*loaded, int) {
	var schema *schemaFile
	if path := cl.flags["schema"]; path != "" {
		s, err := readSchema(path)
		if err != nil {
			fmt.Fprintf(stderr, "ursa %s: %v\n", cl.cmd, err)
			return nil, exitFail
		}
		schema = s
	}
	l, err := loadPolicy(cl.files, schema, o)
	if err != nil {
		fmt.Fprintf(stderr, "ursa %s: %v\n", cl.cmd, err)
		return nil, exitFail
	}
	diags := l.diags
	if o.noWarnings {
		diags = diags.Errors()
	}
	if printDiags(stderr, diags) > 0 || l.policy == nil {
		return nil, exitFail
	}
	return l, exitOK
}
