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
// # Check
//
// `ursa check` prints every error and warning as `file:line:col: message`
// followed by the source line and a caret, then `N errors, N warnings`, and
// `ok: N files, N rules` when there is no error. Inline queries run as when
// the policy is loaded by the library. Exit 1 on any error.
//
// # Tests
//
// `ursa test` loads the policy without running its inline queries (the
// engine's Load always runs them and fails on the first failure, so the CLI
// loads with loader.Load and engine.Compile itself), then runs every inline
// `?=` query and every zero-argument rule named test_*, in source order; each
// is reported `PASS file:line:col: name` or `FAIL ...` (an error is a
// failure, printed indented below), followed by `N passed, N failed`. Exit 1
// when any failed.
//
// # Explain
//
// `ursa explain --query 'allow(...)'` (and the REPL's explain) print
// ursa.ExplainPolicyQuery: for a success each rule that succeeded (✓) with,
// below it, each call of its body and the rule that proved it; for a failure
// every rule's attempt (✗), closest first, with the goal where it stopped.
//
// # SQL
//
// `ursa sql` prints the filter IR of allow(actor, action, resource) for an
// unknown resource of --type (partial.Eval), then the statement of
// sqlgen.Select for the dialect and its bind arguments, one per line:
//
//	-- filter
//	resource.IsPublic = true or resource.CreatorId = 7
//	-- postgres
//	SELECT "repos".* FROM "repos" WHERE "repos"."is_public" = $1 OR "repos"."creator_id" = $2
//	-- args
//	1: true
//	2: 7
//
// The actor is JSON: a Polar dictionary by default, or with --actor-type an
// instance of a schema class. The schema comes from --schema (format in
// schema.go) or from a live PostgreSQL with --dsn (tables of the current
// schema; see pg.go), or both (the file's declarations win).
package main
