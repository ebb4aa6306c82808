package loader

import (
	"strconv"
	"strings"
	"testing"
)

// checkCases gives one small policy per load-time check. Each lists every
// diagnostic (errors and warnings) in order, exactly as Error() renders it:
// file:line:col, message, source line and caret.
var checkCases = []struct {
	name string
	src  string
	want []string
}{
	{
		name: "duplicate role",
		src: `actor User {}
resource Repo { roles = ["r", "r"]; }
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:2:31: duplicate declaration of role "r" in resource Repo (first declared at p.polar:2:26)
resource Repo { roles = ["r", "r"]; }
                              ^`,
		},
	},
	{
		name: "role and permission share a name",
		src: `actor User {}
resource Repo { roles = ["read"]; permissions = ["read"]; }
has_role(_: User, _: String, _: Repo);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:2:50: "read" is declared as a role and as a permission in resource Repo (first declared at p.polar:2:26); a name may be declared once
resource Repo { roles = ["read"]; permissions = ["read"]; }
                                                 ^`,
		},
	},
	{
		name: "duplicate relation across repeated blocks",
		src: `actor User {}
resource Repo { relations = { parent: Org }; }
resource Org {}
resource Repo { relations = { parent: Org }; }
allow(_, _, _);`,
		want: []string{
			`p.polar:4:31: duplicate declaration of relation "parent" in resource Repo (first declared at p.polar:2:31)
resource Repo { relations = { parent: Org }; }
                              ^`,
		},
	},
	{
		name: "unknown block class",
		src: `actor Usr {}
allow(_, _, _);`,
		want: []string{
			`p.polar:1:7: unknown class Usr in actor block: it is not registered with the host
actor Usr {}
      ^`,
		},
	},
	{
		name: "unknown relation class",
		src: `resource Repo { relations = { parent: Orgg }; }
allow(_, _, _);`,
		want: []string{
			`p.polar:1:39: unknown class Orgg in relation "parent" of resource Repo
resource Repo { relations = { parent: Orgg }; }
                                      ^`,
		},
	},
	{
		name: "roles in an actor block",
		src: `actor User { roles = ["admin"]; }
allow(_, _, _);`,
		want: []string{
			`p.polar:1:14: actor block User declares roles; roles, permissions and shorthand rules belong in a resource block: resource User { ... }
actor User { roles = ["admin"]; }
             ^`,
		},
	},
	{
		name: "undeclared head",
		src: `actor User {}
resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "raed" if "reader";
}
has_role(_: User, _: String, _: Repo);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:5:3: undeclared term "raed" in shorthand rule of resource Repo; did you mean "read"? (Repo declares roles "reader"; permissions "read")
  "raed" if "reader";
  ^`,
		},
	},
	{
		name: "undeclared body without suggestion",
		src: `actor User {}
resource Repo {
  permissions = ["read"];
  "read" if "maintainer";
}
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:4:13: undeclared term "maintainer" in shorthand rule of resource Repo (Repo declares permissions "read")
  "read" if "maintainer";
            ^`,
		},
	},
	{
		name: "undeclared relation after on",
		src: `actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parnt";
}
has_role(_: User, _: String, _: Resource);
allow(_, _, _);`,
		want: []string{
			`p.polar:6:27: undeclared relation "parnt" in shorthand rule of resource Repo; did you mean "parent"? (Repo declares roles "reader"; relations "parent")
  "reader" if "member" on "parnt";
                          ^`,
		},
	},
	{
		name: "relation in head",
		src: `actor User {}
resource Repo {
  roles = ["reader"];
  relations = { owner: User };
  "owner" if "reader";
}
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:5:3: the head of a shorthand rule must name a role or permission, but "owner" is a relation of Repo
  "owner" if "reader";
  ^`,
		},
	},
	{
		name: "on names a role",
		src: `actor User {}
resource Repo {
  roles = ["reader", "writer"];
  "reader" if "writer" on "writer";
}
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			"p.polar:4:27: \"writer\" after `on` must be a relation of Repo, but it is declared as a role\n  \"reader\" if \"writer\" on \"writer\";\n                          ^",
		},
	},
	{
		name: "relation body to a non-actor",
		src: `actor User {}
resource Org {}
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "parent";
}
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			"p.polar:6:15: \"parent\" is a relation of Repo to Org, which is not an actor class; without `on` a relation in a shorthand body must relate to an actor (declare actor Org {}), or go through it: \"<role>\" if \"<role>\" on \"parent\"\n  \"reader\" if \"parent\";\n              ^",
		},
	},
	{
		name: "related class without block",
		src: `actor User {}
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parent";
}
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:5:27: relation "parent" of Repo has class Org, which has no resource block; declare one: resource Org { ... }
  "reader" if "member" on "parent";
                          ^`,
		},
	},
	{
		name: "on body undeclared in related block",
		src: `actor User {}
resource Org { roles = ["member"]; permissions = ["read"]; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "membr" on "parent";
}
has_role(_: User, _: String, _: Resource);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:6:15: undeclared term "membr" in shorthand rule: relation "parent" leads to Org, which declares no role or permission "membr"; did you mean "member"? (Org declares roles "member"; permissions "read")
  "reader" if "membr" on "parent";
              ^`,
		},
	},
	{
		name: "on body is a relation of the related block",
		src: `actor User {}
resource Org { relations = { owner: User }; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "owner" on "parent";
}
has_role(_: User, _: String, _: Repo);
allow(_, _, _);`,
		want: []string{
			"p.polar:6:15: \"owner\" is a relation of Org; in a shorthand rule with `on` the body must name a role or permission of the related class Org\n  \"reader\" if \"owner\" on \"parent\";\n              ^",
		},
	},
	{
		name: "shorthand rules without actor blocks",
		src: `resource Repo {
  roles = ["reader"];
  permissions = ["read"];
  "read" if "reader";
}
has_role(_: Repo, _: String, _: Repo);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:2:3: missing implementation for required rule has_role(actor: Actor, name: String, resource: Resource): resource Repo declares roles at line 2, so has_role must be defined, e.g. has_role(actor: User, role: String, resource: Repo) if ...;
  roles = ["reader"];
  ^`,
			`p.polar:4:3: warning: shorthand rules expand to rules on actor: Actor, but no actor block declares an actor class, so they never apply; declare one, e.g. actor User {}
  "read" if "reader";
  ^`,
			`p.polar:6:1: invalid rule: has_role(_: Repo, _: String, _: Repo) does not match rule type(s): has_role(actor: Actor, name: String, resource: Resource) (built-in): parameter 1: rule specializer Repo must be a member of rule type specializer Actor (classes declared in actor blocks)
has_role(_: Repo, _: String, _: Repo);
^`,
		},
	},
	{
		name: "unspecialized parameter where the type names a class",
		src: `actor User {}
resource Repo { roles = ["reader"]; }
has_role(user, name: String, repo: Repo) if user.id = repo.id and name = "reader";
allow(_, _, _);`,
		want: []string{
			`p.polar:2:17: missing implementation for required rule has_role(actor: Actor, name: String, resource: Resource): resource Repo declares roles at line 2, so has_role must be defined, e.g. has_role(actor: User, role: String, resource: Repo) if ...;
resource Repo { roles = ["reader"]; }
                ^`,
			"p.polar:3:1: invalid rule: has_role(user, name: String, repo: Repo) does not match rule type(s): has_role(actor: Actor, name: String, resource: Resource) (built-in): parameter 1: parameter `user` expects an Actor type constraint\nhas_role(user, name: String, repo: Repo) if user.id = repo.id and name = \"reader\";\n^",
		},
	},
	{
		name: "class that is not an actor",
		src: `actor User {}
resource Repo { permissions = ["read"]; }
has_permission(_: Org, "read", _: Repo);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: []string{
			`p.polar:3:1: invalid rule: has_permission(_: Org, "read", _: Repo) does not match rule type(s): has_permission(actor: Actor, name: String, resource: Resource) (built-in): parameter 1: rule specializer Org must be a member of rule type specializer Actor (classes declared in actor blocks)
has_permission(_: Org, "read", _: Repo);
^`,
		},
	},
	{
		name: "subclasses of actor and resource classes fit",
		src: `actor User {}
resource Repo { permissions = ["read"]; }
has_permission(_: Admin, "read", _: Repo);
has_permission(_: Actor, "read", _: Resource);
allow(_a, _b, _c) if has_permission(_a, _b, _c);`,
		want: nil,
	},
	{
		name: "wrong literal and wrong arity against user types",
		src: `type owns(user: User, "owner", repo: Repo);
type owns(user: User, repo: Repo);
owns(_: User, "owner", _: Repo);
owns(_: User, _: Repo);
owns(_: User, "admin", _: Repo);
owns(_: User, _: Repo, _: Repo, _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:5:1: invalid rule: owns(_: User, "admin", _: Repo) does not match rule type(s): owns(user: User, "owner", repo: Repo) (declared at p.polar:1:1): parameter 2: parameter value "admin" does not match rule type value "owner"; owns(user: User, repo: Repo) (declared at p.polar:2:1): expected 2 parameters, got 3
owns(_: User, "admin", _: Repo);
^`,
			`p.polar:6:1: invalid rule: owns(_: User, _: Repo, _: Repo, _: Repo) does not match rule type(s): owns(user: User, "owner", repo: Repo) (declared at p.polar:1:1): expected 3 parameters, got 4; owns(user: User, repo: Repo) (declared at p.polar:2:1): expected 2 parameters, got 4
owns(_: User, _: Repo, _: Repo, _: Repo);
^`,
		},
	},
	{
		name: "literal and pattern fields against user types",
		src: `type f(n: Integer, d: Dictionary, r: Repo{public: true});
f(1, {a: 1}, _: Repo{public: true, name: "x"});
f(1.5, {a: 1}, _: Repo{public: true});
f(1, _: {a: 1}, _: Repo{public: false});
f(1, _: {a: 1}, _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:3:1: invalid rule: f(1.5, {a: 1}, _: Repo{public: true}) does not match rule type(s): f(n: Integer, d: Dictionary, r: Repo{public: true}) (declared at p.polar:1:1): parameter 1: value 1.5 is not an Integer
f(1.5, {a: 1}, _: Repo{public: true});
^`,
			`p.polar:4:1: invalid rule: f(1, _: {a: 1}, _: Repo{public: false}) does not match rule type(s): f(n: Integer, d: Dictionary, r: Repo{public: true}) (declared at p.polar:1:1): parameter 3: field public is false, rule type requires true
f(1, _: {a: 1}, _: Repo{public: false});
^`,
			`p.polar:5:1: invalid rule: f(1, _: {a: 1}, _: Repo) does not match rule type(s): f(n: Integer, d: Dictionary, r: Repo{public: true}) (declared at p.polar:1:1): parameter 3: specializer Repo has no fields, rule type specializer Repo{...} requires public
f(1, _: {a: 1}, _: Repo);
^`,
		},
	},
	{
		name: "allow arity",
		src:  `allow(_actor, _resource);`,
		want: []string{
			`p.polar:1:1: invalid rule: allow(_actor, _resource) does not match rule type(s): allow(actor, action, resource) (built-in): expected 3 parameters, got 2
allow(_actor, _resource);
^`,
		},
	},
	{
		name: "missing has_role",
		src: `actor User {}
resource Repo {
  roles = ["reader"];
}
allow(_, _, _);`,
		want: []string{
			`p.polar:3:3: missing implementation for required rule has_role(actor: Actor, name: String, resource: Resource): resource Repo declares roles at line 3, so has_role must be defined, e.g. has_role(actor: User, role: String, resource: Repo) if ...;
  roles = ["reader"];
  ^`,
		},
	},
	{
		name: "missing has_relation",
		src: `actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parent";
}
has_role(_: User, _: String, _: Org);
allow(_, _, _);`,
		want: []string{
			`p.polar:6:3: missing implementation for required rule has_relation(subject: Org, "parent", object: Repo): the shorthand rule "reader" if "member" on "parent" in the resource Repo block at line 3 uses this relation; define has_relation for it or remove the shorthand rule
  "reader" if "member" on "parent";
  ^`,
		},
	},
	{
		name: "has_relation that does not fit the generated type",
		src: `actor User {}
resource Org { roles = ["member"]; }
resource Repo {
  roles = ["reader"];
  relations = { parent: Org };
  "reader" if "member" on "parent";
}
has_role(_: User, _: String, _: Org);
has_relation(_: Repo, "parent", _: Repo);
allow(_, _, _);`,
		want: []string{
			`p.polar:6:3: missing implementation for required rule has_relation(subject: Org, "parent", object: Repo): the shorthand rule "reader" if "member" on "parent" in the resource Repo block at line 3 uses this relation; define has_relation for it or remove the shorthand rule
  "reader" if "member" on "parent";
  ^`,
			`p.polar:9:1: invalid rule: has_relation(_: Repo, "parent", _: Repo) does not match rule type(s): has_relation(subject: Org, "parent", object: Repo) (required by the shorthand rule "reader" if "member" on "parent" at p.polar:6:3): parameter 1: rule specializer Repo must match rule type specializer Org
has_relation(_: Repo, "parent", _: Repo);
^`,
		},
	},
	{
		name: "undefined calls",
		src: `allow(_a, _b, _c) if foo(_a) and alow(_a, _b, _c) and not (bar() or allow(_a, _b));
?= baz(1);`,
		want: []string{
			`p.polar:1:22: call to undefined rule foo/1
allow(_a, _b, _c) if foo(_a) and alow(_a, _b, _c) and not (bar() or allow(_a, _b));
                     ^`,
			`p.polar:1:34: call to undefined rule alow/3; did you mean allow/3?
allow(_a, _b, _c) if foo(_a) and alow(_a, _b, _c) and not (bar() or allow(_a, _b));
                                 ^`,
			`p.polar:1:60: call to undefined rule bar/0
allow(_a, _b, _c) if foo(_a) and alow(_a, _b, _c) and not (bar() or allow(_a, _b));
                                                           ^`,
			`p.polar:1:69: call to undefined rule allow/2; allow is defined as allow/3
allow(_a, _b, _c) if foo(_a) and alow(_a, _b, _c) and not (bar() or allow(_a, _b));
                                                                    ^`,
			`p.polar:2:4: call to undefined rule baz/1
?= baz(1);
   ^`,
		},
	},
	{
		name: "keyword arguments in a rule call",
		src: `f(_x);
allow(_, _, _) if f(1, key: 2);`,
		want: []string{
			`p.polar:2:24: keyword argument key in a call to rule f: rules take positional arguments only
allow(_, _, _) if f(1, key: 2);
                       ^`,
		},
	},
	{
		name: "unknown classes",
		src:  `allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);`,
		want: []string{
			`p.polar:1:11: unknown class Usr: it is neither a built-in class nor registered with the host
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
          ^`,
			`p.polar:1:34: unknown class Foo: it is neither a built-in class nor registered with the host
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
                                 ^`,
			`p.polar:1:58: unknown class Bar: it is neither a built-in class nor registered with the host
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
                                                         ^`,
			`p.polar:1:66: unknown class Baz: it is neither a built-in class nor registered with the host
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
                                                                 ^`,
			`p.polar:1:95: warning: Actor matches no class: no actor block is declared, so this never matches; declare one, e.g. actor User {}
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
                                                                                              ^`,
			`p.polar:1:115: warning: Resource matches no class: no resource block is declared, so this never matches; declare one, e.g. resource Repo {}
allow(_x: Usr, _y: Dictionary{a: Foo{}}, z) if z matches Bar and new Baz(1) = z and z matches Actor and z matches Resource and _x = Math.sqrt(2);
                                                                                                                  ^`,
		},
	},
	{
		name: "singletons",
		src:  `allow(actor, action, resource) if resource.public and _x = 1 and action = {name} and name = unused.y and Role.ADMIN = z;`,
		want: []string{
			`p.polar:1:7: warning: singleton variable actor is unused or undefined; try renaming to _actor
allow(actor, action, resource) if resource.public and _x = 1 and action = {name} and name = unused.y and Role.ADMIN = z;
      ^`,
			`p.polar:1:93: warning: singleton variable unused is unused or undefined; try renaming to _unused
allow(actor, action, resource) if resource.public and _x = 1 and action = {name} and name = unused.y and Role.ADMIN = z;
                                                                                            ^`,
			`p.polar:1:119: warning: singleton variable z is unused or undefined; try renaming to _z
allow(actor, action, resource) if resource.public and _x = 1 and action = {name} and name = unused.y and Role.ADMIN = z;
                                                                                                                      ^`,
		},
	},
	{
		name: "no allow rule",
		src:  `f(1);`,
		want: []string{
			`p.polar:1:1: warning: your policy does not contain an allow rule, which usually means that no actions are allowed; add one, e.g. allow(actor, action, resource) if has_permission(actor, action, resource); (an allow_field or allow_request rule also silences this warning)
f(1);
^`,
		},
	},
	{
		name: "allow_field alone is enough",
		src:  `allow_field(_, _, _, _);`,
		want: nil,
	},
	{
		name: "permissions never reached",
		src: `actor User {}
resource Repo { permissions = ["read"]; }
resource Org { permissions = ["read"]; }
resource Repo { permissions = ["write"]; }
allow(_, _, _);`,
		want: []string{
			`p.polar:2:17: warning: resource Repo declares permissions, but no rule calls has_permission, so they are never used in authorization decisions; add e.g. allow(actor, action, resource) if has_permission(actor, action, resource);
resource Repo { permissions = ["read"]; }
                ^`,
			`p.polar:3:16: warning: resource Org declares permissions, but no rule calls has_permission, so they are never used in authorization decisions; add e.g. allow(actor, action, resource) if has_permission(actor, action, resource);
resource Org { permissions = ["read"]; }
               ^`,
		},
	},
}

func TestChecks(t *testing.T) {
	for _, tc := range checkCases {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := loadOne(t, tc.src)
			var got []string
			for _, e := range diags {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n----\n") != strings.Join(tc.want, "\n----\n") {
				var b strings.Builder
				for _, g := range got {
					if strings.Contains(g, "`") {
						b.WriteString("\t\t\t" + strconv.Quote(g) + ",\n")
					} else {
						b.WriteString("\t\t\t`" + g + "`,\n")
					}
				}
				t.Errorf("diagnostics mismatch; got:\n%s", b.String())
			}
		})
	}
}
