package main

// The GORM models. Ursa reads their fields by Go name (repo.IsPublic) or by
// column name (repo.is_public); gormfilter reads the tables, columns and
// relations from GORM.

// User is the actor. Its roles are loaded with it (see App.authenticate).
type User struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name" gorm:"uniqueIndex;not null"`
	OrgRoles  []OrgRole  `json:"-"`
	RepoRoles []RepoRole `json:"-"`
}

type Organization struct {
	ID   int64  `json:"id"`
	Name string `json:"name" gorm:"not null"`
}

// OrgRole gives a user a role ("member", "admin") in an organization.
type OrgRole struct {
	ID     int64  `json:"-"`
	UserID int64  `json:"user_id" gorm:"not null;index"`
	OrgID  int64  `json:"org_id" gorm:"not null;index"`
	Role   string `json:"role" gorm:"not null"`
}

type Repository struct {
	ID       int64         `json:"id"`
	Name     string        `json:"name" gorm:"not null"`
	OrgID    int64         `json:"org_id" gorm:"not null;index"`
	Org      *Organization `json:"-"`
	IsPublic bool          `json:"is_public" gorm:"not null"`
}

// RepoRole gives a user a role ("reader", "maintainer", "admin") on one
// repository, e.g. an outside collaborator.
type RepoRole struct {
	ID     int64  `json:"-"`
	UserID int64  `json:"user_id" gorm:"not null;index"`
	RepoID int64  `json:"repo_id" gorm:"not null;index"`
	Role   string `json:"role" gorm:"not null"`
}

type Issue struct {
	ID        int64       `json:"id"`
	Title     string      `json:"title" gorm:"not null"`
	RepoID    int64       `json:"repo_id" gorm:"not null;index"`
	Repo      *Repository `json:"-"`
	CreatorID int64       `json:"creator_id" gorm:"not null"`
	Closed    bool        `json:"closed" gorm:"not null"`
}

// models are the tables, in creation order.
var models = []any{&User{}, &Organization{}, &OrgRole{}, &Repository{}, &RepoRole{}, &Issue{}}
