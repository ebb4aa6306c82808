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
//     shorthand (Rule.Source points to it), as oso 0.26 did (see Expansion).
//     The body of an `on` rule must be a role or permission of the related
//     class's block. Each relation so used adds a required rule type such as
//     has_relation(subject: Org, "parent", object: Repo).
//  3. Checks every rule against the rule types of its name: built-in (allow,
//     allow_field, allow_request, has_permission, and has_role when roles are
//     declared), user `type` declarations, and the generated has_relation
//     types. As in oso, a parameter left unspecialized where the type names a
//     class does not fit ("parameter `user` expects an Actor type
//     constraint"); Actor and Resource accept the classes of actor and
//     resource blocks and their subclasses (Classes.Subclass).
//  4. Requires has_role (when roles are declared) and each generated
//     has_relation type to be implemented by at least one fitting rule
//     (expanded rules count, as in oso).
//  5. Reports calls to undefined rules (with other arities or a close name
//     as a hint), keyword arguments in rule calls, and unknown classes in
//     specializers, patterns, `matches`, `new` and rule types.
//  6. Warns about singleton variables (names starting with _ and
//     capitalized lookup receivers such as Math.sqrt are exempt), a policy
//     without allow, allow_field or allow_request rules, resource permissions
//     that no has_permission call (outside expanded rules) can reach, and
//     Actor/Resource used while no such block exists (they never match).
//
// To keep one mistake to one message, after an error in a block or shorthand
// rule the has_role requirement and undefined-call errors for has_role,
// has_permission and has_relation are not reported.
//
// # Expansion
//
// In resource Repo { roles = ["reader", "admin"]; permissions = ["read"];
// relations = { parent: Org, owner: User }; ... } with actor User {}:
//
//	"read" if "reader";
//	has_permission(actor: Actor, "read", resource: Repo) if has_role(actor, "reader", resource);
//
//	"admin" if "owner";   # owner relates Repo to an actor class
//	has_role(actor: Actor, "admin", resource: Repo) if has_relation(actor, "owner", resource);
//
//	"reader" if "member" on "parent";
//	has_role(actor: Actor, "reader", resource: Repo) if
//	    has_relation(related, "parent", resource) and has_role(actor, "member", related);
//
// `related` is not checked with `matches`: the has_relation rules'
// specializers decide its class, as in oso.
//
// Messages carry file:line:col and a caret snippet (ast.NewError, kind
// ast.KindValidation); warnings have Severity ast.SeverityWarning. Rule bodies
// are left as parsed (parentheses included) for the VM to compile.
package loader
