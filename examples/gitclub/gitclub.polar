# GitClub: who may do what.
#
# Organizations own repositories; repositories have issues. A user's roles
# are rows of the org_roles and repo_roles tables, loaded with the user.
# Every "permission" below is something a handler asks with Authorize, or a
# list endpoint filters on with gormfilter.

actor User {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read", "manage_members"];

  "read" if "member";
  "manage_members" if "admin";

  "member" if "admin";        # an admin is also a member
}

resource Repository {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "create_issue", "manage_issues", "manage_members"];
  relations = { parent: Organization };

  "read" if "reader";
  "create_issue" if "reader";
  "manage_issues" if "maintainer";
  "manage_members" if "admin";

  "reader" if "maintainer";
  "maintainer" if "admin";

  # Roles inherited from the repository's organization.
  "reader" if "member" on "parent";
  "admin" if "admin" on "parent";
}

resource Issue {
  permissions = ["read", "close"];
  relations = { repository: Repository, creator: User };

  "read" if "read" on "repository";
  "close" if "manage_issues" on "repository";
  "close" if "creator";
}

# Relations: how to get from a resource to the related object.
has_relation(org: Organization, "parent", repo: Repository) if
  org = repo.Org;

has_relation(repo: Repository, "repository", issue: Issue) if
  repo = issue.Repo;

has_relation(user: User, "creator", issue: Issue) if
  user.ID = issue.CreatorID;

# Roles: rows of org_roles / repo_roles.
has_role(user: User, name: String, org: Organization) if
  role in user.OrgRoles and
  role.OrgID = org.ID and
  role.Role = name;

has_role(user: User, name: String, repo: Repository) if
  role in user.RepoRoles and
  role.RepoID = repo.ID and
  role.Role = name;

# Anyone may read a public repository, and so its issues; that does not make
# them a "reader": they may not open issues there.
has_permission(_: User, "read", repo: Repository) if
  repo.IsPublic;

allow(actor, action, resource) if
  has_permission(actor, action, resource);
