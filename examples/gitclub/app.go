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
		"GET /orgs/{org}":                  getOne[Organization](a, "org"),
		"GET /orgs/{org}/members":          a.listOrgMembers,
		"PUT /orgs/{org}/members/{user}":   setRole(a, "org", orgRoles, replaceOrgRole),
		"GET /repos":                       a.listRepos,
		"GET /repos/{repo}":                getOne[Repository](a, "repo"),
		"PUT /repos/{repo}/members/{user}": setRole(a, "repo", repoRoles, replaceRepoRole),
		"GET /repos/{repo}/issues":         a.listRepoIssues,
		"POST /repos/{repo}/issues":        a.createIssue,
		"GET /issues":                      a.listIssues,
		"GET /issues/{issue}":              getOne[Issue](a, "issue"),
		"POST /issues/{issue}/close":       a.closeIssue,
	}
	var index []string
	for pattern, h := range routes {
		a.mux.Handle(pattern, a.authenticate(h))
		index = append(index, pattern)
	}
	slices.Sort(index)
	// GET / lists the endpoints (no caller needed).
	a.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"endpoints": index, "users": []string{"alice", "bob", "carol", "dave"}})
	})
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

// ---- one resource: load, then authorize ----

// preloads lists the associations the policy reads on each resource
// (has_relation: repo.Org, issue.Repo); a decision only sees what is loaded.
func preloads(row any) []string {
	switch row.(type) {
	case *Repository:
		return []string{"Org"}
	case *Issue:
		return []string{"Repo.Org"}
	}
	return nil
}

// errNoRow answers 404 for a missing row, exactly like for a row the caller
// may not read, so the answer does not tell them apart.
var errNoRow = ursahttp.WithStatus(http.StatusNotFound, errors.New("not found"))

// load fetches the row of T whose primary key is the path parameter param.
func load[T any](a *App, r *http.Request, param string) (*T, error) {
	id, err := strconv.ParseInt(r.PathValue(param), 10, 64)
	if err != nil {
		return nil, errNoRow
	}
	row := new(T)
	q := a.db.WithContext(r.Context())
	for _, p := range preloads(row) {
		q = q.Preload(p)
	}
	if err := q.Take(row, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, errNoRow
		}
		return nil, err
	}
	return row, nil
}

// authorized loads the row of T named by the path parameter param and
// authorizes action on it for the caller. When it returns false it has
// written the answer: 404 (no such row, or the caller may not read it),
// 403 (may read it, may not do action) or 500.
func authorized[T any](a *App, w http.ResponseWriter, r *http.Request, param, action string) (*T, bool) {
	row, err := load[T](a, r, param)
	if err != nil {
		ursahttp.Error(w, r, err)
		return nil, false
	}
	return row, ursahttp.Authorize(w, r, a.authz, currentUser(r), action, row)
}

// withActions is one resource with the actions the caller may perform on it
// (for a UI to show or hide buttons).
type withActions struct {
	Item    any      `json:"item"`
	Actions []string `json:"actions"`
}

// getOne: GET /orgs/{org}, /repos/{repo}, /issues/{issue}.
func getOne[T any](a *App, param string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		row, ok := authorized[T](a, w, r, param, "read")
		if !ok {
			return
		}
		actions, err := a.authz.AuthorizedActions(r.Context(), currentUser(r), row)
		if err != nil {
			ursahttp.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, withActions{row, actions})
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// ---- lists: filtered in SQL ----

// readable answers the rows of T the caller may read, in id order; the
// query (with optional extra conditions) returns only those rows.
func readable[T any](a *App, w http.ResponseWriter, r *http.Request, conds ...any) {
	q := gormfilter.Authorized(a.db.WithContext(r.Context()), currentUser(r), "read")
	if len(conds) > 0 {
		q = q.Where(conds[0], conds[1:]...)
	}
	rows := []T{}
	if err := q.Order("id").Find(&rows).Error; err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rows)
}

func (a *App) listOrgs(w http.ResponseWriter, r *http.Request) { readable[Organization](a, w, r) }

func (a *App) listRepos(w http.ResponseWriter, r *http.Request) { readable[Repository](a, w, r) }

func (a *App) listIssues(w http.ResponseWriter, r *http.Request) { readable[Issue](a, w, r) }

// listRepoIssues: GET /repos/{repo}/issues; 404 if the caller may not read
// the repository.
func (a *App) listRepoIssues(w http.ResponseWriter, r *http.Request) {
	repo, ok := authorized[Repository](a, w, r, "repo", "read")
	if !ok {
		return
	}
	readable[Issue](a, w, r, "repo_id = ?", repo.ID)
}

// ---- members ----

// member is one row of GET /orgs/{org}/members and of a role change.
type member struct {
	User string `json:"user"`
	Role string `json:"role"`
}

func (a *App) listOrgMembers(w http.ResponseWriter, r *http.Request) {
	org, ok := authorized[Organization](a, w, r, "org", "read")
	if !ok {
		return
	}
	members := []member{}
	err := a.db.WithContext(r.Context()).Model(&OrgRole{}).
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

// setRole: PUT /orgs/{org}/members/{user} or /repos/{repo}/members/{user}
// with {"role": "..."} replaces the user's role on the resource. Only who may
// "manage_members" on it may (admins); the policy is checked before the
// body, so an outsider learns nothing from a bad one.
func setRole[T any](a *App, param string, roles []string, replace func(tx *gorm.DB, on *T, user *User, role string) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		on, ok := authorized[T](a, w, r, param, "manage_members")
		if !ok {
			return
		}
		var body struct {
			Role string `json:"role"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || !slices.Contains(roles, body.Role) {
			ursahttp.Error(w, r, ursahttp.WithStatus(http.StatusBadRequest, fmt.Errorf("role must be one of %q", roles)))
			return
		}
		var user User
		err := a.db.WithContext(r.Context()).Where("name = ?", r.PathValue("user")).Take(&user).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = errNoRow
		}
		if err == nil {
			err = a.db.WithContext(r.Context()).Transaction(func(tx *gorm.DB) error { return replace(tx, on, &user, body.Role) })
		}
		if err != nil {
			ursahttp.Error(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, member{User: user.Name, Role: body.Role})
	}
}

func replaceOrgRole(tx *gorm.DB, org *Organization, user *User, role string) error {
	if err := tx.Where("user_id = ? AND org_id = ?", user.ID, org.ID).Delete(&OrgRole{}).Error; err != nil {
		return err
	}
	return tx.Create(&OrgRole{UserID: user.ID, OrgID: org.ID, Role: role}).Error
}

func replaceRepoRole(tx *gorm.DB, repo *Repository, user *User, role string) error {
	if err := tx.Where("user_id = ? AND repo_id = ?", user.ID, repo.ID).Delete(&RepoRole{}).Error; err != nil {
		return err
	}
	return tx.Create(&RepoRole{UserID: user.ID, RepoID: repo.ID, Role: role}).Error
}

// ---- issues ----

// createIssue: POST /repos/{repo}/issues {"title": "..."}.
func (a *App) createIssue(w http.ResponseWriter, r *http.Request) {
	repo, ok := authorized[Repository](a, w, r, "repo", "create_issue")
	if !ok {
		return
	}
	var body struct {
		Title string `json:"title"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Title == "" {
		ursahttp.Error(w, r, ursahttp.WithStatus(http.StatusBadRequest, errors.New(`body: want {"title": "..."}`)))
		return
	}
	issue := Issue{Title: body.Title, RepoID: repo.ID, CreatorID: currentUser(r).ID}
	if err := a.db.WithContext(r.Context()).Create(&issue).Error; err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, issue)
}

// closeIssue: POST /issues/{issue}/close. The repository's maintainers and
// the issue's creator may.
func (a *App) closeIssue(w http.ResponseWriter, r *http.Request) {
	issue, ok := authorized[Issue](a, w, r, "issue", "close")
	if !ok {
		return
	}
	if err := a.db.WithContext(r.Context()).Model(issue).Update("closed", true).Error; err != nil {
		ursahttp.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, issue)
}
