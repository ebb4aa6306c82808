package partial

import (
	"errors"
	"reflect"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/ast"
	"github.com/ursa-authz/ursa/engine/loader"
)

// host is what the evaluator and Match need from the decision engine: the
// loaded program, the registered classes, host reflection, and the value
// semantics. It is implemented over *engine.Policy (see engine.go), so a filter
// uses exactly the decision's lookups and comparisons.
type host interface {
	Program() *loader.Program
	ClassType(name string) (reflect.Type, bool)
	ClassOf(v any) (string, bool)
	IsA(v any, class string) bool
	SubclassOf(sub, super string) bool
	// FieldOf resolves a field of struct type t by Go name, snake_case name or
	// polar tag.
	FieldOf(t reflect.Type, name string) (fi engine.FieldInfo, ok bool)
	Lookup(v any, name string) (any, error)
	// ReadField is Lookup(v, name) for fi, the field FieldOf resolved for
	// name on v's type (engine.Policy.ReadField).
	ReadField(v any, fi *engine.FieldInfo, name string) (any, error)
	// NoSuchKey reports whether a Lookup error is a missing dictionary key
	// (a quiet failure in a decision, not an error).
	NoSuchKey(err error) bool
	CallMethod(v any, name string, args []any, kwargs map[string]any) (any, error)
	Constant(name string) (any, bool)
	New(class string, args []any, kwargs map[string]any) (any, error)

	Normalize(v any) any
	Equal(a, b any) bool
	Compare(op ast.Op, a, b any) (bool, error)
	Arith(op ast.Op, a, b any) (any, error)
}

// ErrUnsupported is returned (wrapped in an *ast.Error naming the policy
// line) when the policy uses a construct a filter cannot express exactly: a
// method call or arithmetic on the unknown resource, `cut` reached while the
// resource is unknown, recursion that cannot be tabled, and the like.
var ErrUnsupported = errors.New("not supported in a filter")

// cmpOpOf maps a Polar comparison operator to the IR operator.
func cmpOpOf(op ast.Op) (CmpOp, bool) {
	switch op {
	case ast.OpEq, ast.OpUnify:
		return Eq, true
	case ast.OpNeq:
		return Neq, true
	case ast.OpLt:
		return Lt, true
	case ast.OpLeq:
		return Leq, true
	case ast.OpGt:
		return Gt, true
	case ast.OpGeq:
		return Geq, true
	}
	return 0, false
}

func astOpOf(op CmpOp) ast.Op {
	switch op {
	case Eq:
		return ast.OpEq
	case Neq:
		return ast.OpNeq
	case Lt:
		return ast.OpLt
	case Leq:
		return ast.OpLeq
	case Gt:
		return ast.OpGt
	case Geq:
		return ast.OpGeq
	}
	return 0
}

// flip returns the operator with its operands swapped: a < b  <=>  b > a.
func (o CmpOp) flip() CmpOp {
	switch o {
	case Lt:
		return Gt
	case Leq:
		return Geq
	case Gt:
		return Lt
	case Geq:
		return Leq
	}
	return o
}
