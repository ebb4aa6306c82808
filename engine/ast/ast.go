package ast

// Node is any syntax tree node.
type Node interface {
	Pos() Pos // position of the first character of the node
}

// File is the parse of one policy source.
type PolicyFile struct {
	File  *File  // source, for positions and snippets
	Items []Item // in source order
}

// Item is a top-level declaration: *Rule, *RuleType, *Query or *Block.
type Item interface {
	Node
	item()
}

// Rule is `head(params) if body;` or a bodiless `head(params);`.
type Rule struct {
	At      Pos
	Name    string
	NamePos Pos
	Params  []*Param
	Body    Expr // nil for a bodiless rule (a fact)
	// Source is set when the rule was produced by expanding a shorthand rule in a
	// resource block; it points to the shorthand rule (for messages).
	Source *Shorthand
}

// RuleType is `type name(params);`.
type RuleType struct {
	At      Pos
	Name    string
	Params  []*Param
	NamePos Pos // position of Name (added by the parser; zero if unknown)
}

// Query is an inline query `?= body;`.
type Query struct {
	At   Pos
	Body Expr
}

// BlockKind tells actor blocks from resource blocks.
type BlockKind int

const (
	ActorBlock BlockKind = iota + 1
	ResourceBlock
)

// Block is `actor Name { ... }` or `resource Name { ... }`.
type Block struct {
	At          Pos
	Kind        BlockKind
	Name        string // class name
	NamePos     Pos
	Roles       []*StringLit // roles = [...]
	Permissions []*StringLit // permissions = [...]
	Relations   []*Relation  // relations = { name: Class, ... }
	Shorthands  []*Shorthand
	// Positions of the declarations, for duplicate-declaration messages.
	RolesAt, PermissionsAt, RelationsAt Pos
}

// Relation is one entry of `relations = { parent: Org }`.
type Relation struct {
	At       Pos
	Name     string
	Class    string
	ClassPos Pos
}

// Shorthand is `"head" if "body";` or `"head" if "body" on "relation";`.
type Shorthand struct {
	At       Pos
	Head     *StringLit
	Body     *StringLit
	Relation *StringLit // nil without `on`
}

func (*Rule) item()     {}
func (*RuleType) item() {}
func (*Query) item()    {}
func (*Block) item()    {}

// Pos returns the position of the first item, or of the start of the file.
func (f *PolicyFile) Pos() Pos {
	if len(f.Items) > 0 {
		return f.Items[0].Pos()
	}
	if f.File != nil {
		return f.File.Pos(0)
	}
	return NoPos
}

func (n *Rule) Pos() Pos      { return n.At }
func (n *RuleType) Pos() Pos  { return n.At }
func (n *Query) Pos() Pos     { return n.At }
func (n *Block) Pos() Pos     { return n.At }
func (n *Relation) Pos() Pos  { return n.At }
func (n *Shorthand) Pos() Pos { return n.At }

// Param is one rule parameter: a term, optionally specialized (`x: Class`,
// `x: Class{f: p}`, `x: {k: p}`, `x: "lit"`). A literal parameter without a
// specializer (`"read"`) has Term set to the literal and Spec nil.
type Param struct {
	At   Pos
	Term Expr // usually *Var; may be a literal, list, dict...
	Spec Expr // nil, *ClassRef, *Pattern, *Dict, or a literal
}

func (n *Param) Pos() Pos { return n.At }

// Expr is any term or goal.
type Expr interface {
	Node
	expr()
}

// Terms.
type (
	// Var is a variable. Name "_" is anonymous: every occurrence is fresh.
	Var struct {
		At   Pos
		Name string
	}
	IntLit struct {
		At    Pos
		Value int64
	}
	FloatLit struct {
		At    Pos
		Value float64
	}
	StringLit struct {
		At    Pos
		Value string
	}
	BoolLit struct {
		At    Pos
		Value bool
	}
	// List is `[a, b]` or `[a, *rest]` (Rest is then non-nil).
	List struct {
		At    Pos
		Elems []Expr
		Rest  Expr
	}
	// Dict is `{k: v}`; `{name}` is parsed as `{name: name}`.
	Dict struct {
		At     Pos
		Fields []*Field
	}
	// Pattern is an instance pattern `Class{field: pattern}`.
	Pattern struct {
		At     Pos
		Class  string
		Fields []*Field
	}
	// ClassRef is a bare class name used as a specializer or `matches` operand.
	ClassRef struct {
		At   Pos
		Name string
	}
	// Field is `key: value` in a dict, pattern, or keyword argument.
	Field struct {
		At    Pos
		Key   string
		Value Expr
	}
)

// Goals and operators.
type (
	// Call is a predicate call `name(args, key: v)`.
	Call struct {
		At     Pos
		Name   string
		Args   []Expr
		Kwargs []*Field
	}
	// New is `new Class(args, key: v)`.
	New struct {
		At     Pos
		Class  string
		Args   []Expr
		Kwargs []*Field
	}
	// Dot is a lookup on a value: `x.name` (Name set), `x.name(args)` (Name set,
	// IsCall true), or `x.(key)` (Key set). X may be a *ClassRef for class-level
	// calls on registered constants (`Class.method()`).
	Dot struct {
		At     Pos
		X      Expr
		Name   string
		IsCall bool
		Args   []Expr
		Kwargs []*Field
		Key    Expr
		// NamePos is the position of Name, or of the "(" of `x.(key)`; it is
		// set by the parser (zero if unknown). At is the start of X.
		NamePos Pos
	}
	// Binary is `L op R` for every binary operator except and/or.
	Binary struct {
		At   Pos // position of the operator
		Op   Op
		L, R Expr
	}
	// And is a conjunction of two or more goals.
	And struct {
		At    Pos
		Goals []Expr
	}
	// Or is a disjunction of two or more goals.
	Or struct {
		At    Pos
		Goals []Expr
	}
	// Not is `not goal`.
	Not struct {
		At   Pos
		Goal Expr
	}
	// Neg is unary minus on a non-literal: `-x`.
	Neg struct {
		At Pos
		X  Expr
	}
	// Forall is `forall(cond, action)`.
	Forall struct {
		At     Pos
		Cond   Expr
		Action Expr
	}
	// Cut is `cut`.
	Cut struct {
		At Pos
	}
	// Print is `print(args...)`.
	Print struct {
		At   Pos
		Args []Expr
	}
	// Debug is `debug(args...)`.
	Debug struct {
		At   Pos
		Args []Expr
	}
	// Paren records parentheses around an expression (used for the and/or
	// precedence warning and for faithful printing). Later stages may unwrap it.
	Paren struct {
		At Pos
		X  Expr
	}
)

// Op is a binary operator.
type Op int

const (
	OpUnify   Op = iota + 1 // =
	OpAssign                // :=
	OpEq                    // ==
	OpNeq                   // !=
	OpLt                    // <
	OpLeq                   // <=
	OpGt                    // >
	OpGeq                   // >=
	OpAdd                   // +
	OpSub                   // -
	OpMul                   // *
	OpDiv                   // /
	OpMod                   // mod
	OpRem                   // rem
	OpIn                    // in
	OpMatches               // matches
)

var opNames = [...]string{
	OpUnify: "=", OpAssign: ":=", OpEq: "==", OpNeq: "!=", OpLt: "<", OpLeq: "<=",
	OpGt: ">", OpGeq: ">=", OpAdd: "+", OpSub: "-", OpMul: "*", OpDiv: "/",
	OpMod: "mod", OpRem: "rem", OpIn: "in", OpMatches: "matches",
}

func (o Op) String() string {
	if o > 0 && int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Precedence returns the binding strength of o (higher binds tighter), per the
// language reference: unify/assign 4, comparisons 5, + - 6, * / mod rem 7,
// in/matches 8. (or is 1, and 2, not 3, lookup 9.)
func (o Op) Precedence() int {
	switch o {
	case OpUnify, OpAssign:
		return 4
	case OpEq, OpNeq, OpLt, OpLeq, OpGt, OpGeq:
		return 5
	case OpAdd, OpSub:
		return 6
	case OpMul, OpDiv, OpMod, OpRem:
		return 7
	case OpIn, OpMatches:
		return 8
	}
	return 0
}

func (*Var) expr()       {}
func (*IntLit) expr()    {}
func (*FloatLit) expr()  {}
func (*StringLit) expr() {}
func (*BoolLit) expr()   {}
func (*List) expr()      {}
func (*Dict) expr()      {}
func (*Pattern) expr()   {}
func (*ClassRef) expr()  {}
func (*Call) expr()      {}
func (*New) expr()       {}
func (*Dot) expr()       {}
func (*Binary) expr()    {}
func (*And) expr()       {}
func (*Or) expr()        {}
func (*Not) expr()       {}
func (*Neg) expr()       {}
func (*Forall) expr()    {}
func (*Cut) expr()       {}
func (*Print) expr()     {}
func (*Debug) expr()     {}
func (*Paren) expr()     {}

func (n *Var) Pos() Pos       { return n.At }
func (n *IntLit) Pos() Pos    { return n.At }
func (n *FloatLit) Pos() Pos  { return n.At }
func (n *StringLit) Pos() Pos { return n.At }
func (n *BoolLit) Pos() Pos   { return n.At }
func (n *List) Pos() Pos      { return n.At }
func (n *Dict) Pos() Pos      { return n.At }
func (n *Pattern) Pos() Pos   { return n.At }
func (n *ClassRef) Pos() Pos  { return n.At }
func (n *Field) Pos() Pos     { return n.At }
func (n *Call) Pos() Pos      { return n.At }
func (n *New) Pos() Pos       { return n.At }
func (n *Dot) Pos() Pos       { return n.At }
func (n *Binary) Pos() Pos    { return n.At }
func (n *And) Pos() Pos       { return n.At }
func (n *Or) Pos() Pos        { return n.At }
func (n *Not) Pos() Pos       { return n.At }
func (n *Neg) Pos() Pos       { return n.At }
func (n *Forall) Pos() Pos    { return n.At }
func (n *Cut) Pos() Pos       { return n.At }
func (n *Print) Pos() Pos     { return n.At }
func (n *Debug) Pos() Pos     { return n.At }
func (n *Paren) Pos() Pos     { return n.At }

// Unparen strips any parentheses around e.
func Unparen(e Expr) Expr {
	for {
		p, ok := e.(*Paren)
		if !ok || p == nil {
			return e
		}
		e = p.X
	}
}
