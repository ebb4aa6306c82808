package partial_test

import (
	"context"
	"math/rand"
	"os"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/ursa-authz/ursa/partial"
)

// goldenPolicySource returns the policy.polar section of testdata/name.txtar.
func goldenPolicySource(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".txtar")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range txtar.Parse(b).Files {
		if f.Name == "policy.polar" {
			return string(f.Data)
		}
	}
	t.Fatalf("%s: no policy.polar", name)
	return ""
}

// world is one random data set: shared objects (the same ID is the same
// pointer, as an ORM identity map gives) reachable from the resources.
type world struct {
	r       *rand.Rand
	orgs    []*Org
	users   []any
	objects []any
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func (w *world) orgsList() {
	w.orgs = nil
	for i := int64(1); i <= 3; i++ {
		o := &Org{ID: i, Name: pick(w.r, []string{"acme", "globex", "initech"})}
		for j := 0; j < w.r.Intn(4); j++ {
			o.Memberships = append(o.Memberships, &OrgMembership{ID: i*10 + int64(j), UserID: int64(7 + w.r.Intn(3)), OrgID: i, Role: pick(w.r, []string{"owner", "member", "guest"})})
		}
		w.orgs = append(w.orgs, o)
	}
}

func (w *world) randomUsers() {
	w.users = nil
	for id := int64(7); id <= 10; id++ {
		u := &User{ID: id, Blocked: w.r.Intn(4) == 0, RequiredLevel: int64(w.r.Intn(4))}
		for _, o := range w.orgs {
			if w.r.Intn(2) == 0 {
				u.OrgIDs = append(u.OrgIDs, o.ID)
				u.Orgs = append(u.Orgs, o)
			}
			if w.r.Intn(2) == 0 {
				u.Memberships = append(u.Memberships, &OrgMembership{UserID: id, OrgID: o.ID, Role: pick(w.r, []string{"owner", "member", "guest"})})
			}
		}
		for _, c := range []string{"secret", "eu", "us"} {
			if w.r.Intn(3) == 0 {
				u.Clearances = append(u.Clearances, c)
			}
		}
		for j := 0; j < w.r.Intn(3); j++ {
			u.RepoRoles = append(u.RepoRoles, &RepoMembership{UserID: id, RepoID: int64(100 + w.r.Intn(6)), Role: pick(w.r, []string{"reader", "writer", "admin"})})
		}
		w.users = append(w.users, u)
	}
}

func (w *world) docs() {
	for i := 0; i < 12; i++ {
		d := &Doc{ID: int64(200 + i), OwnerID: int64(7 + w.r.Intn(4)), OrgID: int64(1 + w.r.Intn(3)),
			Public: w.r.Intn(2) == 0, Archived: w.r.Intn(3) == 0, Level: int64(w.r.Intn(5)), Title: pick(w.r, []string{"x", "y"})}
		for j := 0; j < w.r.Intn(3); j++ {
			d.Blocks = append(d.Blocks, &Block{ID: int64(j), DocID: d.ID, UserID: int64(7 + w.r.Intn(4))})
		}
		for j := 0; j < w.r.Intn(4); j++ {
			d.Labels = append(d.Labels, &Label{ID: int64(j), DocID: d.ID, Name: pick(w.r, []string{"secret", "eu", "us"})})
		}
		w.objects = append(w.objects, d)
	}
}

func (w *world) repos() { w.reposNil(false) }

// reposWithNilOrgs has personal repositories (no org) too.
func (w *world) reposWithNilOrgs() { w.reposNil(true) }

func (w *world) reposNil(nilOrgs bool) {
	for i := 0; i < 12; i++ {
		o := pick(w.r, w.orgs)
		if nilOrgs && w.r.Intn(3) == 0 {
			o = nil
		}
		orgID := int64(0)
		if o != nil {
			orgID = o.ID
		}
		rp := &Repo{ID: int64(100 + i), OrgID: orgID, Org: o, CreatorID: int64(7 + w.r.Intn(4)), Public: w.r.Intn(3) == 0, Archived: w.r.Intn(3) == 0}
		for j := 0; j < w.r.Intn(4); j++ {
			m := &RepoMembership{ID: int64(j), UserID: int64(7 + w.r.Intn(4)), RepoID: rp.ID, Role: pick(w.r, []string{"reader", "admin", "writer"})}
			if nilOrgs && w.r.Intn(3) != 0 {
				m.User = &User{ID: m.UserID, Name: pick(w.r, []string{"alice", "bob"})}
			}
			rp.Memberships = append(rp.Memberships, m)
		}
		w.objects = append(w.objects, rp)
	}
}

func (w *world) orgObjects() {
	for _, o := range w.orgs {
		w.objects = append(w.objects, o)
	}
}

func (w *world) teams() {
	ts := make([]*Team, 8)
	for i := range ts {
		ts[i] = &Team{ID: int64(i + 1)}
		for j := 0; j < w.r.Intn(2); j++ {
			ts[i].Members = append(ts[i].Members, &TeamMember{TeamID: int64(i + 1), UserID: int64(7 + w.r.Intn(4))})
		}
	}
	for _, t := range ts {
		// Random children, cycles allowed.
		for j := 0; j < w.r.Intn(3); j++ {
			c := pick(w.r, ts)
			t.Children = append(t.Children, c)
		}
		w.objects = append(w.objects, t)
	}
}

func (w *world) folders() {
	fs := make([]*Folder, 10)
	for i := range fs {
		fs[i] = &Folder{ID: int64(i + 1), OwnerID: int64(7 + w.r.Intn(6))}
		if w.r.Intn(3) == 0 {
			fs[i].Shares = append(fs[i].Shares, &Share{FolderID: int64(i + 1), UserID: int64(7 + w.r.Intn(4))})
		}
	}
	for _, f := range fs {
		if w.r.Intn(5) != 0 {
			p := pick(w.r, fs) // may be itself or form a cycle
			f.Parent, f.ParentID = p, &p.ID
		}
		w.objects = append(w.objects, f)
	}
}

func (w *world) reviews() {
	es := make([]*Employee, 8)
	for i := range es {
		es[i] = &Employee{ID: int64(i + 1)}
	}
	for _, e := range es {
		if w.r.Intn(4) != 0 {
			m := pick(w.r, es)
			e.Manager, e.ManagerID = m, &m.ID
		}
	}
	for i := 0; i < 10; i++ {
		e := pick(w.r, es)
		w.objects = append(w.objects, &Review{ID: int64(i), EmployeeID: e.ID, Employee: e})
	}
	w.users = []any{es[0], es[1], es[2]}
}

func (w *world) records() {
	for i := 0; i < 10; i++ {
		p := &Patient{ID: int64(i)}
		for j := 0; j < w.r.Intn(3); j++ {
			at := testNow.Add(-time.Duration(w.r.Intn(10*24)) * time.Hour).Add(time.Duration(w.r.Intn(3)-1) * 24 * time.Hour)
			if w.r.Intn(8) == 0 {
				at = testNow.Add(-7 * 24 * time.Hour) // the edge: not after
			}
			p.Visits = append(p.Visits, &Visit{PatientID: p.ID, DoctorID: int64(1 + w.r.Intn(3)), At: at})
		}
		w.objects = append(w.objects, &MedicalRecord{ID: int64(i), PatientID: p.ID, Patient: p})
	}
	w.users = []any{&Doctor{ID: 1}, &Doctor{ID: 2}, &Doctor{ID: 3}}
}

type propCase struct {
	policy  string
	typ     string
	actions []string
	gen     func(w *world)
}

var propCases = []propCase{
	{"ownership", "Doc", []string{"read", "edit", "delete"}, (*world).docs},
	{"negation", "Doc", []string{"read", "edit", "list", "hide"}, (*world).docs},
	{"forall", "Doc", []string{"read", "skip"}, (*world).docs},
	{"branches", "Repo", []string{"read", "both"}, (*world).repos},
	{"repo_inherit", "Repo", []string{"read", "push", "delete"}, (*world).reposWithNilOrgs},
	{"nil_negation", "Repo", []string{"read", "nested", "exists", "either", "only"}, (*world).reposWithNilOrgs},
	{"actor_data", "Repo", []string{"read", "list", "see"}, (*world).reposWithNilOrgs},
	{"org_roles", "Org", []string{"read", "admin", "list"}, (*world).orgObjects},
	{"teams", "Team", []string{"read"}, (*world).teams},
	{"folders", "Folder", []string{"read", "view"}, (*world).folders},
	{"managers", "Review", []string{"read"}, (*world).reviews},
	{"clinic", "MedicalRecord", []string{"read"}, (*world).records},
}

// TestMatchAgreesWithDecision is the property test: on random in-memory data
// sets (cycles included), Match on the filter agrees with the decision for
// every object, actor and action of each golden policy.
func TestMatchAgreesWithDecision(t *testing.T) {
	ctx := context.Background()
	rounds := 30
	if testing.Short() {
		rounds = 5
	}
	for _, pc := range propCases {
		t.Run(pc.policy, func(t *testing.T) {
			p := loadPolicy(t, goldenPolicySource(t, pc.policy))
			checked, allowed, errored := 0, 0, 0
			for seed := int64(0); seed < int64(rounds); seed++ {
				w := &world{r: rand.New(rand.NewSource(seed))}
				w.orgsList()
				w.randomUsers()
				pc.gen(w)
				for _, actor := range w.users {
					for _, action := range pc.actions {
						f, err := partial.Eval(ctx, p, actor, action, pc.typ)
						if err != nil {
							t.Fatalf("seed %d: Eval(%+v, %s): %v", seed, actor, action, err)
						}
						for _, obj := range w.objects {
							want, derr := p.Decide(ctx, nil, "allow", actor, action, obj)
							got, merr := partial.Match(p, f, obj)
							if derr != nil {
								// A decision error is a deny: the filter must
								// not accept the object.
								if got {
									t.Fatalf("seed %d: decision error %v but Match accepts %+v\nfilter: %s", seed, derr, obj, f)
								}
								errored++
								continue
							}
							if merr != nil {
								t.Fatalf("seed %d: Match error %v, decision %v", seed, merr, want)
							}
							if got != want {
								t.Fatalf("seed %d: actor %+v action %s object %+v: Match %v, decision %v\nfilter: %s", seed, actor, action, obj, got, want, f)
							}
							checked++
							if want {
								allowed++
							}
						}
					}
				}
			}
			if allowed == 0 || allowed == checked {
				t.Errorf("degenerate data: %d of %d allowed", allowed, checked)
			}
			t.Logf("%d checks, %d allowed, %d decision errors", checked, allowed, errored)
		})
	}
}
