package loader

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/parser"
)

const apiPolicyA = `has_role(user: User, name: String, repo: Repo) if name in user.roles and repo.public;
actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  relations = { parent: Org };
  "read" if "reader";
  "reader" if "member" on "parent";
}
?= has_role(new User(), "reader", new Repo());
has_role(user: User, "member", org: Org) if org in user.orgs;
`

const apiPolicyB = `resource Repo { permissions = ["push"]; }
resource Org { roles = ["member"]; }
has_relation(org: Org, "parent", repo: Repo) if org = repo.org;
allow(actor, action, resource) if has_permission(actor, action, resource);
?= allow(1, 2, 3) or true;
`

func TestProgramAPI(t *testing.T) {
	prog, diags := load(t, source{"a.polar", apiPolicyA}, source{"b.polar", apiPolicyB})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	if len(prog.Warnings) != 0 || len(diags) != 0 {
		t.Fatalf("unexpected warnings: %v", diags)
	}
	if Key("has_role", 3) != "has_role/3" {
		t.Errorf("Key = %q", Key("has_role", 3))
	}

	// Rule order: the user rule before the block, the expansion where the
	// block is, then the later user rule.
	hr := prog.Pred("has_role", 3)
	if hr == nil || hr.Name != "has_role" || hr.Arity != 3 {
		t.Fatalf("Pred(has_role, 3) = %+v", hr)
	}
	var got []string
	for _, r := range hr.Rules {
		got = append(got, fmt.Sprintf("%s %v", prog.Fset.Position(r.At), r.Source != nil))
	}
	want := []string{"a.polar:1:1 false", "a.polar:8:3 true", "a.polar:11:1 false"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("has_role rules: got %v, want %v", got, want)
	}
	exp := hr.Rules[1]
	if exp.Source == nil || exp.Source.Relation == nil || exp.Source.Relation.Value != "parent" {
		t.Fatalf("expanded rule source = %+v", exp.Source)
	}
	if s := ast.String(exp); s != "has_role(actor: Actor, \"reader\", resource: Repo) if\n    has_relation(related, \"parent\", resource) and\n    has_role(actor, \"member\", related);" {
		t.Errorf("expanded rule:\n%s", s)
	}
	// The has_relation call points at "parent", the has_role call at "member".
	and := exp.Body.(*ast.And)
	if p := prog.Fset.Position(and.Goals[0].Pos()); p.String() != "a.polar:8:27" {
		t.Errorf("has_relation call at %s", p)
	}
	if p := prog.Fset.Position(and.Goals[1].Pos()); p.String() != "a.polar:8:15" {
		t.Errorf("has_role call at %s", p)
	}
	if prog.Pred("has_role", 2) != nil || prog.Pred("nothing", 0) != nil {
		t.Error("Pred of an undefined predicate is not nil")
	}

	// Blocks merge across files; Decl is the first declaration.
	repo := prog.Blocks["Repo"]
	if repo == nil || repo.Kind != ast.ResourceBlock || repo.Class != "Repo" {
		t.Fatalf("Blocks[Repo] = %+v", repo)
	}
	if !reflect.DeepEqual(repo.Roles, []string{"reader"}) || !reflect.DeepEqual(repo.Permissions, []string{"read", "push"}) ||
		!reflect.DeepEqual(repo.Relations, map[string]string{"parent": "Org"}) {
		t.Errorf("merged Repo block = %+v", repo)
	}
	if prog.Fset.Position(repo.Decl.At).String() != "a.polar:3:1" {
		t.Errorf("Repo Decl at %s", prog.Fset.Position(repo.Decl.At))
	}
	if !prog.IsActor("User") || prog.IsActor("Repo") || !prog.IsResource("Repo") || !prog.IsResource("Org") || prog.IsResource("User") {
		t.Error("IsActor/IsResource disagree with the blocks")
	}

	// Rule types: built-ins (has_role because roles are declared) and the
	// generated has_relation type.
	var types []string
	for _, name := range []string{"allow", "allow_field", "allow_request", "has_permission", "has_role", "has_relation"} {
		for _, rt := range prog.RuleTypes[name] {
			types = append(types, ruleTypeString(rt))
		}
	}
	wantTypes := []string{
		"allow(actor, action, resource)",
		"allow_field(actor, action, resource, field)",
		"allow_request(actor, request)",
		"has_permission(actor: Actor, name: String, resource: Resource)",
		"has_role(actor: Actor, name: String, resource: Resource)",
		`has_relation(subject: Org, "parent", object: Repo)`,
	}
	if !reflect.DeepEqual(types, wantTypes) {
		t.Errorf("rule types:\n%q\nwant\n%q", types, wantTypes)
	}

	// Queries in load order.
	if len(prog.Queries) != 2 || prog.Fset.Position(prog.Queries[0].At).Filename != "a.polar" ||
		prog.Fset.Position(prog.Queries[1].At).Filename != "b.polar" {
		t.Errorf("queries: %v", prog.Queries)
	}
	if len(prog.Files) != 2 || prog.Fset == nil {
		t.Error("Files/Fset not kept")
	}
}

func TestNoRolesMeansNoHasRoleType(t *testing.T) {
	prog, diags := loadOne(t, `has_role(x, y) if x = y;
allow(_, _, _) if has_role(1, 1);`)
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	if len(prog.RuleTypes["has_role"]) != 0 {
		t.Errorf("has_role rule types without roles: %v", prog.RuleTypes["has_role"])
	}
}

func TestWarningsKeptInProgram(t *testing.T) {
	prog, diags := loadOne(t, `f(x);`)
	if diags.Err() != nil {
		t.Fatal(diags)
	}
	if len(prog.Warnings) != 2 || !reflect.DeepEqual(prog.Warnings, diags.Warnings()) {
		t.Fatalf("warnings = %v", prog.Warnings)
	}
	for _, w := range prog.Warnings {
		if w.Severity != ast.SeverityWarning || !errors.Is(w, ast.ErrValidation) {
			t.Errorf("warning %v: severity %v", w, w.Severity)
		}
	}
}

// Three mistakes in different places give three errors, each at its own
// line and column, sorted by position.
func TestThreeErrorsThreePlaces(t *testing.T) {
	src := `actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "raeder";
}
has_role(user: User, name: String, repo: Repo) if user.role(repo) = name;
allow(actor, action, resource) if has_permision(actor, action, resource);
allow(actor: Usr, "admin", _resource) if actor.admin;
`
	_, diags := loadOne(t, src)
	errs := diags.Errors()
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Column))
	}
	want := []string{"5:13", "8:35", "9:14"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("error positions %v, want %v:\n%v", got, want, diags)
	}
	err := diags.Err()
	if !errors.Is(err, ast.ErrValidation) || errors.Is(err, ast.ErrSyntax) {
		t.Errorf("errors.Is: %v", err)
	}
	var e *ast.Error
	if !errors.As(err, &e) || e.Pos.Line != 5 {
		t.Errorf("errors.As gave %v", e)
	}
}

// Hand-built trees with missing pieces (as a recovering parser or another
// tool might produce) give messages or are skipped, never a panic.
func TestIncompleteTrees(t *testing.T) {
	fset := ast.NewFileSet()
	f := fset.AddFile("x.polar", []byte("x"))
	at := f.Pos(0)
	files := []*ast.PolicyFile{nil, {File: f, Items: []ast.Item{
		(*ast.Rule)(nil),
		&ast.Rule{At: at, Name: "allow", Params: []*ast.Param{nil, {At: at}, {At: at, Term: &ast.Var{At: at, Name: "_"}}},
			Body: &ast.And{At: at, Goals: []ast.Expr{nil, &ast.Call{At: at, Name: "allow", Args: []ast.Expr{nil, nil, nil}, Kwargs: []*ast.Field{nil}},
				&ast.Paren{At: at}, &ast.Not{At: at}, &ast.Dot{At: at}, &ast.Binary{At: at, Op: ast.OpMatches}, &ast.Pattern{At: at, Class: "User", Fields: []*ast.Field{nil}}}}},
		&ast.Block{At: at, Kind: ast.ResourceBlock, Name: "Repo", Roles: []*ast.StringLit{nil}, Relations: []*ast.Relation{nil},
			Shorthands: []*ast.Shorthand{nil, {At: at}, {At: at, Head: &ast.StringLit{At: at, Value: "x"}, Body: &ast.StringLit{At: at, Value: "y"}, Relation: &ast.StringLit{At: at, Value: "z"}}}},
		&ast.RuleType{At: at, Name: "allow", Params: []*ast.Param{nil}},
		&ast.Query{At: at},
		(*ast.Block)(nil),
	}}}
	for _, classes := range []Classes{nil, newFakeClasses()} {
		_, diags := Load(fset, files, classes)
		if diags.Err() == nil {
			t.Error("no error for an undeclared shorthand name")
		}
	}
	if _, diags := Load(nil, nil, nil); len(diags) != 1 || diags[0].Severity != ast.SeverityWarning {
		t.Errorf("empty load: %v", diags)
	}
}

// Without a host (nil Classes) only the built-in classes are known.
func TestNilClasses(t *testing.T) {
	fset := ast.NewFileSet()
	f, errs := parser.ParseFile(fset, "p.polar", []byte(`allow(_: String, _: Integer, _: User);`))
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	_, diags := Load(fset, []*ast.PolicyFile{f}, nil)
	if len(diags) != 1 || diags[0].Pos.Column != 33 {
		t.Fatalf("diags = %v", diags)
	}
}

func FuzzLoad(f *testing.F) {
	for _, path := range []string{"testdata/gitclub.txtar", "testdata/merged_blocks.txtar"} {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, tc := range checkCases {
		f.Add(tc.src)
	}
	f.Fuzz(func(t *testing.T, src string) {
		fset := ast.NewFileSet()
		file, _ := parser.ParseFile(fset, "f.polar", []byte(src))
		prog, diags := Load(fset, []*ast.PolicyFile{file}, newFakeClasses())
		for _, d := range diags {
			if !d.Pos.IsValid() && d.Severity == ast.SeverityError {
				t.Errorf("error without a position: %v", d)
			}
		}
		if diags.Err() == nil {
			for k, p := range prog.Preds {
				if Key(p.Name, p.Arity) != k || len(p.Rules) == 0 {
					t.Errorf("bad predicate %s", k)
				}
			}
		}
	})
}

func ExampleLoad() {
	src := `actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
}
has_role(user: User, name: String, repo: Repo) if name in user.roles and repo.public;
allow(actor, action, resource) if has_permission(actor, action, resource);
`
	fset := ast.NewFileSet()
	file, _ := parser.ParseFile(fset, "policy.polar", []byte(src))
	prog, diags := Load(fset, []*ast.PolicyFile{file}, newFakeClasses())
	if err := diags.Err(); err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range prog.Pred("has_permission", 3).Rules {
		fmt.Println(ast.String(r))
	}
	// Output:
	// has_permission(actor: Actor, "read", resource: Repo) if
	//     has_role(actor, "reader", resource);
}

// BenchmarkLoad loads a policy of 200 resource blocks (1000 shorthand rules)
// plus 1000 ordinary rules.
func BenchmarkLoad(b *testing.B) {
	var src strings.Builder
	src.WriteString("actor User {}\nallow(actor, action, resource) if has_permission(actor, action, resource);\n")
	src.WriteString("has_role(user: User, name: String, resource: Resource) if name in user.roles(resource);\n")
	for i := range 200 {
		fmt.Fprintf(&src, `resource Repo%d {
  roles = ["reader", "writer"];
  permissions = ["read", "write"];
  relations = { parent: Org };
  "read" if "reader";
  "write" if "writer";
  "reader" if "writer";
  "reader" if "member" on "parent";
  "writer" if "owner" on "parent";
}
has_relation(org: Org, "parent", repo: Repo%d) if org.id = repo.org_id;
`, i, i)
	}
	src.WriteString("resource Org { roles = [\"member\", \"owner\"]; }\n")
	for i := range 1000 {
		fmt.Fprintf(&src, "helper%d(x, y) if x.a = y and helper%d(y, x);\n", i%100, (i+1)%100)
	}
	fset := ast.NewFileSet()
	file, errs := parser.ParseFile(fset, "big.polar", []byte(src.String()))
	if errs.Err() != nil {
		b.Fatal(errs)
	}
	classes := newFakeClasses()
	for i := range 200 {
		classes.known[fmt.Sprintf("Repo%d", i)] = true
	}
	files := []*ast.PolicyFile{file}
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := Load(fset, files, classes); diags.Err() != nil {
			b.Fatal(diags)
		}
	}
}
