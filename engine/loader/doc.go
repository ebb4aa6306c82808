// Package loader turns parsed policy files into a checked, expanded Program:
// the rule table (predicates by name/arity), merged actor and resource
// blocks, shorthand rules expanded into ordinary rules, rule types, inline
// queries, and all load-time errors and warnings.
//
// Entry points: Load (the only way to build a Program), Program (with Pred,
// IsActor, IsResource), Pred, Block, Key, and the Classes interface the host
// (the VM) implements to answer which classes exist and how they relate.
//
// What Load does, in order:
//
//  1. Merges repeated blocks of a class; a name declared twice (as the same or
//     another kind) is an error. Roles, permissions and shorthand rules need a
//     resource block: an actor block of a class that has none may only declare
//     relations.
//  2. Expands each shorthand rule where its block is, positioned at the
//     shorthand (Rule.Source points to it), as oso 0.26 did:
//     "read" if "reader" becomes
//     has_permission(actor: Actor, "read", resource: Repo) if has_role(actor, "reader", resource);
//     "admin" if "owner" (owner a relation to an actor class) becomes
//     has_role(actor: Actor, "admin", resource: Repo) if has_relation(actor, "owner", resource);
//     "reader" if "member" on "parent" becomes
//     has_role(actor: Actor, "reader", resource: Repo) if has_relation(related, "parent", resource) and has_role(actor, "member", related);
//     The body of an `on` rule must be a role or permission of the related
//     class's block. Each relation so used adds the required rule type
//     has_relation(subject: Org, "parent", object: Repo).
//  3. Checks every rule against the rule types of its name: built-in (allow,
//     allow_field, allow_request, has_permission, and has_role when roles are
//     declared), user `type` declarations, and the generated has_relation
//     types. As in oso, a parameter left unspecialized where the type names a
//     class does not fit.
//  4. Requires has_role (when roles are declared) and each generated
//     has_relation type to be implemented by at least one fitting rule.
//  5. Reports calls to undefined rules and unknown classes in specializers,
//     patterns, `matches` and `new`.
//  6. Warns about singleton variables, a policy without allow rules, and
//     resource permissions that no has_permission call can reach.
//
// Messages carry file:line:col and a caret snippet (ast.NewError, kind
// ast.KindValidation); warnings have Severity ast.SeverityWarning. Rule bodies
// are left as parsed (parentheses included) for the VM to compile.
package loader
