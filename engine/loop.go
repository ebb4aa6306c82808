package engine

import (
	"hash/maphash"
	"math"
	"reflect"
	"unsafe"
)

// The loop check.
//
// A call of a recursive predicate that is identical to a call still active
// on the current derivation path (an ancestor) fails: it could only
// re-derive what its ancestor derives. This makes recursion over cyclic
// data (a parent chain or group nesting that loops) terminate with the
// least fixpoint.
//
// "Identical" is structural identity of the arguments as the calls were
// made (sameTerm): scalars by value, Polar lists and dictionaries element
// by element, unbound variables by identity (the same variable), Go
// pointers, maps, channels and functions by identity, Go slices by their
// backing array and length, other Go values (structs) by identity of their
// boxed copy (an actor struct passed along unchanged) or, when comparable,
// by ==. Everything else is never identical, which only makes the check
// prune less.
//
// Cost: an active call records its predicate and its (already evaluated)
// argument slice; nothing is hashed or compared on entry. While the path is
// short (loopSetOn), a call scans it and compares arguments only with
// entries of the same predicate. Deeper, a multiset of argument hashes
// (computed once per entry and cached) finds candidates in O(1).

// loopKey identifies an active call.
type loopKey struct {
	pred   *predicate
	args   []any // the call's evaluated arguments (not modified afterwards)
	hash   uint64
	hashed bool
}

func (k *loopKey) sum() uint64 {
	if !k.hashed {
		h := uint64(uintptr(unsafe.Pointer(k.pred)))
		for _, a := range k.args {
			h = mix(h, hashTerm(a, hashDepth))
		}
		k.hash, k.hashed = h, true
	}
	return k.hash
}

func (k *loopKey) same(o *loopKey) bool {
	if k.pred != o.pred || len(k.args) != len(o.args) {
		return false
	}
	budget := maxTermNodes
	for i, a := range k.args {
		if !sameTerm(a, o.args[i], &budget) {
			return false
		}
	}
	return true
}

// maxTermNodes bounds the nodes one comparison visits, so that
// cyclic or huge Go values (a []any or map[string]any containing itself)
// cannot hang the check; past it, terms are not the same.
const maxTermNodes = 1 << 12

// loopStack is the set of calls active on the current derivation path.
// Calls enter and exit in nested order (an exit pops the most recent entry;
// the trail undoes pushes and pops in reverse), so it is a stack;
// membership is a linear scan while the stack is short and a multiset of
// hashes (mirroring the stack) once it is deep.
type loopStack struct {
	stack  []*loopKey
	set    map[uint64]int32
	useSet bool
}

const (
	loopSetOn  = 32 // build the hash set above this depth
	loopSetOff = 16 // drop it at or below this depth
)

func (s *loopStack) contains(k *loopKey) bool {
	if s.useSet {
		h := k.sum()
		if s.set[h] == 0 {
			return false
		}
		for i := len(s.stack) - 1; i >= 0; i-- {
			if x := s.stack[i]; x.hash == h && x.same(k) {
				return true
			}
		}
		return false
	}
	for i := len(s.stack) - 1; i >= 0; i-- {
		if x := s.stack[i]; x.pred == k.pred && x.same(k) {
			return true
		}
	}
	return false
}

func (s *loopStack) push(k *loopKey) {
	s.stack = append(s.stack, k)
	if s.useSet {
		s.set[k.sum()]++
	} else if len(s.stack) > loopSetOn {
		if s.set == nil {
			s.set = map[uint64]int32{}
		}
		for _, x := range s.stack {
			s.set[x.sum()]++
		}
		s.useSet = true
	}
}

func (s *loopStack) pop() {
	last := len(s.stack) - 1
	k := s.stack[last]
	s.stack[last] = nil
	s.stack = s.stack[:last]
	if s.useSet {
		if n := s.set[k.hash]; n > 1 {
			s.set[k.hash] = n - 1
		} else {
			delete(s.set, k.hash)
		}
		if len(s.stack) <= loopSetOff {
			clear(s.set)
			s.useSet = false
		}
	}
}

func (s *loopStack) reset() {
	clear(s.stack)
	s.stack = s.stack[:0]
	if cap(s.stack) > 1<<12 {
		s.stack = nil
	}
	if len(s.set) > 1<<12 {
		s.set = nil // a map that grew large keeps its memory when cleared
	} else if len(s.set) > 0 {
		clear(s.set)
	}
	s.useSet = false
}

// eface is the layout of an interface value holding a Go value: its type
// word and data word. For pointer-shaped types (pointers, maps, channels,
// functions) the data word is the value itself.
type eface struct {
	typ, data unsafe.Pointer
}

func efaceOf(v *any) *eface { return (*eface)(unsafe.Pointer(v)) }

// sameTerm reports whether two call arguments are the same term (see the
// comment at the top of this file). It never panics. budget counts down
// the nodes visited; when it runs out the terms are not the same.
func sameTerm(a, b any, budget *int) bool {
	if *budget--; *budget < 0 {
		return false
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case string:
		y, ok := b.(string)
		return ok && x == y
	case *cell:
		y, ok := b.(*cell)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if len(x) == 0 || &x[0] == &y[0] {
			return true
		}
		for i := range x {
			if !sameTerm(x[i], y[i], budget) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		if efaceOf(&a).data == efaceOf(&b).data {
			return true
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameTerm(v, w, budget) {
				return false
			}
		}
		return true
	case *restList:
		y, ok := b.(*restList)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if len(x.elems) != len(y.elems) || !sameTerm(x.rest, y.rest, budget) {
			return false
		}
		for i := range x.elems {
			if !sameTerm(x.elems[i], y.elems[i], budget) {
				return false
			}
		}
		return true
	}
	ea, eb := efaceOf(&a), efaceOf(&b)
	if ea.typ != eb.typ {
		return false
	}
	if ea.data == eb.data {
		// The same pointer, map, channel or function; or, for other
		// kinds, the same boxed copy (immutable), e.g. an actor struct
		// passed along unchanged.
		return true
	}
	t := reflect.TypeOf(a)
	switch t.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return false
	case reflect.Slice:
		va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
		return va.Len() == vb.Len() && (va.Len() == 0 || va.Pointer() == vb.Pointer())
	}
	if !t.Comparable() {
		return false
	}
	if !reflect.ValueOf(a).Comparable() || !reflect.ValueOf(b).Comparable() {
		return false // an interface field holding an incomparable value
	}
	return a == b
}

var loopSeed = maphash.MakeSeed()

func mix(h, x uint64) uint64 {
	h ^= x + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
	return h
}

// hashTerm hashes a call argument consistently with sameTerm: terms that
// are the same hash the same. Its work is bounded whatever the size of the
// term (long lists, cyclic Go values): it looks at the length of lists and
// dictionaries, at most hashElems elements of a list and the entries of a
// dictionary of at most hashElems keys, down to depth levels.
func hashTerm(a any, depth int) uint64 {
	switch x := a.(type) {
	case nil:
		return 1
	case bool:
		if x {
			return 3
		}
		return 2
	case int64:
		return mix(4, uint64(x))
	case float64:
		return mix(5, math.Float64bits(x))
	case string:
		return mix(6, maphash.String(loopSeed, x))
	case *cell:
		return mix(7, uint64(uintptr(unsafe.Pointer(x))))
	case []any:
		h := mix(8, uint64(len(x)))
		if depth > 0 {
			for _, e := range x[:min(len(x), hashElems)] {
				h = mix(h, hashTerm(e, depth-1))
			}
		}
		return h
	case map[string]any:
		h := mix(9, uint64(len(x)))
		if depth > 0 && len(x) <= hashElems {
			// order-independent: a sum of per-entry hashes
			var s uint64
			for k, v := range x {
				s += mix(maphash.String(loopSeed, k), hashTerm(v, depth-1))
			}
			h = mix(h, s)
		}
		return h
	case *restList:
		h := mix(10, uint64(len(x.elems)))
		if depth > 0 {
			h = mix(h, hashTerm(x.rest, depth-1))
			for _, e := range x.elems[:min(len(x.elems), hashElems)] {
				h = mix(h, hashTerm(e, depth-1))
			}
		}
		return h
	}
	e := efaceOf(&a)
	h := mix(11, uint64(uintptr(e.typ)))
	switch reflect.TypeOf(a).Kind() {
	case reflect.Pointer, reflect.Map, reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return mix(h, uint64(uintptr(e.data)))
	case reflect.Slice:
		v := reflect.ValueOf(a)
		if v.Len() == 0 {
			return h
		}
		return mix(mix(h, uint64(v.Len())), uint64(v.Pointer()))
	}
	return h // other values: by type; sameTerm decides
}

const (
	hashElems = 8
	hashDepth = 3
)
