package ursa_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
)

type Panicky struct{}

func (Panicky) Boom() bool { panic("kaboom") }

type Secret struct {
	Owner int
	Title string
	Body  string
}

func TestRuntimeErrorsFailClosed(t *testing.T) {
	a, _ := ursa.New()
	_ = a.RegisterClass(Doc{})
	_ = a.RegisterClass(Panicky{})
	if err := a.LoadString("p.polar", `
allow(_, "read", d: Doc) if d.no_such_field = 1;
allow(_, "boom", p: Panicky) if p.boom();
allow(_, "div", _) if 1 / 0 = 1;
`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ok, err := a.IsAllowed(ctx, 1, "read", Doc{})
	if ok || !errors.Is(err, ast.ErrRuntime) {
		t.Fatalf("missing field: %v %v", ok, err)
	}
	var ae *ast.Error
	if !errors.As(err, &ae) || ae.Pos.Line != 2 || !strings.Contains(ae.Msg, "no_such_field") {
		t.Fatalf("position/message: %#v", err)
	}
	ok, err = a.IsAllowed(ctx, 1, "boom", Panicky{})
	if ok || err == nil || !strings.Contains(err.Error(), "kaboom") {
		t.Fatalf("panicking method: %v %v", ok, err)
	}
	ok, err = a.IsAllowed(ctx, 1, "div", 1)
	if ok || err == nil || !strings.Contains(err.Error(), "division by zero") {
		t.Fatalf("division: %v %v", ok, err)
	}
	// Authorize returns the error, not ErrNotFound.
	err = a.Authorize(ctx, 1, "div", 1)
	if err == nil || errors.Is(err, ursa.ErrNotFound) || errors.Is(err, ursa.ErrForbidden) {
		t.Fatalf("Authorize on error: %v", err)
	}
}

func TestLimitsThroughOptions(t *testing.T) {
	a, _ := ursa.New(ursa.WithMaxSteps(500))
	if err := a.LoadString("p.polar", `allow(a, b, c) if allow(a, b, c + 1);`); err != nil {
		t.Fatal(err)
	}
	ok, err := a.IsAllowed(context.Background(), 1, "x", 1)
	if ok || !errors.Is(err, engine.ErrLimit) {
		t.Fatalf("%v %v", ok, err)
	}
	for _, err := range a.Query(context.Background(), "allow(1, 2, 3)", ursa.WithMaxDepth(10), ursa.WithMaxSteps(-1)) {
		if !errors.Is(err, engine.ErrLimit) || !strings.Contains(err.Error(), "depth") {
			t.Fatalf("query depth: %v", err)
		}
	}
}

func TestFields(t *testing.T) {
	a, _ := ursa.New()
	_ = a.RegisterClass(Secret{})
	_ = a.RegisterClass(User{})
	if err := a.LoadString("f.polar", `
allow_field(_: User, "read", _: Secret, "title");
allow_field(u: User, "read", s: Secret, field) if s.owner = u.id and field in ["body", "title"];
allow_field(u: User, "write", s: Secret, "body") if s.owner = u.id;
`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	owner, other := &User{ID: 1}, &User{ID: 2}
	s := &Secret{Owner: 1}
	got, err := a.AuthorizedFields(ctx, owner, "read", s)
	if err != nil || !slices.Equal(got, []string{"body", "title"}) {
		t.Fatalf("owner fields: %v %v", got, err)
	}
	got, err = a.AuthorizedFields(ctx, other, "read", s)
	if err != nil || !slices.Equal(got, []string{"title"}) {
		t.Fatalf("other fields: %v %v", got, err)
	}
	if err := a.AuthorizeField(ctx, owner, "write", s, "body"); err != nil {
		t.Fatal(err)
	}
	err = a.AuthorizeField(ctx, other, "write", s, "body")
	var ae *ursa.AuthorizationError
	if !errors.Is(err, ursa.ErrForbidden) || !errors.As(err, &ae) || ae.Field != "body" {
		t.Fatalf("other write body: %v", err)
	}
}

func TestWarnings(t *testing.T) {
	a, _ := ursa.New()
	if a.Warnings() != nil {
		t.Fatal("warnings before load")
	}
	if err := a.LoadString("w.polar", "f(x, y) if x = 1;"); err != nil {
		t.Fatal(err)
	}
	ws := a.Warnings()
	if len(ws) == 0 || !strings.Contains(ws[0].Error(), "w.polar:1:") {
		t.Fatalf("warnings: %v", ws)
	}
}

func TestWildcardActionsError(t *testing.T) {
	a, _ := ursa.New()
	if err := a.LoadString("w.polar", `allow(_, _, _);`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AuthorizedActions(context.Background(), 1, 2); err == nil {
		t.Fatal("wildcard action not reported")
	}
}

func TestLoadFSAndFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"policy/a.polar": {Data: []byte(`allow(u, "read", r) if is_owner(u, r);`)},
		"policy/b.polar": {Data: []byte(`is_owner(u, r) if r.owner_id = u.id;`)},
		"other.txt":      {Data: []byte(`not polar`)},
	}
	a, _ := ursa.New()
	_ = a.RegisterClass(User{})
	_ = a.RegisterClass(Doc{})
	if err := a.LoadFS(fsys, "policy/*.polar"); err != nil {
		t.Fatal(err)
	}
	ok, err := a.IsAllowed(context.Background(), &User{ID: 3}, "read", &Doc{OwnerID: 3})
	if err != nil || !ok {
		t.Fatalf("%v %v", ok, err)
	}
	if err := a.LoadFS(fsys, "nothing/*.polar"); err == nil {
		t.Fatal("empty pattern accepted")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "p.polar")
	os.WriteFile(path, []byte("allow(_, \"read\", _);\nallow(x, y) if ;\n"), 0o644)
	err = a.LoadFiles(path)
	var ae *ast.Error
	if !errors.As(err, &ae) || ae.Pos.Filename != path || ae.Pos.Line != 2 || !errors.Is(err, ast.ErrSyntax) {
		t.Fatalf("syntax error: %v", err)
	}
	// old policy still in place
	if ok, _ := a.IsAllowed(context.Background(), &User{ID: 3}, "read", &Doc{OwnerID: 3}); !ok {
		t.Fatal("failed load replaced the policy")
	}
}

func TestRegisterAfterLoadAndClassName(t *testing.T) {
	a, _ := ursa.New()
	_ = a.RegisterClass(User{}, ursa.Name("app::User"))
	if err := a.LoadString("p.polar", `allow(u: app::User, "read", _) if u.id = 1;`); err != nil {
		t.Fatal(err)
	}
	if n, ok := a.ClassName(reflect.TypeOf(&User{})); !ok || n != "app::User" {
		t.Fatalf("ClassName = %q %v", n, ok)
	}
	v := a.Policy().Version()
	if err := a.RegisterConstant("LIMIT", 3); err != nil {
		t.Fatal(err)
	}
	if a.Policy().Version() == v {
		t.Fatal("policy not recompiled after registration")
	}
	for b, err := range a.Query(context.Background(), "x = LIMIT + 1") {
		if err != nil || b["x"] != int64(4) {
			t.Fatalf("%v %v", b, err)
		}
	}
	if err := a.RegisterClass(Doc{}, ursa.Name("app::User")); err == nil {
		t.Fatal("duplicate class name accepted")
	}
}

func TestPrintAndDebugHook(t *testing.T) {
	var out bytes.Buffer
	var events []ursa.DebugEvent
	a, _ := ursa.New(ursa.WithPrintWriter(&out), ursa.WithDebugHook(func(e ursa.DebugEvent) ursa.DebugAction {
		events = append(events, e)
		if e.Kind == engine.DebugBreak {
			return engine.DebugStepInto
		}
		if len(events) > 3 {
			return engine.DebugContinue
		}
		return engine.DebugStepOver
	}))
	if err := a.LoadString("d.polar", `
f(x) if g(x) and print("f", x);
g(x) if debug(x) and x = 1 and h(x);
h(_);
`); err != nil {
		t.Fatal(err)
	}
	var n int
	for b, err := range a.Query(context.Background(), "f(x)") {
		if err != nil {
			t.Fatal(err)
		}
		if b["x"] != int64(1) {
			t.Fatal(b)
		}
		n++
	}
	if n != 1 || out.String() != "f 1\n" {
		t.Fatalf("n=%d out=%q", n, out.String())
	}
	if len(events) < 3 {
		t.Fatalf("events: %+v", events)
	}
	br := events[0]
	if br.Kind != engine.DebugBreak || len(br.Args) != 1 || br.Pos.Line != 3 || len(br.Stack) < 2 || br.Stack[0].Pred != "g/1" || br.Stack[1].Pred != "f/1" {
		t.Fatalf("break event: %+v", br)
	}
	if events[1].Kind != engine.DebugStep || events[1].Goal != "x = 1" {
		t.Fatalf("step event: %+v", events[1])
	}
	if events[2].Goal != "h(x)" || events[2].Bindings["x"] != int64(1) {
		t.Fatalf("step over: %+v", events[2])
	}
}
