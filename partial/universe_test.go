package partial_test

import (
	"time"

	"github.com/ursa-authz/ursa/engine"
)

// The Go types every golden policy is written against. Relations are
// pointers (to-one) and slices of pointers (to-many), as GORM models are.

type User struct {
	ID            int64
	Name          string
	OrgIDs        []int64
	Clearances    []string
	Blocked       bool
	Memberships   []*OrgMembership
	RepoRoles     []*RepoMembership
	Orgs          []*Org
	RequiredLevel int64
}

type Org struct {
	ID          int64
	Name        string
	Memberships []*OrgMembership
}

type OrgMembership struct {
	ID     int64
	UserID int64
	OrgID  int64
	Role   string
}

type Repo struct {
	ID          int64
	Name        string
	OrgID       int64
	Org         *Org
	CreatorID   int64
	Public      bool
	Archived    bool
	Memberships []*RepoMembership
}

type RepoMembership struct {
	ID     int64
	UserID int64
	User   *User
	RepoID int64
	Role   string
}

type Doc struct {
	ID       int64
	OwnerID  int64
	OrgID    int64
	Public   bool
	Archived bool
	Level    int64
	Title    string
	Blocks   []*Block
	Labels   []*Label
}

type Block struct {
	ID     int64
	DocID  int64
	UserID int64
}

type Label struct {
	ID    int64
	DocID int64
	Name  string
}

type Team struct {
	ID       int64
	Name     string
	ParentID *int64
	Parent   *Team
	Children []*Team
	Members  []*TeamMember
}

type TeamMember struct {
	ID     int64
	TeamID int64
	UserID int64
}

type Folder struct {
	ID       int64
	Name     string
	OwnerID  int64
	ParentID *int64
	Parent   *Folder
	Shares   []*Share
}

type Share struct {
	ID       int64
	FolderID int64
	UserID   int64
}

type Employee struct {
	ID        int64
	Name      string
	ManagerID *int64
	Manager   *Employee
}

type Review struct {
	ID         int64
	EmployeeID int64
	Employee   *Employee
}

type Doctor struct {
	ID   int64
	Name string
}

type Patient struct {
	ID     int64
	Visits []*Visit
}

type Visit struct {
	ID        int64
	PatientID int64
	DoctorID  int64
	At        time.Time
}

type MedicalRecord struct {
	ID        int64
	PatientID int64
	Patient   *Patient
}

// Clock is registered as the constant Clock: `now` passed in to a policy.
type Clock struct{ Now time.Time }

// DaysAgo returns the instant n days before Now.
func (c *Clock) DaysAgo(n int64) time.Time { return c.Now.Add(-time.Duration(n) * 24 * time.Hour) }

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func newRegistry() *engine.Registry {
	reg := engine.NewRegistry()
	for _, v := range []any{&User{}, &Org{}, &OrgMembership{}, &Repo{}, &RepoMembership{}, &Doc{}, &Block{}, &Label{},
		&Team{}, &TeamMember{}, &Folder{}, &Share{}, &Employee{}, &Review{}, &Doctor{}, &Patient{}, &Visit{}, &MedicalRecord{}} {
		if err := reg.RegisterClass(v, "", nil); err != nil {
			panic(err)
		}
	}
	if err := reg.RegisterConstant("Clock", &Clock{Now: testNow}); err != nil {
		panic(err)
	}
	return reg
}

func int64p(v int64) *int64 { return &v }

// Named actors for the golden queries.
var actors = map[string]any{
	"alice": &User{ID: 7, Name: "alice", OrgIDs: []int64{1, 2}, Clearances: []string{"secret", "eu"},
		Memberships: []*OrgMembership{{ID: 1, UserID: 7, OrgID: 1, Role: "owner"}, {ID: 2, UserID: 7, OrgID: 2, Role: "member"}},
		RepoRoles:   []*RepoMembership{{ID: 1, UserID: 7, RepoID: 10, Role: "reader"}},
		Orgs:        []*Org{{ID: 1, Name: "acme"}, {ID: 2, Name: "globex"}}},
	"bob":      &User{ID: 8, Name: "bob"},
	"mallory":  &User{ID: 9, Name: "mallory", Blocked: true, OrgIDs: []int64{1}},
	"boss":     &Employee{ID: 1, Name: "boss"},
	"drhouse":  &Doctor{ID: 3, Name: "house"},
	"nobody":   &User{ID: 0},
	"clearall": &User{ID: 11, Clearances: nil},
}
