package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/gormfilter"
	"github.com/ursa-authz/ursa/ursahttp"
	"gorm.io/gorm"
)

//go:embed gitclub.polar
var policyFS embed.FS

// App is the GitClub JSON API over one database.
type App struct {
	db    *gorm.DB
	authz *ursa.Authorizer
	mux   *http.ServeMux
}

// NewAuthorizer registers the Go types the policy names and loads the
// embedded policy.
func NewAuthorizer() (*ursa.Authorizer, error) {
	authz, err := ursa.New()
	if err != nil {
		return nil, err
	}
	for _, class := range []any{User{}, Organization{}, OrgRole{}, Repository{}, RepoRole{}, Issue{}} {
		if err := authz.RegisterClass(class); err != nil {
			return nil, err
		}
	}
	if err := authz.LoadFS(policyFS, "gitclub.polar"); err != nil {
		return nil, err
	}
	return authz, nil
}

// NewApp builds the API over db, whose tables exist (Migrate). It installs
// the gormfilter plugin on db.
func NewApp(db *gorm.DB) (*App, error) {
	authz, err := NewAuthorizer()
	if err != nil {
		return nil, err
	}
	if err := db.Use(gormfilter.New(authz)); err != nil {
		return nil, err
	}
	a := &App{db: db, authz: authz, mux: http.NewServeMux()}
	routes := map[string]http.HandlerFunc{
		"GET /orgs":                        a.listOrgs,
		"GET /orgs/{org}":                  a.getOrg,
		"GET /orgs/{org}/members":          a.listOrgMembers,
		"PUT /orgs/{org}/members/{user}":   a.setOrgRole,
		"GET /repos":                       a.listRepos,
		"GET /repos/{repo}":                a.getRepo,
		"PUT /repos/{repo}/members/{user}": a.setRepoRole,
		"GET /repos/{repo}/issues":         a.listRepoIssues,
		"POST /repos/{repo}/issues":        a.createIssue,
		"GET /issues":                      a.listIssues,
		"GET /issues/{issue}":              a.getIssue,
		"POST /issues/{issue}/close":       a.closeIssue,
	}
	for pattern, h := range routes {
		a.mux.Handle(pattern, a.authenticate(h))
	}
	return a, nil
}

// ServeHTTP implements http.Handler.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.mux.ServeHTTP(w, r) }

// Migrate creates the tables (or adds missing columns).
func Migrate(db *gorm.DB) error { return db.AutoMigrate(models...) }

// ---- who is calling ----

type userKey struct{}

// authenticate reads the caller from the X-User header. Authentication is out
// of scope for this example: a real app gets the user from a verified session
// or token, never from a header the client chooses. The user is loaded with
// its roles, which the policy reads (user.OrgRoles, user.RepoRoles).
func (a *App) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.Header.Get("X-User")
		if name == "" {
			ursahttp.Error(w, r, ursahttp.WithStatus(http.StatusUnauthorized,
				errors.New("set the X-User header to a demo user: alice, bob, carol or dave")))
			return
		}
		var user User
		err := a.db.WithContext(r.Context()).Preload("OrgRoles").Preload("RepoRoles").
			Where("name = ?", name).Take(&user).Error
		if err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				err = ursahttp.WithStatus(http.StatusUnauthorized, fmt.Errorf("unknown user %q", name))
			}
			ursahttp.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &user)))
	})
}

func currentUser(r *http.Request) *User { return r.Context().Value(userKey{}).(*User) }

// ---- loading one resource ----

// errNoRow answers 404 for a missing row, exactly like for a row the caller
// may not read, so the answer does not tell them apart.
var errNoRow = ursahttp.WithStatus(http.StatusNotFound, errors.New("not found"))

// load fetches the row with the primary key in the path parameter param,
// with the associations the policy reads (preloads).
func (a *App) load(r *http.Request, dest any, param string, preloads ...string) error {
	id, err := strconv.ParseInt(r.PathValue(param), 10, 64)
	if err != nil {
		return errNoRow
	}
	q := a.db.WithContext(r.Context())
	for _, p := range preloads {
		q = q.Preload(p)
	}
	if err := q.Take(dest, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return errNoRow
		}
		return err
	}
	return nil
}

// The policy reads repo.Org and issue.Repo(.Org): load them with the row.
func (a *App) loadOrg(r *http.Request) (*Organization, error) {
	var org Organization
	return &org, a.load(r, &org, "org")
}

func (a *App) loadRepo(r *http.Request) (*Repository, error) {
	var repo Repository
	return &repo, a.load(r, &repo, "repo", "Org")
}

func (a *App) loadIssue(r *http.Request) (*Issue, error) {
	var issue Issue
	return &issue, a.load(r, &issue, "issue", "Repo.Org")
}

// ---- responses ----

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// withActions is one resource with the actions the caller may perform on it
// (for a UI to show or hide buttons).
type withActions[T any] struct {
	Item    T        `json:"item"`
	Actions []string `json:"actions"`
}

func (a *App) writeOne(w http.ResponseWriter, r *http.Request, item any) {
	actions, err := a.authz.AuthorizedActions(r.Context(), currentUser(r), item)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, withActions[any]{item, actions})
}

// ---- organizations ----

func (a *App) listOrgs(w http.ResponseWriter, r *http.Request) {
	var orgs []Organization
	err := gormfilter.Authorized(a.db.WithContext(r.Context()), currentUser(r), "read").
		Order("id").Find(&orgs).Error
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, orgs)
}

func (a *App) getOrg(w http.ResponseWriter, r *http.Request) {
	org, err := a.loadOrg(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "read", org) {
		return
	}
	a.writeOne(w, r, org)
}

// member is one row of GET /orgs/{org}/members and GET /repos/{repo}/members.
type member struct {
	User string `json:"user"`
	Role string `json:"role"`
}

func (a *App) listOrgMembers(w http.ResponseWriter, r *http.Request) {
	org, err := a.loadOrg(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "read", org) {
		return
	}
	members := []member{}
	err = a.db.WithContext(r.Context()).Model(&OrgRole{}).
		Select("users.name AS user, org_roles.role AS role").
		Joins("JOIN users ON users.id = org_roles.user_id").
		Where("org_roles.org_id = ?", org.ID).Order("users.name, org_roles.role").
		Scan(&members).Error
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, members)
}

var (
	orgRoles  = []string{"member", "admin"}
	repoRoles = []string{"reader", "maintainer", "admin"}
)

// roleRequest reads {"role": "..."} and the target user from the path.
func (a *App) roleRequest(r *http.Request, allowed []string) (*User, string, error) {
	var body struct {
		Role string `json:"role"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, "", ursahttp.WithStatus(http.StatusBadRequest, fmt.Errorf("body: want {\"role\": ...}: %v", err))
	}
	if !slices.Contains(allowed, body.Role) {
		return nil, "", ursahttp.WithStatus(http.StatusBadRequest, fmt.Errorf("role must be one of %q", allowed))
	}
	var target User
	err := a.db.WithContext(r.Context()).Where("name = ?", r.PathValue("user")).Take(&target).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, "", ursahttp.WithStatus(http.StatusNotFound, fmt.Errorf("no user %q", r.PathValue("user")))
	}
	return &target, body.Role, err
}

// setOrgRole: PUT /orgs/{org}/members/{user} {"role": "admin"} makes user
// an admin of org (replacing their role there). Only org admins may.
func (a *App) setOrgRole(w http.ResponseWriter, r *http.Request) {
	org, err := a.loadOrg(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "manage_members", org) {
		return
	}
	target, role, err := a.roleRequest(r, orgRoles)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	err = a.db.WithContext(r.Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND org_id = ?", target.ID, org.ID).Delete(&OrgRole{}).Error; err != nil {
			return err
		}
		return tx.Create(&OrgRole{UserID: target.ID, OrgID: org.ID, Role: role}).Error
	})
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, member{User: target.Name, Role: role})
}

// ---- repositories ----

func (a *App) listRepos(w http.ResponseWriter, r *http.Request) {
	var repos []Repository
	err := gormfilter.Authorized(a.db.WithContext(r.Context()), currentUser(r), "read").
		Order("id").Find(&repos).Error
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, repos)
}

func (a *App) getRepo(w http.ResponseWriter, r *http.Request) {
	repo, err := a.loadRepo(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "read", repo) {
		return
	}
	a.writeOne(w, r, repo)
}

// setRepoRole: PUT /repos/{repo}/members/{user} {"role": "maintainer"}.
// Only repository admins (and so org admins) may.
func (a *App) setRepoRole(w http.ResponseWriter, r *http.Request) {
	repo, err := a.loadRepo(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "manage_members", repo) {
		return
	}
	target, role, err := a.roleRequest(r, repoRoles)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	err = a.db.WithContext(r.Context()).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("user_id = ? AND repo_id = ?", target.ID, repo.ID).Delete(&RepoRole{}).Error; err != nil {
			return err
		}
		return tx.Create(&RepoRole{UserID: target.ID, RepoID: repo.ID, Role: role}).Error
	})
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, member{User: target.Name, Role: role})
}

// ---- issues ----

// listIssues: GET /issues lists every issue the caller may read.
func (a *App) listIssues(w http.ResponseWriter, r *http.Request) {
	var issues []Issue
	err := gormfilter.Authorized(a.db.WithContext(r.Context()), currentUser(r), "read").
		Order("id").Find(&issues).Error
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issues)
}

// listRepoIssues: GET /repos/{repo}/issues; 404 if the caller may not read
// the repository.
func (a *App) listRepoIssues(w http.ResponseWriter, r *http.Request) {
	repo, err := a.loadRepo(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "read", repo) {
		return
	}
	var issues []Issue
	err = gormfilter.Authorized(a.db.WithContext(r.Context()), currentUser(r), "read").
		Where("repo_id = ?", repo.ID).Order("id").Find(&issues).Error
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issues)
}

// createIssue: POST /repos/{repo}/issues {"title": "..."}.
func (a *App) createIssue(w http.ResponseWriter, r *http.Request) {
	repo, err := a.loadRepo(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	user := currentUser(r)
	if !ursahttp.Authorize(w, r, a.authz, user, "create_issue", repo) {
		return
	}
	var body struct {
		Title string `json:"title"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == "" {
		ursahttp.Error(w, r, ursahttp.WithStatus(http.StatusBadRequest, errors.New(`body: want {"title": "..."}`)))
		return
	}
	issue := Issue{Title: body.Title, RepoID: repo.ID, CreatorID: user.ID}
	if err := a.db.WithContext(r.Context()).Create(&issue).Error; err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, issue)
}

func (a *App) getIssue(w http.ResponseWriter, r *http.Request) {
	issue, err := a.loadIssue(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "read", issue) {
		return
	}
	a.writeOne(w, r, issue)
}

// closeIssue: POST /issues/{issue}/close. The repository's maintainers and
// the issue's creator may.
func (a *App) closeIssue(w http.ResponseWriter, r *http.Request) {
	issue, err := a.loadIssue(r)
	if err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	if !ursahttp.Authorize(w, r, a.authz, currentUser(r), "close", issue) {
		return
	}
	issue.Closed = true
	if err := a.db.WithContext(r.Context()).Model(issue).Update("closed", true).Error; err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issue)
}
