// Command ursa is the policy author's tool for Ursa's Polar policies.
//
// Usage:
//
//	ursa repl    [files...] [--schema FILE]      answer queries at a query> prompt (or piped stdin)
//	ursa check   [files...] [--schema FILE]      parse and validate; file:line:col messages with carets
//	ursa test    [files...] [--schema FILE]      run test_* rules and inline ?= queries
//	ursa explain [files...] --query 'allow(...)' why a decision came out as it did
//	ursa sql     [files...] --schema FILE --actor JSON --action read --type Repo [--dialect postgres] [--dsn URL]
//
// Exit codes: 0 success, 1 errors or failures, 2 usage errors.
//
// # REPL
//
// Each query prints one line per solution (the bindings, or `true` when the
// query has no variables) or `false`. A query continues on the next line
// while brackets or a string are open or the line ends with `and`, `or`, a
// comma, an operator or a backslash; a trailing `;` is optional. Commands:
// help, quit, load FILE..., debug QUERY (run QUERY stepping from its first
// goal), explain QUERY. When stdin is not a terminal no prompts are written,
// so a session can be scripted: `echo 'allow("alice", "read", x)' | ursa repl p.polar`.
// On a terminal, line editing and history (~/.ursa_history) come from
// github.com/chzyer/readline.
//
// # Debugger
//
// A `debug()` goal in a policy, or a query run with the REPL's `debug`
// command, stops at a `debug>` prompt. Commands: step (s), over (n), out (o),
// continue (c), stack (bt), goals, bindings (b), var NAME, line (l), abort
// (q), help (h). An empty line repeats the last command. The debugger is
// built on engine.DebugHook.
//
// # Classes without Go code
//
// The CLI has no Go types of the application. Policies work on plain Polar
// data (dictionaries, lists, strings, numbers). Each class named by an actor
// or resource block is registered as an empty placeholder type so that the
// policy loads and `check` can report everything else. A schema file
// (--schema, JSON; see schema.go) declares classes with fields and relations;
// the CLI builds a Go struct type for each at run time with reflect.StructOf
// and registers it, so `new Repo(id: 1)` works in the REPL and partial
// evaluation (`ursa sql`) sees typed fields and relations exactly as it sees
// application structs.
//
// # Tests
//
// `ursa test` loads the policy without running its inline queries, then runs
// every inline `?=` query and every zero-argument rule named test_*; each is
// reported PASS or FAIL with its location, followed by `N passed, N failed`.
package main
