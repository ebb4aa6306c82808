package loader

import (
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/ursa-authz/ursa/engine/ast"
)

// checkClasses reports unknown classes in specializers, patterns, `matches`
// and `new`, in rules, rule types and inline queries.
func (l *loader) checkClasses() {
	v := l.classVisitor()
	for _, r := range l.rules {
		if r.Source != nil {
			continue // expanded rules use block classes, checked with the blocks
		}
		inspectParams(r.Params, v)
		inspect(r.Body, v)
	}
	for _, t := range l.userTyps {
		inspectParams(t.Params, v)
	}
	for _, q := range l.prog.Queries {
		if q != nil {
			inspect(q.Body, v)
		}
	}
	if len(l.prog.actors) == 0 {
		reported := false
		l.eachItem(func(it ast.Item) {
			b, ok := it.(*ast.Block)
			if !ok || reported || len(b.Shorthands) == 0 || b.Shorthands[0] == nil {
				return
			}
			reported = true
			l.warnf(b.Shorthands[0].At, "shorthand rules expand to rules on actor: Actor, but no actor block declares an actor class, so they never apply; declare one, e.g. actor User {}")
		})
	}
}

// classVisitor returns the inspect callback that checks class names.
func (l *loader) classVisitor() func(ast.Expr) bool {
	var f func(ast.Expr) bool
	f = func(e ast.Expr) bool {
		switch e := e.(type) {
		case *ast.ClassRef:
			l.checkClass(e.Name, e.At)
		case *ast.Pattern:
			l.checkClass(e.Class, e.At)
		case *ast.New:
			l.checkClass(e.Class, e.At)
		case *ast.Dot:
			// X may name a registered constant (Class.method()); the host
			// resolves it at run time.
			if _, ok := ast.Unparen(e.X).(*ast.ClassRef); ok {
				inspectAll(e.Args, f)
				inspectFields(e.Kwargs, f)
				inspect(e.Key, f)
				return false
			}
		}
		return true
	}
	return f
}

func (l *loader) checkClass(name string, pos ast.Pos) {
	if l.classKnown(name) {
		return
	}
	switch name {
	// An empty union loads (as in oso) but can never match: a warning.
	case ActorUnion:
		l.warnf(pos, "Actor matches no class: no actor block is declared, so this never matches; declare one, e.g. actor User {}")
	case ResourceUnion:
		l.warnf(pos, "Resource matches no class: no resource block is declared, so this never matches; declare one, e.g. resource Repo {}")
	default:
		l.errorf(pos, "unknown class %s: it is neither a built-in class nor registered with the host", name)
	}
}

// checkCalls reports calls to rules that have no definition.
func (l *loader) checkCalls() {
	byName := map[string][]int{}
	for _, p := range l.prog.Preds {
		byName[p.Name] = append(byName[p.Name], p.Arity)
	}
	visit := func(generated bool) func(ast.Expr) bool {
		return func(e ast.Expr) bool {
			c, ok := e.(*ast.Call)
			if !ok {
				return true
			}
			if len(c.Kwargs) > 0 && c.Kwargs[0] != nil {
				l.errorf(c.Kwargs[0].At, "keyword argument %s in a call to rule %s: rules take positional arguments only", c.Kwargs[0].Key, c.Name)
			}
			k := Key(c.Name, len(c.Args))
			if l.prog.Preds[k] != nil || (generated && l.missing[k]) {
				return true
			}
			if l.blockErrors && len(c.Args) == 3 && (c.Name == "has_role" || c.Name == "has_permission" || c.Name == "has_relation") {
				return true // its rules may be the shorthand rules already in error
			}
			l.errorf(c.At, "call to undefined rule %s%s", k, l.callHint(c.Name, len(c.Args), byName))
			return true
		}
	}
	for _, r := range l.rules {
		inspect(r.Body, visit(r.Source != nil))
	}
	for _, q := range l.prog.Queries {
		if q != nil {
			inspect(q.Body, visit(false))
		}
	}
}

// callHint suggests other arities or similar names for an undefined call.
func (l *loader) callHint(name string, arity int, byName map[string][]int) string {
	if as := byName[name]; len(as) > 0 {
		sort.Ints(as)
		keys := make([]string, len(as))
		for i, a := range as {
			keys[i] = Key(name, a)
		}
		return fmt.Sprintf("; %s is defined as %s", name, strings.Join(keys, ", "))
	}
	best, bestD := "", 3
	for n, as := range byName {
		if !contains(as, arity) {
			continue
		}
		if d := editDistance(n, name); d < bestD || (d == bestD && n < best) {
			best, bestD = n, d
		}
	}
	if best != "" && bestD < len(name) {
		return fmt.Sprintf("; did you mean %s?", Key(best, arity))
	}
	return ""
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// checkSingletons warns about variables used once in a rule.
func (l *loader) checkSingletons() {
	for _, r := range l.rules {
		if r.Source != nil {
			continue
		}
		type use struct {
			n   int
			pos ast.Pos
		}
		uses := map[string]*use{}
		var order []string
		constants := map[*ast.Var]bool{}
		v := func(e ast.Expr) bool {
			if d, ok := e.(*ast.Dot); ok {
				// A capitalized receiver (Math.sqrt(2), Role.ADMIN) names a
				// class or constant registered with the host.
				if x, ok := ast.Unparen(d.X).(*ast.Var); ok && x.Name != "" && unicode.IsUpper(rune(x.Name[0])) {
					constants[x] = true
				}
				return true
			}
			x, ok := e.(*ast.Var)
			if !ok || constants[x] || strings.HasPrefix(x.Name, "_") || x.Name == "" {
				return true
			}
			u := uses[x.Name]
			if u == nil {
				u = &use{pos: x.At}
				uses[x.Name] = u
				order = append(order, x.Name)
			}
			u.n++
			return true
		}
		inspectParams(r.Params, v)
		inspect(r.Body, v)
		for _, name := range order {
			if u := uses[name]; u.n == 1 && !l.hostKnows(name) {
				l.warnf(u.pos, "singleton variable %s is unused or undefined; try renaming to _%s", name, name)
			}
		}
	}
}

// warnNoAllow warns when the policy has no allow, allow_field or
// allow_request rule.
func (l *loader) warnNoAllow() {
	for _, p := range l.prog.Preds {
		switch p.Name {
		case "allow", "allow_field", "allow_request":
			return
		}
	}
	pos := ast.NoPos
	for _, f := range l.files {
		if f != nil && f.File != nil {
			pos = f.File.Pos(0)
			break
		}
	}
	l.warnf(pos, "your policy does not contain an allow rule, which usually means that no actions are allowed; add one, e.g. allow(actor, action, resource) if has_permission(actor, action, resource); (an allow_field or allow_request rule also silences this warning)")
}

// warnUnreachedPermissions warns about resource blocks that declare
// permissions when no rule or query calls has_permission/3.
func (l *loader) warnUnreachedPermissions() {
	called := false
	v := func(e ast.Expr) bool {
		if c, ok := e.(*ast.Call); ok && c.Name == "has_permission" && len(c.Args) == 3 {
			called = true
		}
		return !called
	}
	for _, r := range l.rules {
		if r.Source == nil {
			inspect(r.Body, v)
		}
	}
	for _, q := range l.prog.Queries {
		if q != nil {
			inspect(q.Body, v)
		}
	}
	if called {
		return
	}
	warned := map[string]bool{}
	l.eachItem(func(it ast.Item) {
		b, ok := it.(*ast.Block)
		if !ok || len(b.Permissions) == 0 || warned[b.Name] {
			return
		}
		warned[b.Name] = true
		pos := b.PermissionsAt
		if !pos.IsValid() {
			pos = b.At
		}
		l.warnf(pos, "%s %s declares permissions, but no rule calls has_permission, so they are never used in authorization decisions; add e.g. allow(actor, action, resource) if has_permission(actor, action, resource);", blockWord(b.Kind), b.Name)
	})
}
