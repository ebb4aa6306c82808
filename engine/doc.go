// Package engine is Ursa's decision VM and Go host-value layer.
//
// Entry points:
//   - Registry (NewRegistry, Clone, RegisterClass, RegisterConstant, Class,
//     Classes, Constant, Known, Subclass, ClassOfType): Go types and
//     constants known to policies. It implements loader.Classes.
//     DeclareFieldTypes (trace.go) declares the real types of interface
//     fields of struct types built at run time (the CLI's schema classes).
//   - Load (of Sources) / LoadFiles / Compile: parse, load (package loader)
//     and compile a policy into an immutable *Policy, running inline `?=`
//     queries unless LoadOptions.SkipInlineQueries; (*Policy).RunInlineQueries
//     runs them later, one error per failing query. Policy.Warnings holds
//     the load warnings.
//   - (*Policy).Decide, QueryRule, Query, QueryExpr: run queries; results
//     stream lazily as Bindings (FormatBindings) in oso's order; Variable
//     leaves an argument unbound. QueryOptions sets step/depth limits
//     (DefaultMaxSteps, DefaultMaxDepth; ErrLimit), the print writer and the
//     DebugHook (DebugEvent, PendingGoal, StackFrame, DebugAction;
//     ErrDebugAbort).
//   - Host semantics shared with partial evaluation (package partial must not
//     reimplement them): (*Policy).Program, FileSet, Registry, Version,
//     ClassType, ClassOf, IsA, SubclassOf, Field (FieldInfo), Lookup
//     (ErrNoSuchKey), ReadField (a resolved field), CallMethod, Constant,
//     New; IsBuiltinClass and the Class* names; ClassValue (a class used as
//     a value); the value functions Normalize, Equal, Compare, Arith,
//     SnakeCase, FormatValue, FormatExpr; and the in-place field reads
//     DirectField, FieldEquals and FieldList (what ReadField then Equal, or
//     ReadField of a slice, give, without boxing).
//
// # Values
//
// Go values are used as they are, normalised at the boundary (Normalize):
// every integer kind is int64, every float float64, named string/bool kinds
// string/bool, nil pointers nil. Slices and arrays are Polar lists and
// string-keyed maps Polar dictionaries; the VM reads them lazily (no copy).
// `x in it` also iterates Go iterators (iter.Seq: elements; iter.Seq2:
// [key, value] pairs), collected when the goal runs (at most 1,000,000).
// time.Time and time.Duration compare and do arithmetic (Compare, Arith).
// Structs and pointers to structs are instances of their registered class;
// fields are readable by Go name, by GORM's snake_case column name
// (CreatorID <-> creator_id, HTTPServer <-> http_server), by `polar:"name"`
// tag and by `gorm:"column:name"` tag; promoted fields of embedded structs
// too. A struct embedding a registered struct, or implementing a registered
// interface type, is an instance of that class for specializers. Accessor
// tables are computed once per reflect.Type and cached.
//
// Equality (Equal): numbers numerically across Integer and Float; nil only
// equals nil; a Go type with an `Equal(T) bool` method uses it; two pointers
// are equal when identical or when their targets are deeply equal
// (reflect.DeepEqual), as the oso Go host did.
//
// # Evaluation
//
// The VM is a trampoline with an explicit continuation list and a choice
// point stack (see machine.go): no Go recursion per goal, so deep recursion
// (a 100,000-long chain) only costs heap. Rules of a call are filtered by
// their specializers and tried most specific first (insertion sort as in
// oso). Bindings live in frame slots with an undo trail; machines are pooled.
//
// Order of answers: depth-first, left to right, rules of a call tried most
// specific first (see the language reference; insertion sort as in oso, so
// equally specific rules keep source order), `in` over lists in order, over
// strings by character, over dictionaries by sorted key. Literal parameters
// (`"read"`) only filter. A parameter with a class specializer called with
// an unbound argument (the expansion of `"reader" if "member" on "parent"`
// calls has_relation(related, "parent", resource) with related unbound) is
// checked after the rule body has bound it; still unbound then is an error.
//
// Dictionary patterns `{k: v}` match dictionaries (and Go maps) with at
// least those keys, and also Go structs with those fields. Ordered
// comparisons with nil are false; == and != treat nil as an ordinary value.
//
// Debugging: QueryOptions.Debug installs a DebugHook, called at debug(...)
// goals (once, also when stepping onto one) and, while stepping, before
// goals, with the goal's source and position, the goals still to run
// (Pending), the call stack and the bindings; it answers continue, step
// into/over/out or abort (see debug.go).
//
// Termination: every query has a step limit (DefaultMaxSteps) and a depth
// limit (DefaultMaxDepth), and checks its context every 1024 steps. On
// cyclic data, a loop check makes recursion terminate with the least
// fixpoint: a call to a recursive predicate identical to a call still active
// on the current derivation path (an ancestor) fails. Such a repeated call
// can only re-derive what its ancestor derives, so no answer is lost;
// answers are not duplicated by loops. Every call is covered, whatever its
// arity and arguments: identity is structural (lists and dictionaries
// element by element, unbound variables by identity, Go pointers, maps and
// slices by identity, other Go values such as structs by identity of the
// value passed along or by ==; see loop.go).
// Arguments are compared only with active calls of the same predicate, and
// hashed (with bounded work) only once the path is deeper than 32 calls.
//
// Errors during evaluation are *ast.Error of kind ast.KindRuntime with the
// policy position; limits wrap ErrLimit; a panic inside the VM or a host
// method is recovered and returned as an error (fail closed).
package engine
