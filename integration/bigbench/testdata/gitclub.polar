# GitClub: organizations own repositories; repositories have issues.
# Roles come from join tables (org_roles, repo_roles, team_repo_roles);
# teams nest (a member of a team is a member of all its sub-teams).

actor User {}

resource Organization {
  roles = ["member", "admin"];
  permissions = ["read", "create_repository", "delete"];

  "read" if "member";
  "create_repository" if "admin";
  "delete" if "admin";

  "member" if "admin";
}

resource Repository {
  roles = ["reader", "maintainer", "admin"];
  permissions = ["read", "push", "manage_issues", "delete"];
  relations = { parent: Organization };

  "read" if "reader";
  "push" if "maintainer";
  "manage_issues" if "maintainer";
  "delete" if "admin";

  "reader" if "maintainer";
  "maintainer" if "admin";

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

has_relation(org: Organization, "parent", repo: Repository) if
  org = repo.Org;

has_relation(repo: Repository, "repository", issue: Issue) if
  repo = issue.Repo;

has_relation(user: User, "creator", issue: Issue) if
  user = issue.Creator;

# Organization roles are read from the actor's side ...
has_role(user: User, name: String, org: Organization) if
  role in user.OrgRoles and
  role.OrgID = org.ID and
  role.Name = name;

# ... repository roles from the resource's side ...
has_role(user: User, name: String, repo: Repository) if
  role in repo.Roles and
  role.UserID = user.ID and
  role.Name = name;

# ... and through (nested) teams.
has_role(user: User, name: String, repo: Repository) if
  grant in repo.TeamRoles and
  grant.Name = name and
  in_team(user, grant.Team);

in_team(user: User, team: Team) if
  m in team.Memberships and
  m.UserID = user.ID;

in_team(user: User, team: Team) if
  in_team(user, team.Parent);

# Public repositories (and their issues) can be read by anyone.
has_permission(_: User, "read", repo: Repository) if
  repo.IsPublic = true;

allow(actor, action, resource) if
  has_permission(actor, action, resource);
