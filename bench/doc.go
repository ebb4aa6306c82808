// Package bench compares Ursa with other authorization engines on equivalent
// policies, measured in one run on the same machine.
//
// It is its own Go module so that OPA, cedar-go and the cgo oso library never
// become dependencies of Ursa itself.
//
// Two policies, each written in Polar (Ursa and oso), Rego (OPA) and Cedar
// (cedar-go), live in policies/:
//
//   - docs: a document may be read by its owner or by anyone when public, and
//     written by its owner;
//   - gitclub: organisation roles (member, owner) are inherited by the
//     organisation's repositories; repository roles (reader, maintainer, admin)
//     imply one another.
//
// Entry points: Fixture (the shared data set and the fixed requests), the
// Decider and Filterer adapters per engine (NewOPA, NewCedar, NewOso, NewUrsa),
// and CheckDecisions / CheckFilters, which every benchmark runs first so that
// no engine is timed on a policy that answers differently. Run everything with
// ./run.sh; the results are described in docs/benchmarks.md.
package bench
