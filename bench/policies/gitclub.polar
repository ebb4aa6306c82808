# GitClub: organisation roles are inherited by the organisation's repositories.
actor User {}

resource Org {
  roles = ["member", "owner"];
  permissions = ["read"];

  "read" if "member";
  "member" if "owner";
}

resource Repo {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "delete"];
  relations = { parent: Org };

  "read" if "reader";
  "push" if "maintainer";
  "delete" if "admin";

  "reader" if "maintainer";
  "maintainer" if "admin";

  "reader" if "member" on "parent";
  "admin" if "owner" on "parent";
}

has_role(user: User, name: String, org: Org) if
  role in user.OrgRoles and
  role.Role = name and
  role.OrgID = org.ID;

has_role(user: User, name: String, repo: Repo) if
  role in user.RepoRoles and
  role.Role = name and
  role.RepoID = repo.ID;

has_relation(org: Org, "parent", repo: Repo) if org = repo.Org;

allow(actor, action, resource) if has_permission(actor, action, resource);
