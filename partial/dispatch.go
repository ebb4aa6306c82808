package partial

import (
	"fmt"
	"slices"
	"unsafe"
)

// Rule dispatch memoised by argument shape.
//
// Which rules of a predicate a call tries, before their parameters are
// matched, is decided by candidates (the rules naming the call's string at
// the predicate's string position) and quickReject (string literals, class
// specializers on unknowns). Both read only the shape of the arguments: for
// each one whether it is an unbound variable, an unknown and its type, a
// string and which, or another known value. With no variable of the program
// naming a registered constant (constVars false: the only other input of
// quickReject), the rules to try are therefore a function of the predicate
// and that shape, and are kept in the evaluator across evaluations of the
// same policy snapshot (like fieldOK), whose unknowns' types are the
// snapshot's.

// maxShapeArgs is the largest arity whose calls are memoised.
const maxShapeArgs = 4

// dispatchSlots is the size of the memo, a direct-mapped table: a key
// replaces the one in its slot, so strings given by the application (the
// action, say) cannot make it grow.
const dispatchSlots = 128

type shapeTag uint8

const (
	shKnown shapeTag = iota // a known value other than a string
	shCell                  // an unbound variable
	shUnk                   // an unknown, of type t
	shStr                   // the string s
)

// dispatchKey is a predicate and the shape of a call's arguments: per
// argument its tag (one byte of tags), the unknown's type or the string.
type dispatchKey struct {
	pi   *predInfo
	n    int
	tags uint32
	ts   [maxShapeArgs]*utype
	ss   [maxShapeArgs]string
}

type dispatchEntry struct {
	key   dispatchKey
	rules []int32 // nil: empty slot
}

// hash mixes the key's words (a string by its length and address: equal
// strings at two addresses take two slots, which is only a miss).
func (k *dispatchKey) hash() uint {
	h := uint(uintptr(unsafe.Pointer(k.pi))) ^ uint(k.tags)
	for i := range k.n {
		h *= 0x9E3779B97F4A7C15
		h ^= uint(uintptr(unsafe.Pointer(k.ts[i]))) ^ uint(uintptr(unsafe.Pointer(unsafe.StringData(k.ss[i])))) ^ uint(len(k.ss[i]))
	}
	return (h * 0x9E3779B97F4A7C15) >> 57 // 7 bits: dispatchSlots
}

func (k *dispatchKey) equal(o *dispatchKey) bool {
	if k.pi != o.pi || k.tags != o.tags || k.n != o.n {
		return false
	}
	for i := range k.n {
		if k.ts[i] != o.ts[i] {
			return false
		}
		a, b := k.ss[i], o.ss[i]
		if len(a) != len(b) || (unsafe.StringData(a) != unsafe.StringData(b) && a != b) {
			return false
		}
	}
	return true
}

// dispatchFor returns the rules of pi to try for args (dereferenced), in
// order, and whether quickReject has been applied to them already.
func (e *evaluator) dispatchFor(pi *predInfo, args []term) ([]int32, bool) {
	if e.snap == nil || e.constVars || len(args) > maxShapeArgs {
		return e.candidates(pi, args), false
	}
	var k dispatchKey
	k.pi, k.n = pi, len(args)
	for i, a := range args {
		tag := shKnown
		switch x := a.(type) {
		case *cell:
			tag = shCell
		case *unk:
			tag, k.ts[i] = shUnk, x.t
		case string:
			tag, k.ss[i] = shStr, x
		case *listT, *dictT:
			return e.candidates(pi, args), false
		}
		k.tags |= uint32(tag) << (8 * i)
	}
	slot := &e.dispatch[k.hash()]
	if slot.rules != nil && slot.key.equal(&k) {
		if verifyDispatch && !slices.Equal(slot.rules, e.dispatchRules(pi, args)) {
			panic(fmt.Sprintf("dispatch memo of %s: %v, computed %v", pi.pred.Name, slot.rules, e.dispatchRules(pi, args)))
		}
		return slot.rules, true
	}
	rs := e.dispatchRules(pi, args)
	slot.key, slot.rules = k, rs
	return rs, true
}

// dispatchRules computes what dispatch memoises (never nil).
func (e *evaluator) dispatchRules(pi *predInfo, args []term) []int32 {
	rs := []int32{}
	for _, i := range e.candidates(pi, args) {
		if !e.quickReject(&pi.rules[i], args) {
			rs = append(rs, i)
		}
	}
	return rs
}

// verifyDispatch makes every memo hit be checked against the rules
// computed afresh (tests: a mismatch panics, which the evaluation reports
// as an internal error).
var verifyDispatch = false
