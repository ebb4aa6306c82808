// Package parser is the Polar front end: a lexer and a recursive-descent
// parser producing the syntax tree of package ast.
//
// Entry points:
//   - ParseFile parses a policy source (rules, rule types, inline queries,
//     actor/resource blocks) into an *ast.PolicyFile.
//   - ParseQuery parses a query expression (REPL input, Query API).
//   - ParseTerm parses a single term (CLI --actor style inputs).
//
// All three return an ast.ErrorList of syntax errors and warnings
// (ast.SeverityWarning, kind ast.KindSyntax), sorted, with at most one error
// per line; every entry carries file:line:col and a caret snippet (long lines
// are cut to a window around the caret). On errors the result holds what
// parsed (ParseQuery and ParseTerm may return nil).
//
// Bad input never panics, hangs or blows up: after the first error in an item
// the parser skips to the next ';' (or a '}' closing the block, or a line
// that starts a new rule or block), so one typo gives one message; a missing
// ';' or '}' before a new statement is reported at the end of the unfinished
// line and the next statement still parses. Expressions nested deeper than
// MaxDepth (including long left-deep chains like a + a + ... or x.a.a...)
// are an error, and parsing stops after 100 errors. Cost is linear in the
// input (BenchmarkParse1000Rules).
//
// Language choices (where oso's reference behaviour is silent or unclear):
//   - `!` is an alias of `not`; the printer writes `not`.
//   - `in` and `matches` bind tighter than arithmetic, but their result may
//     only be an operand of not/and/or: `x in y > 0` is an error, as in oso.
//     `=`, `:=` and the comparisons do not chain (`a == b == c` is an error).
//   - Unary minus folds into a number literal (`-1`, `-2.5`, `-inf`); on
//     anything else it gives ast.Neg.
//   - Mixing `and` and `or` without parentheses parses by precedence (and
//     binds tighter) and yields a warning at the `or`.
//   - A specializer (after `:` in a parameter) and the right side of
//     `matches` are the same thing: a class name (*ast.ClassRef), an instance
//     pattern `Class{...}` (*ast.Pattern), a dictionary pattern, or a literal.
//     Instance patterns are allowed nowhere else. Everywhere else
//     a bare name is an *ast.Var, including the receiver of `Class.method()`
//     (the evaluator resolves names of registered constants).
//   - Strings may span lines; escapes are \n \t \r \" \\ \0 and \u{hex}.
//   - Keywords may be used as field, method, keyword-argument, dictionary
//     and pattern keys (`x.type`, `f(in: 1)`, `{if: 1}`).
//   - Trailing commas are accepted in lists, dictionaries, parameters and
//     arguments.
package parser
