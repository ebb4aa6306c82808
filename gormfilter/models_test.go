package gormfilter

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/ursa-authz/ursa/partial"
	"gorm.io/gorm"
)

// Test models: a GitClub-like schema exercising every GORM relationship kind.

type Org struct {
	ID        uint
	Name      string
	Repos     []Repo
	DeletedAt gorm.DeletedAt // soft delete
}

type User struct {
	ID      uint
	Name    string
	OrgID   uint
	Org     *Org
	Profile *Profile // has one
}

type Profile struct {
	ID     uint
	UserID uint
	Public bool
}

type Repo struct {
	ID            uint
	Name          string `gorm:"not null"`
	OrgID         uint
	Org           *Org // belongs to
	CreatorID     *uint
	Creator       *User
	Archived      bool
	Memberships   []Membership // has many
	Collaborators []User       `gorm:"many2many:repo_collaborators"`
}

type Membership struct {
	ID        uint
	RepoID    uint
	UserID    uint
	User      *User
	Role      string
	DeletedAt gorm.DeletedAt // soft delete
}

// Folder is self-referencing (a tree).
type Folder struct {
	ID       uint
	Name     string
	ParentID *uint
	Parent   *Folder
	Children []Folder `gorm:"foreignKey:ParentID"`
	OwnerID  uint
}

// Author is embedded by name into Post.
type Author struct {
	Name  string
	Email string
}

// Post embeds gorm.Model (anonymous, soft delete) and Author (named, prefixed).
type Post struct {
	gorm.Model
	Title  string
	Author Author `gorm:"embedded;embeddedPrefix:author_"`
	OrgID  uint
	Org    Org // belongs to, non-pointer
}

// Widget uses a custom table name.
type Widget struct {
	Code  string `gorm:"primaryKey"`
	Label string
}

func (Widget) TableName() string { return "app_widgets" }

// fakeAuth is a hand-written Authorizer: fixed filters per (class, action)
// built from the actor, and a Go decision function.
type fakeAuth struct {
	mu      sync.Mutex
	classes map[reflect.Type]string
	filters map[string]func(actor *User) *partial.Filter // class/action
	decide  map[string]func(actor *User, r any) bool     // action
	calls   int
}

func newFakeAuth() *fakeAuth {
	a := &fakeAuth{
		classes: map[reflect.Type]string{},
		filters: map[string]func(*User) *partial.Filter{},
		decide:  map[string]func(*User, any) bool{},
	}
	for _, m := range []any{Org{}, User{}, Profile{}, Repo{}, Membership{}, Folder{}, Post{}, Widget{}} {
		a.classes[reflect.TypeOf(m)] = reflect.TypeOf(m).Name()
	}
	return a
}

func (a *fakeAuth) Filter(ctx context.Context, actor any, action, typ string) (*partial.Filter, error) {
	a.mu.Lock()
	a.calls++
	fn := a.filters[typ+"/"+action]
	a.mu.Unlock()
	if fn == nil {
		return partial.DenyAll(typ), nil
	}
	u, ok := actor.(*User)
	if !ok {
		return nil, fmt.Errorf("fake: actor %T", actor)
	}
	return fn(u), nil
}

func (a *fakeAuth) IsAllowed(ctx context.Context, actor, action, resource any) (bool, error) {
	fn := a.decide[action.(string)]
	if fn == nil {
		return false, nil
	}
	return fn(actor.(*User), resource), nil
}

func (a *fakeAuth) AuthorizedActions(ctx context.Context, actor, resource any) ([]string, error) {
	var out []string
	for _, act := range []string{"read", "update", "delete"} {
		if ok, _ := a.IsAllowed(ctx, actor, act, resource); ok {
			out = append(out, act)
		}
	}
	return out, nil
}

func (a *fakeAuth) ClassName(t reflect.Type) (string, bool) {
	n, ok := a.classes[t]
	return n, ok
}

// Filter-building helpers.
func path(v string, fields ...string) partial.Path { return partial.Path{Var: v, Fields: fields} }
func res(fields ...string) partial.Path            { return path(partial.RootVar, fields...) }
func val(v any) partial.Value                      { return partial.Value{V: v} }
func eq(l, r partial.Operand) *partial.Compare {
	return &partial.Compare{Op: partial.Eq, L: l, R: r}
}
func or(typ string, branches ...[]partial.Cond) *partial.Filter {
	f := &partial.Filter{Type: typ}
	for _, b := range branches {
		f.Branches = append(f.Branches, partial.Branch{Conds: b})
	}
	return f
}
func and(c ...partial.Cond) []partial.Cond { return c }

// standardAuth: a user reads repos of their org or that they created; updates
// and deletes repos they created; reads posts of their org by author name.
func standardAuth() *fakeAuth {
	a := newFakeAuth()
	a.filters["Repo/read"] = func(u *User) *partial.Filter {
		return or("Repo",
			and(eq(res("OrgID"), val(int64(u.OrgID)))),
			and(eq(res("CreatorID"), val(int64(u.ID)))))
	}
	a.filters["Repo/update"] = func(u *User) *partial.Filter {
		return or("Repo", and(eq(res("CreatorID"), val(int64(u.ID))), eq(res("Archived"), val(false))))
	}
	a.filters["Repo/delete"] = a.filters["Repo/update"]
	a.filters["Post/read"] = func(u *User) *partial.Filter {
		return or("Post", and(eq(res("OrgID"), val(int64(u.OrgID))), &partial.Not{C: eq(res("Author", "Name"), val("spam"))}))
	}
	a.filters["Widget/read"] = func(u *User) *partial.Filter {
		return or("Widget", and(&partial.In{L: res("Label"), Values: []partial.Value{val("a"), val("b")}}))
	}
	a.filters["Membership/read"] = func(u *User) *partial.Filter {
		return or("Membership", and(eq(res("UserID"), val(int64(u.ID)))))
	}
	a.filters["Repo/all"] = func(u *User) *partial.Filter { return partial.AllowAll("Repo") }
	return a
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
