package partial

// This file defines the filter IR: the residual of evaluating a rule with the
// resource unknown. It is the contract between partial evaluation and the
// backends (sqlgen, Match). Keep it small and explicit.
//
// A Filter is an OR of Branches; a Branch is an AND of Conds. Paths start at a
// variable: "resource" (the unknown) or a variable bound by an enclosing Exists.
// Path steps are canonical field names: the Go struct field name of the
// registered type (e.g. "OrgID", "Org", "Memberships"), never the snake_case
// alias the policy may have used; backends map them to columns and relations.

// RootVar is the name of the variable that stands for the unknown resource.
const RootVar = "resource"

// Filter says which values of Type are allowed.
//
// Zero Branches means deny-all. A Branch with zero Conds means allow-all (a
// simplified filter that allows all has exactly one empty branch).
type Filter struct {
	Type     string   // Polar class name of the resource
	Branches []Branch // OR
	// Preds are the recursive (fixpoint) predicates referenced by InSet
	// conditions anywhere in the filter, by name.
	Preds map[string]*Pred
}

// Branch is a conjunction of conditions.
type Branch struct {
	Conds []Cond // AND
}

// Cond is one condition of a branch: *Compare, *In, *Exists, *Not,
// *NotFilter, *InSet, or *Const.
type Cond interface{ cond() }

// Path is a value reached from a variable through fields and to-one
// relations: resource.Org.Name is Path{Var: "resource", Fields: {"Org","Name"}}.
// A path with no Fields is the variable's object itself (compared by primary key).
type Path struct {
	Var    string
	Fields []string
}

// Operand is either a Path or a constant Value.
type Operand interface{ operand() }

// Value is a known constant: nil, bool, int64, float64, string, time.Time or
// time.Duration (normalised: all Go integer kinds become int64, floats float64).
type Value struct {
	V any
}

// CmpOp is a comparison operator.
type CmpOp int

const (
	Eq CmpOp = iota + 1
	Neq
	Lt
	Leq
	Gt
	Geq
)

// Compare is `L op R`. At least one side is a Path. Eq/Neq follow the
// decision's semantics: nil is an ordinary value, so `nil != 5` is true and
// `nil == nil` is true; ordered comparisons with nil are false.
//
// (Added by the partial evaluator, compatible with the above:) a Path that
// ends at a to-one relation compared with Value{nil} by Eq/Neq tests whether
// the relation is absent/present (`resource.Org != nil`); the evaluator puts
// such a guard before conditions that read through a relation that may be
// nil. Objects are otherwise compared through their primary key fields
// (`resource.Org.ID = 1`), never as whole objects.
type Compare struct {
	Op   CmpOp
	L, R Operand
}

// In is `L in Values`: L equals one of the known values (Eq semantics, so a
// nil in Values matches a nil L). Values are distinct.
type In struct {
	L      Path
	Values []Value
}

// Exists introduces Var, ranging over the to-many relation Over (e.g.
// resource.Memberships), and holds if some element satisfies Cond.
// Var is unique within the whole filter. An allow-all Cond means "the
// relation has an element". Over may also be a slice of scalars (`"x" in
// resource.Tags`), whose elements are then Path{Var: Var} itself.
type Exists struct {
	Var  string
	Type string // Polar class of the elements
	Over Path
	Cond Filter // OR of ANDs over Var (and outer variables); its Type is the element type
}

// Not negates a condition.
type Not struct {
	C Cond
}

// NotFilter negates a whole OR of ANDs: it holds iff F does not hold.
// (Added by the partial evaluator for `not` over a goal whose residual has
// several branches of several conditions; a negated single branch or a
// disjunction of single conditions is expressed with Not instead.) F.Type is
// the type of the enclosing filter; F may reference every variable in scope.
type NotFilter struct {
	F Filter
}

// InSet holds if the object at Path (an object of the predicate's type) is in
// the fixpoint set of Pred.
type InSet struct {
	Path Path
	Pred string
}

// Const is a constant truth value; simplification removes it.
type Const struct {
	Value bool
}

// Pred is a recursive predicate: the least set of objects X of Type such that
// Body (over the variable Param, which stands for X) holds. Body may contain
// InSet conditions referring to this or other predicates.
type Pred struct {
	Name  string
	Type  string
	Param string
	Body  Filter
}

func (*Compare) cond()   {}
func (*In) cond()        {}
func (*Exists) cond()    {}
func (*Not) cond()       {}
func (*NotFilter) cond() {}
func (*InSet) cond()     {}
func (*Const) cond()     {}

func (Path) operand()  {}
func (Value) operand() {}

// AllowAll returns a filter that allows every value of typ.
func AllowAll(typ string) *Filter { return &Filter{Type: typ, Branches: []Branch{{}}} }

// DenyAll returns a filter that allows nothing.
func DenyAll(typ string) *Filter { return &Filter{Type: typ} }

// IsAllowAll reports whether f is the simplified allow-all filter.
func (f *Filter) IsAllowAll() bool { return len(f.Branches) == 1 && len(f.Branches[0].Conds) == 0 }

// IsDenyAll reports whether f allows nothing.
func (f *Filter) IsDenyAll() bool { return len(f.Branches) == 0 }
