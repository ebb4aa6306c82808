package ursa_test

// Shared fixtures of the root package tests, examples and benchmarks.

type User struct {
	ID        int
	Name      string
	OrgRoles  []OrgRole
	RepoRoles []RepoRole
}

type OrgRole struct {
	Name  string
	OrgID int
}

type RepoRole struct {
	Name   string
	RepoID int
}

type Org struct {
	ID   int
	Name string
}

type Repo struct {
	ID     int
	Name   string
	OrgID  int
	Org    *Org
	Public bool
}

type Doc struct {
	ID      int
	OwnerID int
	Public  bool
}

const gitclubPolicy = `
actor User {}

resource Org {
  roles = ["owner", "member"];
  permissions = ["read", "create_repos", "list_repos"];

  "read" if "member";
  "list_repos" if "member";
  "create_repos" if "owner";
  "member" if "owner";
}

resource Repo {
  roles = ["reader", "writer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Org };

  "read" if "reader";
  "push" if "writer";
  "delete" if "admin";
  "reader" if "writer";
  "writer" if "admin";
  "reader" if "member" on "parent";
  "admin" if "owner" on "parent";
}

has_role(user: User, name: String, org: Org) if
  role in user.org_roles and
  role matches { name: name, org_id: org.id };

has_role(user: User, name: String, repo: Repo) if
  role in user.repo_roles and
  role matches { name: name, repo_id: repo.id };

has_relation(org: Org, "parent", repo: Repo) if repo.org = org;

allow(actor, action, resource) if has_permission(actor, action, resource);
allow(_: User, "read", repo: Repo) if repo.public;
`

const ownershipPolicy = `
allow(actor, _action, resource) if resource.owner_id = actor.id or resource.public;
`
