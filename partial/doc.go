// Package partial evaluates authorization rules with the resource unknown and
// returns a Filter: an OR of ANDs of constraints over paths from the resource,
// with EXISTS over to-many relations, negation, and recursive (fixpoint)
// predicates.
//
// Entry points:
//   - Eval(ctx, policy, actor, action, resourceType): the filter of
//     allow(actor, action, resource) for an unknown resource of that class
//     (cached; see below). Query is the same for any rule, uncached.
//   - The IR (ir.go): Filter, Branch, and the conditions Compare, In, Exists,
//     Not, NotFilter, InSet, Const; Pred for recursive predicates.
//   - Filter.Simplify, Filter.String (readable, deterministic text),
//     Filter.Key, WalkFilter/WalkCond, PrimaryKey.
//   - Match(policy, filter, value): evaluates a filter against a Go value with
//     the decision engine's semantics (for tests and non-SQL backends).
//     MatchContext is the same with a context.
//   - ErrUnsupported: wrapped (with errors.Is) in an *ast.Error naming the
//     policy line of a construct a filter cannot express.
//
// # How a filter is computed
//
// A symbolic evaluator (eval.go, unify.go) runs over the loaded program, not
// through the decision VM. It explores every derivation of the query, depth
// first in continuation-passing style, with bindings undone through a trail.
// The resource is an unknown: a path (resource, resource.Org, m) with a static
// type from the registered Go type. Everything else is evaluated with the
// engine's exported semantics (Policy.Lookup, CallMethod, IsA, Constant, New
// and engine.Equal, Compare, Arith, Normalize), so known parts behave exactly
// as in a decision.
//
//   - Lookups on an unknown are resolved statically with Policy.Field: a
//     struct field (pointer or value) is an unknown object, a slice field a
//     collection, other fields scalar columns. Path steps are canonical Go field
//     names (a policy may write `repo.org_id`; the path says OrgID).
//   - Specializers on an unknown are decided statically from its type: the
//     rule applies or it does not; no type test reaches the filter. A class
//     specializer on an unbound variable is recorded and checked when the
//     variable is bound (`has_relation(org: Org, "parent", repo)` called with
//     an unbound org, then `org = repo.org`).
//   - A comparison or unification touching an unknown becomes a Compare on the
//     current branch, after a static type check (a string column is never
//     equal to an integer: `=` fails, `!=` holds, an ordered comparison is the
//     decision's error). An unknown scalar `in` a known list is one In.
//   - Objects are compared by primary key: the fields tagged
//     gorm:"primaryKey" (or "primary_key"), else the field named ID. So
//     `org = repo.org` with a known org is `resource.Org.ID = 1`, `repo.org in
//     user.orgs` is `resource.Org.ID in [1, 2]`, and two unknown objects compare
//     key to key. A relation compared with nil is `resource.Parent = nil`.
//     (The decision compares Go objects with engine.Equal — the same pointer or
//     deeply equal values — which agrees whenever one row is one object, as
//     with an ORM identity map.)
//   - `x in unknown.collection` introduces an existential variable, named
//     after x and unique in the filter, scoped to the branch: when the branch
//     completes, every condition that mentions it moves inside its Exists. An
//     `or` after the `in` gives each branch its own copy, so conditions in
//     different branches never constrain each other.
//   - `not G` evaluates G's residual R: no derivation -> true, an
//     unconstrained derivation -> false; a disjunction of single conditions
//     becomes the conjunction of their negations (`not a = b` is `a != b`);
//     anything else is one NotFilter. Bindings made inside are discarded.
//     `forall(c, a)` is `not (c and not a)`, which over a known collection is
//     the conjunction of a's residual per element.
//
// # Recursion
//
// A call that repeats an active call's pattern — same predicate, equal known
// arguments, unknowns of the same class in the same positions — is not
// unfolded again. With exactly one unknown object argument it becomes
// InSet{path, P}, and the pattern is defined once as the predicate P: the
// residual of the call over a fresh parameter (tabling, as in XSB or
// Soufflé). The outermost call of the pattern, once it is known to be
// recursive, replaces the branches it produced (one unrolled step) by the
// plain reference (`resource in can_read`), in the same evaluation pass;
// later calls matching a known pattern become references at once. A
// repeated call on known arguments only adds no answers (least fixpoint) and
// fails.
// Recursion through `not`, through an unbound argument, or through more than
// one unknown is ErrUnsupported; so are call chains deeper than maxCallDepth.
//
// Predicates are named after the rule and its identifier-like string
// arguments (has_role(user, "viewer", f) -> has_role_viewer). Match computes
// InSet as the least fixpoint (Kleene iteration over the objects reached), so
// cyclic data terminates and agrees with SQL's WITH RECURSIVE ... UNION.
//
// # Simplification and printing
//
// Filter.Simplify drops `true`, folds `false` and contradictions (`p = nil and
// p != nil`), merges duplicate conditions and branches, drops a branch that
// includes another's conditions, turns an always-true branch into allow-all
// (one empty branch) and no branch into deny-all (no branches), folds negated
// constants, drops `not A` next to `not (A or B)`, empties predicates that
// have no base case, and merges branches that differ in one condition:
// equalities on one path become `p in [...]`, and EXISTS over one relation
// become one EXISTS of the disjunction (GitClub "repos user may read": 4
// branches instead of 10). String prints, e.g.:
//
//	resource.OwnerID = 7 or resource.Public = true
//	exists m in resource.Memberships: (m.UserID = 7 and m.Role = "admin")
//	resource in can_read
//	where can_read(f: Folder) := f.OwnerID = 7 or f.Parent in can_read
//
// # Errors and limits
//
// What a filter cannot express exactly is an error naming the policy line
// (file:line:col with a caret snippet) that wraps ErrUnsupported: a method
// call or arithmetic on the unknown resource, `cut` reached while the
// resource is unknown, a lookup on an unbound variable, a comparison with an
// unbound variable, and the recursion cases above. Runtime errors on known
// values (a failed lookup on the actor) are errors too: filtering fails
// closed. An evaluation stops after maxSteps steps and on context
// cancellation.
//
// # Nil relations and decision errors
//
// A to-one relation (a pointer field) may be nil. The evaluator follows the
// decision exactly where it can:
//   - a nil relation is an instance of no class, so a specializer on it
//     requires the relation: `resource.Org != nil` before the rule's
//     conditions; compared as an object with a known or unknown object, it is
//     unequal (guard first, then key comparison);
//   - a lookup through it (`resource.org.name`) is an error in a decision,
//     which denies the row whatever other rules say. Each such lookup records
//     an error region: the branch as far as evaluated, and `relation = nil`.
//     Regions are facts about the evaluation, kept even when the derivation
//     fails later. A negation adds the regions of its goal to the residual it
//     negates (`not` never turns an error into an accepted row) and passes
//     them on, restricted to rows where no earlier derivation of the goal
//     succeeded. At the top, each branch excludes the regions reached before
//     it (the decision stops at its first success or error), with the guard
//     first. This is exact when the evaluation order is the decision's: when
//     every call's applicable rules have the same specializers (source order
//     in both). Otherwise (the decision sorts most specific first) every
//     branch excludes every region: narrower than the decision where an
//     earlier rule succeeds first, never wider. In recursive predicate bodies
//     all regions are excluded. A region met while iterating a to-many
//     relation (`m in resource.ms and m.user.name = ...`) counts as coming
//     before every branch produced since the iteration began: the decision's
//     element order is unknown to a filter (and to SQL), so there the filter
//     may be narrower, never wider.
//   - Match reads a condition on a path through a nil relation as false (as
//     SQL does); the rows where the decision errors are excluded by the
//     regions above.
//   - a missing dictionary key fails the goal quietly, as in the decision.
//
// # Cache
//
// Eval caches filters per policy snapshot, action, resource type and a
// fingerprint of the actor's entire reachable value (content, not pointer
// identity, so an actor mutated between calls is a new key). Evaluations that
// called host methods, used `new` or read non-scalar constants are not cached.
// See cache.go.
//
// Uncached evaluation reuses what does not depend on the actor: the program
// compiled once per *loader.Program (index.go: rules by name and arity, each
// call site's predicate, rules by the string literal of their first literal
// parameter, specializer signatures, a pre-allocation rule filter on literal
// and class parameters) and, per policy snapshot (*engine.Policy, never
// shared across versions), subclass answers, resolved fields and static
// types (snap.go; immutable maps read without a lock). Each pooled
// evaluator also keeps, for the snapshot it last evaluated (snapMemo), the
// rules a call tries by predicate and argument shape (dispatch.go) and
// direct-mapped tables of fields, class answers and call sites. Within one
// evaluation, unknowns' fields and comparisons are interned; conditions,
// operands, raw residuals and condition keys are carved from slabs and an
// arena; reads of known objects and class questions on them are memoised
// while the evaluation is pure; evaluators, call frames and rule scopes are
// recycled. The filter returned is copied out of the slabs (compact.go), so
// that a pooled evaluator reuses their memory for its next evaluation.
package partial
