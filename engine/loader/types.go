package loader

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ursa-authz/ursa/engine/ast"
)

// Built-in rule types (positions are NoPos).
func builtinRuleTypes(withRoles bool) []*ast.RuleType {
	v := func(name string) *ast.Param { return &ast.Param{Term: &ast.Var{Name: name}} }
	c := func(name, class string) *ast.Param {
		return &ast.Param{Term: &ast.Var{Name: name}, Spec: &ast.ClassRef{Name: class}}
	}
	rt := func(name string, ps ...*ast.Param) *ast.RuleType { return &ast.RuleType{Name: name, Params: ps} }
	out := []*ast.RuleType{
		rt("allow", v("actor"), v("action"), v("resource")),
		rt("allow_field", v("actor"), v("action"), v("resource"), v("field")),
		rt("allow_request", v("actor"), v("request")),
		rt("has_permission", c("actor", ActorUnion), c("name", "String"), c("resource", ResourceUnion)),
	}
	if withRoles {
		out = append(out, rt("has_role", c("actor", ActorUnion), c("name", "String"), c("resource", ResourceUnion)))
	}
	return out
}

// hostKnows asks the host whether name is a class.
func (l *loader) hostKnows(name string) bool {
	if name == "nil" {
		return true // the engine's built-in constant
	}
	if c, ok := l.classes.(Constants); ok {
		if _, ok := c.Constant(name); ok {
			return true
		}
	}
	if l.classes != nil {
		return l.classes.Known(name)
	}
	return slices.Contains(builtinClasses, name)
}

// classKnown reports whether name may be used as a class in a specializer,
// pattern, `matches` or `new`.
func (l *loader) classKnown(name string) bool {
	switch name {
	case ActorUnion:
		return len(l.prog.actors) > 0
	case ResourceUnion:
		return len(l.prog.resources) > 0
	}
	return l.hostKnows(name) || l.badClass[name]
}

func (l *loader) subclass(sub, super string) bool {
	if sub == super {
		return true
	}
	return l.classes != nil && l.classes.Subclass(sub, super)
}

func (l *loader) anyRoles() bool {
	for _, b := range l.prog.Blocks {
		if len(b.Roles) > 0 {
			return true
		}
	}
	return false
}

// buildRuleTypes fills Program.RuleTypes: built-ins, then user declarations,
// then the has_relation types required by shorthand rules.
func (l *loader) buildRuleTypes() {
	for _, t := range builtinRuleTypes(l.anyRoles()) {
		l.builtin[t] = true
		l.prog.RuleTypes[t.Name] = append(l.prog.RuleTypes[t.Name], t)
	}
	for _, t := range l.userTyps {
		l.prog.RuleTypes[t.Name] = append(l.prog.RuleTypes[t.Name], t)
	}
	for _, g := range l.gen {
		l.prog.RuleTypes[g.rt.Name] = append(l.prog.RuleTypes[g.rt.Name], g.rt)
	}
}

// describeType renders a rule type and where it comes from.
func (l *loader) describeType(t *ast.RuleType) string {
	s := ruleTypeString(t)
	if l.builtin[t] {
		return s + " (built-in)"
	}
	for _, g := range l.gen {
		if g.rt == t {
			return fmt.Sprintf("%s (required by the shorthand rule %s at %s)", s, shorthandString(g.sh), l.where(g.sh.At))
		}
	}
	return fmt.Sprintf("%s (declared at %s)", s, l.where(t.At))
}

// checkRuleTypes checks that every rule fits one of the rule types of its name.
func (l *loader) checkRuleTypes() {
	for _, r := range l.rules {
		types := l.prog.RuleTypes[r.Name]
		if len(types) == 0 {
			continue
		}
		if slices.ContainsFunc(types, func(t *ast.RuleType) bool { return l.fits(t, r) }) {
			continue
		}
		var fails []string
		for _, t := range types {
			fails = append(fails, fmt.Sprintf("%s: %s", l.describeType(t), l.mismatch(t, r, true)))
		}
		what := headString(r.Name, r.Params)
		if r.Source != nil {
			what += ", expanded from the shorthand rule " + shorthandString(r.Source) + ","
		}
		l.errorf(r.At, "invalid rule: %s does not match rule type(s): %s", what, strings.Join(fails, "; "))
	}
}

// noFit is the reason returned when no explanation was asked for.
const noFit = "-"

// fits reports whether rule r fits type t.
func (l *loader) fits(t *ast.RuleType, r *ast.Rule) bool { return l.mismatch(t, r, false) == "" }

// mismatch reports why rule r does not fit type t, or "" when it does. Unless
// explain is set the reason is just noFit, so the common path does not format
// messages.
func (l *loader) mismatch(t *ast.RuleType, r *ast.Rule, explain bool) string {
	if len(t.Params) != len(r.Params) {
		if !explain {
			return noFit
		}
		return fmt.Sprintf("expected %d parameters, got %d", len(t.Params), len(r.Params))
	}
	for i := range t.Params {
		if why := l.paramFits(t.Params[i], r.Params[i], explain); why != "" {
			if !explain {
				return noFit
			}
			return fmt.Sprintf("parameter %d: %s", i+1, why)
		}
	}
	return ""
}

// isLiteral reports whether e is a value literal (not a variable or class).
func isLiteral(e ast.Expr) bool {
	switch e.(type) {
	case *ast.StringLit, *ast.IntLit, *ast.FloatLit, *ast.BoolLit, *ast.List, *ast.Dict:
		return true
	}
	return false
}

// literalEqual reports whether two literals are the same value.
func literalEqual(a, b ast.Expr) bool {
	switch a := a.(type) {
	case *ast.StringLit:
		b, ok := b.(*ast.StringLit)
		return ok && a.Value == b.Value
	case *ast.IntLit:
		b, ok := b.(*ast.IntLit)
		return ok && a.Value == b.Value
	case *ast.FloatLit:
		b, ok := b.(*ast.FloatLit)
		return ok && (a.Value == b.Value || a.Value != a.Value && b.Value != b.Value)
	case *ast.BoolLit:
		b, ok := b.(*ast.BoolLit)
		return ok && a.Value == b.Value
	}
	return a != nil && b != nil && ast.Equal(a, b)
}

// paramLiteral returns the literal a parameter is restricted to, if any:
// `"read"` or `x: "read"`.
func paramLiteral(p *ast.Param) ast.Expr {
	if s := ast.Unparen(p.Spec); s != nil {
		if isLiteral(s) {
			return s
		}
		return nil
	}
	if t := ast.Unparen(p.Term); isLiteral(t) {
		return t
	}
	return nil
}

// paramFits reports why rule parameter rp does not fit rule-type parameter
// tp, or "" when it does. It mirrors oso's check: an unspecialized type
// parameter accepts anything; a class demands a specializer with that class
// or a subclass (or a literal of that built-in class); a literal demands the
// same literal.
func (l *loader) paramFits(tp, rp *ast.Param, explain bool) string {
	if tp == nil || rp == nil {
		return ""
	}
	tSpec, tTerm := ast.Unparen(tp.Spec), ast.Unparen(tp.Term)
	rSpec := ast.Unparen(rp.Spec)
	rLit := paramLiteral(rp)
	if tSpec == nil {
		if !isLiteral(tTerm) {
			return ""
		}
		tSpec = tTerm
	}
	switch ts := tSpec.(type) {
	case *ast.ClassRef:
		return l.specFits(ts.Name, nil, rp, rSpec, rLit, explain)
	case *ast.Pattern:
		return l.specFits(ts.Class, ts.Fields, rp, rSpec, rLit, explain)
	case *ast.Dict:
		var rFields []*ast.Field
		switch rs := rSpec.(type) {
		case *ast.Dict:
			rFields = rs.Fields
		default:
			d, ok := rLit.(*ast.Dict)
			if !ok {
				if !explain {
					return noFit
				}
				return fmt.Sprintf("%s does not match the dictionary pattern %s", paramString(rp), exprString(ts))
			}
			rFields = d.Fields
		}
		return fieldsFit(ts.Fields, rFields, explain)
	default: // a literal
		if rLit != nil && literalEqual(rLit, tSpec) {
			return ""
		}
		if !explain {
			return noFit
		}
		return fmt.Sprintf("parameter value %s does not match rule type value %s", paramString(rp), exprString(tSpec))
	}
}

// specFits checks a rule parameter against a class (or pattern) type parameter.
func (l *loader) specFits(class string, fields []*ast.Field, rp *ast.Param, rSpec, rLit ast.Expr, explain bool) string {
	switch rs := rSpec.(type) {
	case *ast.ClassRef:
		if why := l.classFits(rs.Name, class, explain); why != "" {
			return why
		}
		if len(fields) > 0 {
			if !explain {
				return noFit
			}
			return fmt.Sprintf("specializer %s has no fields, rule type specializer %s{...} requires %s", rs.Name, class, fieldNames(fields))
		}
		return ""
	case *ast.Pattern:
		if why := l.classFits(rs.Class, class, explain); why != "" {
			return why
		}
		return fieldsFit(fields, rs.Fields, explain)
	case *ast.Dict:
		if class == "Dictionary" && len(fields) == 0 {
			return ""
		}
		if !explain {
			return noFit
		}
		return fmt.Sprintf("dictionary pattern %s does not match rule type specializer %s", exprString(rs), class)
	}
	if rLit != nil {
		if literalClass(rLit) == class && len(fields) == 0 {
			return ""
		}
		if !explain {
			return noFit
		}
		return fmt.Sprintf("value %s is not %s %s", exprString(rLit), article(class), class)
	}
	if !explain {
		return noFit
	}
	return fmt.Sprintf("parameter `%s` expects %s %s type constraint", exprString(rp.Term), article(class), class)
}

// literalClass returns the built-in class of a literal.
func literalClass(e ast.Expr) string {
	switch e.(type) {
	case *ast.StringLit:
		return "String"
	case *ast.IntLit:
		return "Integer"
	case *ast.FloatLit:
		return "Float"
	case *ast.BoolLit:
		return "Boolean"
	case *ast.List:
		return "List"
	case *ast.Dict:
		return "Dictionary"
	}
	return ""
}

// classFits reports why a rule specializer class c does not satisfy rule-type
// class t, or "".
func (l *loader) classFits(c, t string, explain bool) string {
	if c == t {
		return ""
	}
	switch t {
	case ActorUnion, ResourceUnion:
		set, word := l.prog.actors, "actor"
		if t == ResourceUnion {
			set, word = l.prog.resources, "resource"
		}
		if c != ActorUnion && c != ResourceUnion {
			if set[c] {
				return ""
			}
			for m := range set {
				if l.subclass(c, m) {
					return ""
				}
			}
		}
		if !explain {
			return noFit
		}
		return fmt.Sprintf("rule specializer %s must be a member of rule type specializer %s (classes declared in %s blocks)", c, t, word)
	}
	if c != ActorUnion && c != ResourceUnion && l.subclass(c, t) {
		return ""
	}
	if !explain {
		return noFit
	}
	return fmt.Sprintf("rule specializer %s must match rule type specializer %s", c, t)
}

// fieldsFit checks that every field of the type pattern appears in the rule
// pattern with the same value (a variable in the type accepts any value).
func fieldsFit(want, have []*ast.Field, explain bool) string {
	for _, w := range want {
		if w == nil {
			continue
		}
		found := false
		for _, h := range have {
			if h == nil || h.Key != w.Key {
				continue
			}
			found = true
			if _, isVar := ast.Unparen(w.Value).(*ast.Var); !isVar && !ast.Equal(h.Value, w.Value) {
				if !explain {
					return noFit
				}
				return fmt.Sprintf("field %s is %s, rule type requires %s", w.Key, exprString(h.Value), exprString(w.Value))
			}
		}
		if !found {
			if !explain {
				return noFit
			}
			return fmt.Sprintf("pattern lacks field %s required by the rule type", w.Key)
		}
	}
	return ""
}

func fieldNames(fs []*ast.Field) string {
	var names []string
	for _, f := range fs {
		if f != nil {
			names = append(names, f.Key)
		}
	}
	return strings.Join(names, ", ")
}

// checkRequired reports required rule types with no matching rule: has_role
// when roles are declared, and each has_relation type a shorthand rule needs.
func (l *loader) checkRequired() {
	// Skipped after block errors: the declarations it depends on are wrong.
	if l.anyRoles() && !l.blockErrors {
		var t *ast.RuleType
		for _, rt := range l.prog.RuleTypes["has_role"] {
			if l.builtin[rt] {
				t = rt
			}
		}
		if t != nil && !l.implemented(t) {
			b, pos := l.firstRolesDecl()
			l.missing[Key(t.Name, len(t.Params))] = true
			l.errorf(pos, "missing implementation for required rule %s: %s %s declares roles at %s, so has_role must be defined, e.g. has_role(actor: User, role: String, resource: %s) if ...;", ruleTypeString(t), blockWord(b.Kind), b.Name, l.line(pos), b.Name)
		}
	}
	for _, g := range l.gen {
		if l.implemented(g.rt) {
			continue
		}
		l.missing[Key(g.rt.Name, len(g.rt.Params))] = true
		l.errorf(g.sh.At, "missing implementation for required rule %s: the shorthand rule %s in the %s %s block at %s uses this relation; define has_relation for it or remove the shorthand rule", ruleTypeString(g.rt), shorthandString(g.sh), blockWord(g.blk.Kind), g.blk.Name, l.line(g.blk.At))
	}
}

// implemented reports whether some rule fits t.
func (l *loader) implemented(t *ast.RuleType) bool {
	p := l.prog.Pred(t.Name, len(t.Params))
	if p == nil {
		return false
	}
	for _, r := range p.Rules {
		if l.fits(t, r) {
			return true
		}
	}
	return false
}

// firstRolesDecl returns the first block (in load order) that declares roles.
func (l *loader) firstRolesDecl() (*ast.Block, ast.Pos) {
	var blk *ast.Block
	pos := ast.NoPos
	l.eachItem(func(it ast.Item) {
		b, ok := it.(*ast.Block)
		if !ok || blk != nil || len(b.Roles) == 0 {
			return
		}
		blk, pos = b, b.RolesAt
		if !pos.IsValid() {
			pos = b.At
		}
	})
	return blk, pos
}

// article returns "an" before a vowel, else "a".
func article(word string) string {
	if word != "" && strings.ContainsRune("AEIOUaeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
