package ursa_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa"
)

type xUser struct {
	Name  string
	Admin bool
}

type xDoc struct {
	Owner  string
	Public bool
	Locked bool
}

const explainPolicy = `actor xUser {}
resource xDoc {}
allow(user: xUser, "read", doc: xDoc) if doc.public;
allow(user: xUser, action, doc: xDoc) if owns(user, doc) and can(action, doc);
allow(user: xUser, _action, _doc: xDoc) if user.admin;
owns(user, doc) if doc.owner = user.name;
can("read", _doc);
can("edit", doc) if not doc.locked;
`

func explainAuthz(t *testing.T) *ursa.Authorizer {
	t.Helper()
	a, _ := ursa.New()
	if err := a.RegisterClass(xUser{}); err != nil {
		t.Fatal(err)
	}
	if err := a.RegisterClass(xDoc{}); err != nil {
		t.Fatal(err)
	}
	if err := a.LoadString("x.polar", explainPolicy); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestExplainAllowed(t *testing.T) {
	a := explainAuthz(t)
	ex, err := a.Explain(context.Background(), xUser{Name: "ann"}, "read", xDoc{Owner: "ann", Public: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `allow(xUser{Name: "ann", Admin: false}, "read", xDoc{Owner: "ann", Public: true, Locked: false}) succeeded
  ✓ allow(user: xUser, "read", doc: xDoc)  [x.polar:3:1]
  ✓ allow(user: xUser, action, doc: xDoc)  [x.polar:4:1]
    owns(xUser{Name: "ann", Admin: false}, xDoc{Owner: "ann", Public: true, Locked: false})
      ✓ owns(user, doc)  [x.polar:6:1]
    can("read", xDoc{Owner: "ann", Public: true, Locked: false})
      ✓ can("read", _doc)  [x.polar:7:1]
`
	if got := ex.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !ex.Allowed || len(ex.Rules) != 2 || ex.Rules[1].Pos.Line != 4 || len(ex.Rules[1].Children) != 2 {
		t.Errorf("structure: %+v", ex)
	}
}

func TestExplainDenied(t *testing.T) {
	a := explainAuthz(t)
	ex, err := a.Explain(context.Background(), xUser{Name: "ann"}, "edit", xDoc{Owner: "ann", Locked: true})
	if err != nil {
		t.Fatal(err)
	}
	want := `allow(xUser{Name: "ann", Admin: false}, "edit", xDoc{Owner: "ann", Public: false, Locked: true}) failed
  ✗ allow(user: xUser, action, doc: xDoc)  [x.polar:4:1]
      failed at can(action, doc)  [x.polar:4:62] (1 of 2 goals satisfied)
    can("edit", xDoc{Owner: "ann", Public: false, Locked: true})
      ✗ can("edit", doc)  [x.polar:8:1]
          failed at not doc.locked  [x.polar:8:21] (0 of 1 goals satisfied)
      ✗ can("read", _doc)  [x.polar:7:1]
          the head does not match
  ✗ allow(user: xUser, _action, _doc: xDoc)  [x.polar:5:1]
      failed at user.admin  [x.polar:5:44] (0 of 1 goals satisfied)
  ✗ allow(user: xUser, "read", doc: xDoc)  [x.polar:3:1]
      the head does not match
`
	if got := ex.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if ex.Allowed {
		t.Error("allowed")
	}
}

func TestExplainQueryAndRecursion(t *testing.T) {
	a, _ := ursa.New()
	err := a.LoadString("r.polar", `
reach(x, y) if edge(x, y);
reach(x, z) if edge(x, y) and reach(y, z);
edge(1, 2); edge(2, 3); edge(3, 1);
`)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := a.ExplainQuery(context.Background(), "reach(1, 3)")
	if err != nil {
		t.Fatal(err)
	}
	want := `reach(1, 3) succeeded
  ✓ reach(x, z)  [r.polar:3:1]
    edge(1, 2)
      ✓ edge(1, 2)  [r.polar:4:1]
    reach(2, 3)
      ✓ reach(x, y)  [r.polar:2:1]
        edge(2, 3)
          ✓ edge(2, 3)  [r.polar:4:13]
`
	if got := ex.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// a cyclic graph: the denial terminates
	ex, err = a.ExplainQuery(context.Background(), "reach(1, 4)")
	if err != nil {
		t.Fatal(err)
	}
	if ex.Allowed || !strings.Contains(ex.String(), "recursive") {
		t.Errorf("got\n%s", ex)
	}
	if _, err := a.ExplainQuery(context.Background(), "1 = 1"); err == nil {
		t.Error("a non-call query was accepted")
	}
}

func TestDecisionLog(t *testing.T) {
	var buf bytes.Buffer
	a := explainAuthz(t).WithDecisionLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	ctx := context.Background()
	if ok, err := a.IsAllowed(ctx, xUser{Name: "ann"}, "edit", xDoc{Owner: "ann"}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := a.Authorize(ctx, xUser{Name: "bob"}, "edit", xDoc{Owner: "ann"}); err == nil {
		t.Fatal("bob may edit")
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 records, got %q", buf.String())
	}
	var rec struct {
		Msg, Actor, Action, Resource, Result string
		Rules                                []string
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Msg != "authorization decision" || rec.Action != "edit" || rec.Result != "allow" ||
		rec.Actor != `xUser{Name: "ann", Admin: false}` || len(rec.Rules) != 1 || rec.Rules[0] != "x.polar:4:1: allow(user: xUser, action, doc: xDoc)" {
		t.Errorf("record: %s", lines[0])
	}
	rec.Rules = nil
	if err := json.Unmarshal([]byte(lines[1]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Result != "deny" || rec.Rules != nil {
		t.Errorf("record: %s", lines[1])
	}
}

func ExampleAuthorizer_Explain() {
	type Member struct{ Name string }
	type Page struct {
		Author string
		Draft  bool
	}
	authz, _ := ursa.New()
	_ = authz.RegisterClass(Member{})
	_ = authz.RegisterClass(Page{})
	_ = authz.LoadString("pages.polar", `
allow(m: Member, "read", p: Page) if not p.draft or wrote(m, p);
wrote(m, p) if p.author = m.name;
`)
	ex, _ := authz.Explain(context.Background(), Member{Name: "ann"}, "read", Page{Author: "ann", Draft: true})
	fmt.Print(ex)
	ex, _ = authz.Explain(context.Background(), Member{Name: "bob"}, "read", Page{Author: "ann", Draft: true})
	fmt.Print(ex)
	// Output:
	// allow(Member{Name: "ann"}, "read", Page{Author: "ann", Draft: true}) succeeded
	//   ✓ allow(m: Member, "read", p: Page) (branch 2 of or)  [pages.polar:2:1]
	//     wrote(Member{Name: "ann"}, Page{Author: "ann", Draft: true})
	//       ✓ wrote(m, p)  [pages.polar:3:1]
	// allow(Member{Name: "bob"}, "read", Page{Author: "ann", Draft: true}) failed
	//   ✗ allow(m: Member, "read", p: Page) (branch 1 of or)  [pages.polar:2:1]
	//       failed at not p.draft  [pages.polar:2:38] (0 of 1 goals satisfied)
	//   ✗ allow(m: Member, "read", p: Page) (branch 2 of or)  [pages.polar:2:1]
	//       failed at wrote(m, p)  [pages.polar:2:53] (0 of 1 goals satisfied)
	//     wrote(Member{Name: "bob"}, Page{Author: "ann", Draft: true})
	//       ✗ wrote(m, p)  [pages.polar:3:1]
	//           failed at p.author = m.name  [pages.polar:3:25] (0 of 1 goals satisfied)
}

func TestExplainConcurrent(t *testing.T) {
	a := explainAuthz(t)
	ctx := context.Background()
	done := make(chan string, 8)
	for i := range 8 {
		go func() {
			ex, err := a.Explain(ctx, xUser{Name: "ann"}, []string{"read", "edit"}[i%2], xDoc{Owner: "ann"})
			if err != nil {
				done <- err.Error()
				return
			}
			done <- ex.String()
		}()
	}
	seen := map[string]bool{}
	for range 8 {
		seen[<-done] = true
	}
	if len(seen) != 2 {
		t.Errorf("want 2 distinct explanations, got %d: %v", len(seen), seen)
	}
}

func ExampleAuthorizer_WithDecisionLog() {
	type Member struct{ Name string }
	type Page struct{ Author string }
	authz, _ := ursa.New()
	_ = authz.RegisterClass(Member{})
	_ = authz.RegisterClass(Page{})
	_ = authz.LoadString("pages.polar", `allow(m: Member, "edit", p: Page) if p.author = m.name;`)
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey || a.Key == "policy" {
			return slog.Attr{}
		}
		return a
	}
	logged := authz.WithDecisionLog(slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime})))
	ctx := context.Background()
	_, _ = logged.IsAllowed(ctx, Member{Name: "ann"}, "edit", Page{Author: "ann"})
	_ = logged.Authorize(ctx, Member{Name: "bob"}, "edit", Page{Author: "ann"})
	// Output:
	// level=INFO msg="authorization decision" actor="Member{Name: \"ann\"}" action=edit resource="Page{Author: \"ann\"}" result=allow rules="[pages.polar:1:1: allow(m: Member, \"edit\", p: Page)]"
	// level=INFO msg="authorization decision" actor="Member{Name: \"bob\"}" action=edit resource="Page{Author: \"ann\"}" result=deny
}
