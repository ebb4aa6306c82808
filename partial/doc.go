// Package partial evaluates authorization rules with the resource unknown and
// returns a Filter: an OR of ANDs of constraints over paths from the resource,
// with EXISTS over to-many relations, negation, and recursive (fixpoint)
// predicates.
//
// Entry points: Filter and its condition types (the IR), Match (evaluate a
// filter against Go values), and the evaluator that produces filters.
package partial
