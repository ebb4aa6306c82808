package partial

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// valueOps is the value semantics Match needs; it is the decision engine's
// (engine.Policy.Lookup, engine.Equal, engine.Compare) so that a filter
// matches exactly what the decision allows.
type valueOps struct {
	lookup  func(v any, field string) (any, error)
	equal   func(a, b any) bool
	compare func(op CmpOp, a, b any) (bool, error)
}

// matcher evaluates a filter against Go values.
type matcher struct {
	ops   valueOps
	ctx   context.Context
	preds map[string]*Pred
	steps int
	// fixpoint state for InSet, per predicate and object key.
	known map[setKey]bool // final answers
	// objs remembers the object of each set key discovered by the fixpoint
	// computation in progress (set keys hold only the object's identity).
	objs map[setKey]any
}

type setKey struct {
	pred string
	obj  any
}

// env is a linked list of variable bindings.
type env struct {
	name string
	val  any
	next *env
}

func (e *env) get(name string) (any, bool) {
	for ; e != nil; e = e.next {
		if e.name == name {
			return e.val, true
		}
	}
	return nil, false
}

const maxMatchSteps = 1 << 22

// errNilPath: a path goes through a nil relation. The condition reading it
// is false, as in SQL (where the related row does not exist). The rows on
// which a decision would error there are excluded by the filter itself (its
// error regions), so Match needs no error for them.
var errNilPath = errors.New("partial: path through a nil relation")

var errMatchSteps = errors.New("partial: Match step limit exceeded")

func (m *matcher) tick() error {
	m.steps++
	if m.steps > maxMatchSteps {
		return errMatchSteps
	}
	if m.steps&1023 == 0 && m.ctx != nil {
		if err := m.ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func (m *matcher) filter(f *Filter, e *env, approx map[setKey]bool, disc *[]setKey) (bool, error) {
	for _, br := range f.Branches {
		ok, err := m.branch(br, e, approx, disc)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (m *matcher) branch(br Branch, e *env, approx map[setKey]bool, disc *[]setKey) (bool, error) {
	for _, c := range br.Conds {
		ok, err := m.cond(c, e, approx, disc)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func (m *matcher) cond(c Cond, e *env, approx map[setKey]bool, disc *[]setKey) (bool, error) {
	ok, err := m.cond1(c, e, approx, disc)
	if err == errNilPath {
		return false, nil
	}
	return ok, err
}

func (m *matcher) cond1(c Cond, e *env, approx map[setKey]bool, disc *[]setKey) (bool, error) {
	if err := m.tick(); err != nil {
		return false, err
	}
	switch x := c.(type) {
	case *Const:
		return x.Value, nil
	case *Compare:
		l, err := m.operand(x.L, e)
		if err != nil {
			return false, err
		}
		r, err := m.operand(x.R, e)
		if err != nil {
			return false, err
		}
		switch x.Op {
		case Eq:
			return m.ops.equal(l, r), nil
		case Neq:
			return !m.ops.equal(l, r), nil
		}
		return m.ops.compare(x.Op, l, r)
	case *In:
		l, err := m.path(x.L, e)
		if err != nil {
			return false, err
		}
		for _, v := range x.Values {
			if m.ops.equal(l, v.V) {
				return true, nil
			}
		}
		return false, nil
	case *Exists:
		coll, err := m.path(x.Over, e)
		if err != nil {
			return false, err
		}
		found := false
		err = eachElem(coll, func(el any) (bool, error) {
			ok, err := m.filter(&x.Cond, &env{x.Var, el, e}, approx, disc)
			if ok {
				found = true
			}
			return !ok, err
		})
		return found, err
	case *Not:
		// Negation is stratified: whatever it references is computed to a
		// fixpoint on its own, never from the current approximation.
		ok, err := m.cond(x.C, e, nil, nil)
		return !ok && err == nil, err
	case *NotFilter:
		ok, err := m.filter(&x.F, e, nil, nil)
		return !ok && err == nil, err
	case *InSet:
		obj, err := m.path(x.Path, e)
		if err != nil {
			return false, err
		}
		if isNil(obj) {
			return false, nil
		}
		k := setKey{x.Pred, objectKey(obj)}
		if v, ok := m.known[k]; ok {
			return v, nil
		}
		if approx != nil {
			v, seen := approx[k]
			if !seen {
				approx[k] = false
				*disc = append(*disc, k)
				m.objs[k] = obj
			}
			return v, nil
		}
		return m.fixpoint(k, obj)
	}
	return false, fmt.Errorf("partial: Match: unknown condition %T", c)
}

// fixpoint computes whether obj is in the least fixpoint of its predicate by
// Kleene iteration over every (predicate, object) pair the bodies reach,
// starting from "nothing is in any set". Cyclic data terminates: the set of
// reachable pairs is finite and each round only adds members.
func (m *matcher) fixpoint(k setKey, obj any) (bool, error) {
	saved := m.objs
	m.objs = map[setKey]any{k: obj}
	defer func() { m.objs = saved }()
	approx := map[setKey]bool{k: false}
	disc := []setKey{k}
	for {
		changed := false
		for i := 0; i < len(disc); i++ {
			key := disc[i]
			if approx[key] {
				continue
			}
			p := m.preds[key.pred]
			if p == nil {
				return false, fmt.Errorf("partial: Match: undefined predicate %q", key.pred)
			}
			n := len(disc)
			ok, err := m.filter(&p.Body, &env{p.Param, m.objs[key], nil}, approx, &disc)
			if err != nil {
				return false, err
			}
			if ok {
				approx[key] = true
				changed = true
			}
			if len(disc) > n {
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	for _, key := range disc {
		m.known[key] = approx[key]
	}
	return approx[k], nil
}

func (m *matcher) operand(o Operand, e *env) (any, error) {
	switch x := o.(type) {
	case Value:
		return x.V, nil
	case Path:
		return m.path(x, e)
	}
	return nil, fmt.Errorf("partial: Match: unknown operand %T", o)
}

func (m *matcher) path(p Path, e *env) (any, error) {
	v, ok := e.get(p.Var)
	if !ok {
		return nil, fmt.Errorf("partial: Match: unbound variable %s", p.Var)
	}
	for _, f := range p.Fields {
		if isNil(v) {
			return nil, errNilPath
		}
		var err error
		v, err = m.ops.lookup(v, f)
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice:
		return rv.IsNil()
	}
	return false
}

// eachElem iterates a to-many collection (slice, array, or map values in
// no particular order); fn returns false to stop.
func eachElem(coll any, fn func(any) (bool, error)) error {
	if coll == nil {
		return nil
	}
	if l, ok := coll.([]any); ok {
		for _, el := range l {
			more, err := fn(el)
			if err != nil || !more {
				return err
			}
		}
		return nil
	}
	rv := reflect.ValueOf(coll)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			el := rv.Index(i)
			var v any
			if el.Kind() == reflect.Struct && el.CanAddr() {
				v = el.Addr().Interface()
			} else {
				v = el.Interface()
			}
			more, err := fn(v)
			if err != nil || !more {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("partial: Match: %T is not a collection", coll)
}

// objectKey identifies an object for fixpoint sets: its primary key values
// (with its type) when it has them, else its pointer, else the value itself.
func objectKey(v any) any {
	rv := reflect.ValueOf(v)
	t := rv.Type()
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return v
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		if idx := pkIndexes(rv.Type()); len(idx) > 0 {
			var b strings.Builder
			b.WriteString(rv.Type().String())
			for _, ix := range idx {
				f, err := rv.FieldByIndexErr(ix)
				if err != nil {
					return v
				}
				fmt.Fprintf(&b, "\x00%#v", f.Interface())
			}
			return b.String()
		}
	}
	if t.Comparable() {
		return v
	}
	return fmt.Sprintf("%p", v)
}
