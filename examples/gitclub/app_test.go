package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/driver/mysql"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// The seeded world (see seed.go): repositories 1 anvil, 2 rocket, 3 website
// (public) of acme; 4 hypnodrone, 5 handbook (public) of globex. Issues 1, 2
// in anvil (by bob, dave), 3 in rocket (alice), 4 in website (alice),
// 5 in hypnodrone (carol), 6 in handbook (carol).
var (
	users      = []string{"alice", "bob", "carol", "dave"}
	allRepos   = []int64{1, 2, 3, 4, 5}
	allIssues  = []int64{1, 2, 3, 4, 5, 6}
	issueRepo  = map[int64]int64{1: 1, 2: 1, 3: 2, 4: 3, 5: 4, 6: 5}
	readsRepos = map[string][]int64{
		"alice": {1, 2, 3, 5},
		"bob":   {1, 2, 3, 5},
		"carol": {3, 4, 5},
		"dave":  {1, 3, 5},
	}
	readsIssues = map[string][]int64{
		"alice": {1, 2, 3, 4, 6},
		"bob":   {1, 2, 3, 4, 6},
		"carol": {4, 5, 6},
		"dave":  {1, 2, 4, 6},
	}
	readsOrgs = map[string][]int64{"alice": {1}, "bob": {1}, "carol": {2}, "dave": nil}
)

// backend opens a fresh, empty database for one test app.
type backend func(t *testing.T) *gorm.DB

func sqliteDB(t *testing.T) *gorm.DB {
	db, _, err := openDB("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
	})
	return db
}

// postgresDB gives each app its own schema of the DATABASE_URL database.
func postgresDB(t *testing.T) *gorm.DB {
	url := os.Getenv("DATABASE_URL")
	cfg := &gorm.Config{Logger: logger.Discard}
	admin, err := gorm.Open(postgres.Open(url), cfg)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("gitclub_example_%d", rand.Uint64())
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	db, err := gorm.Open(postgres.Open(url+sep+"search_path="+schema), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		if s, err := admin.DB(); err == nil {
			s.Close()
		}
	})
	return db
}

// mysqlDB gives each app its own database on the MYSQL_URL server (the
// app itself runs on SQLite or Postgres; this checks the policy's SQL on
// MySQL/MariaDB too).
func mysqlDB(t *testing.T) *gorm.DB {
	url := os.Getenv("MYSQL_URL")
	cfg := &gorm.Config{Logger: logger.Discard}
	admin, err := gorm.Open(mysql.Open(url), cfg)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("gitclub_example_%d", rand.Uint64())
	if err := admin.Exec("CREATE DATABASE " + name).Error; err != nil {
		t.Fatal(err)
	}
	cut := strings.LastIndex(url, "/")
	rest := ""
	if q := strings.Index(url[cut:], "?"); q >= 0 {
		rest = url[cut+q:]
	}
	db, err := gorm.Open(mysql.Open(url[:cut]+"/"+name+rest), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s, err := db.DB(); err == nil {
			s.Close()
		}
		admin.Exec("DROP DATABASE " + name)
		if s, err := admin.DB(); err == nil {
			s.Close()
		}
	})
	return db
}

func backends(t *testing.T) map[string]backend {
	b := map[string]backend{"sqlite": sqliteDB}
	if os.Getenv("DATABASE_URL") != "" {
		b["postgres"] = postgresDB
	} else {
		t.Log("DATABASE_URL not set: Postgres not tested")
	}
	if os.Getenv("MYSQL_URL") != "" {
		b["mysql"] = mysqlDB
	} else {
		t.Log("MYSQL_URL not set: MySQL/MariaDB not tested")
	}
	return b
}

// newApp migrates, seeds and builds the app over a fresh database.
func newApp(t *testing.T, open backend) *App {
	t.Helper()
	db := open(t)
	if err := Migrate(db); err != nil {
		t.Fatal(err)
	}
	if seeded, err := Seed(db); err != nil || !seeded {
		t.Fatalf("Seed = %v, %v", seeded, err)
	}
	app, err := NewApp(db)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// do serves one request as user and returns the status and body.
func do(t *testing.T, h http.Handler, user, method, path, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if user != "" {
		req.Header.Set("X-User", user)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// ids decodes a JSON list of objects with an "id" field.
func ids(t *testing.T, body string) []int64 {
	t.Helper()
	out, err := decodeIDs(body)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decodeIDs(body string) ([]int64, error) {
	var rows []struct{ ID int64 }
	if err := json.Unmarshal([]byte(body), &rows); err != nil {
		return nil, fmt.Errorf("decoding %q: %v", body, err)
	}
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out, nil
}

func norm(xs []int64) []int64 {
	if xs == nil {
		return []int64{}
	}
	return xs
}

func status(readable bool) int {
	if readable {
		return 200
	}
	return 404
}

// Per demo user: exactly which organizations, repositories and issues each
// read endpoint returns, and 404 for every single one they may not read.
func TestReads(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			app := newApp(t, open)
			for _, u := range users {
				check := func(path string, want []int64) {
					t.Helper()
					code, body := do(t, app, u, "GET", path, "")
					if code != 200 {
						t.Errorf("%s GET %s: %d %s", u, path, code, body)
						return
					}
					if got := ids(t, body); !slices.Equal(got, norm(want)) {
						t.Errorf("%s GET %s = %v, want %v", u, path, got, norm(want))
					}
				}
				check("/repos", readsRepos[u])
				check("/issues", readsIssues[u])
				check("/orgs", readsOrgs[u])
				for _, r := range allRepos {
					readable := slices.Contains(readsRepos[u], r)
					path := fmt.Sprintf("/repos/%d", r)
					if code, body := do(t, app, u, "GET", path, ""); code != status(readable) {
						t.Errorf("%s GET %s: %d %s, want %d", u, path, code, body, status(readable))
					}
					if !readable {
						if code, _ := do(t, app, u, "GET", path+"/issues", ""); code != 404 {
							t.Errorf("%s GET %s/issues: %d, want 404", u, path, code)
						}
						continue
					}
					var want []int64
					for _, i := range readsIssues[u] {
						if issueRepo[i] == r {
							want = append(want, i)
						}
					}
					check(path+"/issues", want)
				}
				for _, i := range allIssues {
					readable := slices.Contains(readsIssues[u], i)
					path := fmt.Sprintf("/issues/%d", i)
					if code, body := do(t, app, u, "GET", path, ""); code != status(readable) {
						t.Errorf("%s GET %s: %d %s, want %d", u, path, code, body, status(readable))
					}
				}
				for _, o := range []int64{1, 2} {
					readable := slices.Contains(readsOrgs[u], o)
					for _, path := range []string{fmt.Sprintf("/orgs/%d", o), fmt.Sprintf("/orgs/%d/members", o)} {
						if code, body := do(t, app, u, "GET", path, ""); code != status(readable) {
							t.Errorf("%s GET %s: %d %s, want %d", u, path, code, body, status(readable))
						}
					}
				}
			}
		})
	}
}

// Single reads answer the caller's actions; members list the org's roles.
func TestReadBodies(t *testing.T) {
	app := newApp(t, sqliteDB)
	for _, c := range []struct{ user, path, want string }{
		{"alice", "/repos/1", `{"item":{"id":1,"name":"anvil","org_id":1,"is_public":false},"actions":["create_issue","manage_issues","manage_members","read"]}`},
		{"bob", "/repos/1", `{"item":{"id":1,"name":"anvil","org_id":1,"is_public":false},"actions":["create_issue","read"]}`},
		{"dave", "/repos/1", `{"item":{"id":1,"name":"anvil","org_id":1,"is_public":false},"actions":["create_issue","manage_issues","read"]}`},
		{"carol", "/repos/3", `{"item":{"id":3,"name":"website","org_id":1,"is_public":true},"actions":["read"]}`},
		{"bob", "/issues/1", `{"item":{"id":1,"title":"Anvil falls too slowly","repo_id":1,"creator_id":2,"closed":false},"actions":["close","read"]}`},
		{"bob", "/issues/2", `{"item":{"id":2,"title":"Paint the anvil black","repo_id":1,"creator_id":4,"closed":false},"actions":["read"]}`},
		{"alice", "/orgs/1", `{"item":{"id":1,"name":"acme"},"actions":["manage_members","read"]}`},
		{"bob", "/orgs/1/members", `[{"user":"alice","role":"admin"},{"user":"bob","role":"member"}]`},
		{"carol", "/orgs/2/members", `[{"user":"carol","role":"admin"}]`},
	} {
		code, body := do(t, app, c.user, "GET", c.path, "")
		if code != 200 || strings.TrimSpace(body) != c.want {
			t.Errorf("%s GET %s:\n got %d %s\nwant 200 %s", c.user, c.path, code, body, c.want)
		}
	}
}

// Writes: which each user may do (2xx), may not do on something they may
// read (403), or may not even read (404).
func TestWrites(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			// Opening an issue needs a role on the repository (reader or
			// above): public repositories answer 403 to outsiders.
			createIssue := map[string]map[int64]int{
				"alice": {1: 201, 2: 201, 3: 201, 4: 404, 5: 403},
				"bob":   {1: 201, 2: 201, 3: 201, 4: 404, 5: 403},
				"carol": {1: 404, 2: 404, 3: 403, 4: 201, 5: 201},
				"dave":  {1: 201, 2: 404, 3: 403, 4: 404, 5: 403},
			}
			// Closing an issue: maintainers of its repository and its creator.
			closeIssue := map[string]map[int64]int{
				"alice": {1: 200, 2: 200, 3: 200, 4: 200, 5: 404, 6: 403},
				"bob":   {1: 200, 2: 403, 3: 403, 4: 403, 5: 404, 6: 403},
				"carol": {1: 404, 2: 404, 3: 404, 4: 403, 5: 200, 6: 200},
				"dave":  {1: 200, 2: 200, 3: 404, 4: 403, 5: 404, 6: 403},
			}
			// Neither creating nor closing issues changes who may do either, so
			// one app serves all of these.
			app := newApp(t, open)
			for _, u := range users {
				for r, want := range createIssue[u] {
					path := fmt.Sprintf("/repos/%d/issues", r)
					code, body := do(t, app, u, "POST", path, `{"title":"from `+u+`"}`)
					if code != want {
						t.Errorf("%s POST %s: %d %s, want %d", u, path, code, body, want)
					}
				}
			}
			// Refused closes first: they must not close anything.
			closeAll := func(allowed bool) {
				for _, u := range users {
					for i, want := range closeIssue[u] {
						if (want == 200) != allowed {
							continue
						}
						path := fmt.Sprintf("/issues/%d/close", i)
						code, body := do(t, app, u, "POST", path, "")
						if code != want || (allowed && !strings.Contains(body, `"closed":true`)) {
							t.Errorf("%s POST %s: %d %s, want %d", u, path, code, body, want)
						}
					}
				}
			}
			closedIssues := func() []int64 {
				var closed []int64
				app.db.Model(&Issue{}).Where("closed = ?", true).Order("id").Pluck("id", &closed)
				return norm(closed)
			}
			closeAll(false)
			if got := closedIssues(); len(got) != 0 {
				t.Errorf("refused closes closed issues %v", got)
			}
			closeAll(true)
			if got := closedIssues(); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
				t.Errorf("closed issues %v, want all", got)
			}
			// The created issues: one per 201 above, in the right repositories,
			// by the right users.
			var created []Issue
			app.db.Where("id > 6").Order("repo_id, creator_id").Find(&created)
			var got []string
			for _, i := range created {
				got = append(got, fmt.Sprintf("%d:%s", i.RepoID, i.Title))
			}
			want := []string{"1:from alice", "1:from bob", "1:from dave", "2:from alice", "2:from bob",
				"3:from alice", "3:from bob", "4:from carol", "5:from carol"}
			if !slices.Equal(got, want) {
				t.Errorf("created issues %v, want %v", got, want)
			}

			// Changing roles. dave has no org role and bob no repository role
			// in the seed: each case removes the one it may have added.
			orgRole := map[string]map[int64]int{
				"alice": {1: 200, 2: 404},
				"bob":   {1: 403, 2: 404},
				"carol": {1: 404, 2: 200},
				"dave":  {1: 404, 2: 404},
			}
			repoRole := map[string]map[int64]int{
				"alice": {1: 200, 2: 200, 3: 200, 4: 404, 5: 403},
				"bob":   {1: 403, 2: 403, 3: 403, 4: 404, 5: 403},
				"carol": {1: 404, 2: 404, 3: 403, 4: 200, 5: 200},
				"dave":  {1: 403, 2: 404, 3: 403, 4: 404, 5: 403},
			}
			for _, u := range users {
				for o, want := range orgRole[u] {
					path := fmt.Sprintf("/orgs/%d/members/dave", o)
					if code, body := do(t, app, u, "PUT", path, `{"role":"member"}`); code != want {
						t.Errorf("%s PUT %s: %d %s, want %d", u, path, code, body, want)
					}
					// The role took effect only when allowed: dave now reads the org's private repos.
					_, body := do(t, app, "dave", "GET", "/repos", "")
					wantRepos := readsRepos["dave"]
					if want == 200 && o == 1 {
						wantRepos = []int64{1, 2, 3, 5}
					} else if want == 200 && o == 2 {
						wantRepos = []int64{1, 3, 4, 5}
					}
					if got := ids(t, body); !slices.Equal(got, wantRepos) {
						t.Errorf("after %s PUT %s: dave reads %v, want %v", u, path, got, wantRepos)
					}
					app.db.Where("user_id = 4").Delete(&OrgRole{})
				}
				for r, want := range repoRole[u] {
					path := fmt.Sprintf("/repos/%d/members/bob", r)
					if code, body := do(t, app, u, "PUT", path, `{"role":"maintainer"}`); code != want {
						t.Errorf("%s PUT %s: %d %s, want %d", u, path, code, body, want)
					}
					// bob closes issue 2 (dave's, in anvil) only as anvil's maintainer.
					wantClose := 403
					if want == 200 && r == 1 {
						wantClose = 200
					}
					if code, body := do(t, app, "bob", "POST", "/issues/2/close", ""); code != wantClose {
						t.Errorf("after %s PUT %s: bob closes issue 2: %d %s, want %d", u, path, code, body, wantClose)
					}
					app.db.Where("user_id = 2").Delete(&RepoRole{})
					app.db.Model(&Issue{}).Where("id = 2").Update("closed", false)
				}
			}
		})
	}
}

// Requests that are not about the policy: who is calling, bad input, rows
// that do not exist (404 like rows one may not read).
func TestBadRequests(t *testing.T) {
	app := newApp(t, sqliteDB)
	for _, c := range []struct {
		user, method, path, body string
		code                     int
		msg                      string
	}{
		{"", "GET", "/repos", "", 401, "set the X-User header to a demo user: alice, bob, carol or dave"},
		{"mallory", "GET", "/repos", "", 401, `unknown user "mallory"`},
		{"alice", "GET", "/repos/99", "", 404, "not found"},
		{"alice", "GET", "/repos/anvil", "", 404, "not found"},
		{"alice", "GET", "/issues/99", "", 404, "not found"},
		{"alice", "POST", "/repos/1/issues", `{"title":""}`, 400, `body: want {"title": "..."}`},
		{"alice", "POST", "/repos/1/issues", `not json`, 400, `body: want {"title": "..."}`},
		{"alice", "PUT", "/orgs/1/members/dave", `{"role":"owner"}`, 400, `role must be one of ["member" "admin"]`},
		{"alice", "PUT", "/orgs/1/members/nobody", `{"role":"member"}`, 404, `not found`},
		{"alice", "PUT", "/repos/1/members/dave", `{"role":"member"}`, 400, `role must be one of ["reader" "maintainer" "admin"]`},
		// The policy is checked before the body: an outsider learns nothing from a bad body.
		{"carol", "PUT", "/orgs/1/members/dave", `{"role":"owner"}`, 404, "not found"},
		{"bob", "PUT", "/orgs/1/members/dave", `{"role":"owner"}`, 403, "forbidden"},
	} {
		code, body := do(t, app, c.user, c.method, c.path, c.body)
		var got struct{ Error string }
		_ = json.Unmarshal([]byte(body), &got)
		if code != c.code || got.Error != c.msg {
			t.Errorf("%q %s %s %s: %d %s, want %d %q", c.user, c.method, c.path, c.body, code, body, c.code, c.msg)
		}
	}
}

// go run ./examples/gitclub -demo prints what each user sees.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-demo"}, "", &out); err != nil {
		t.Fatal(err)
	}
	want := `GitClub on SQLite in memory (set DATABASE_URL=postgres://... to use PostgreSQL)
What each demo user sees (GET /repos, GET /issues):

alice (admin of acme)
  repos:  1 anvil, 2 rocket, 3 website, 5 handbook
  issues: 1, 2, 3, 4, 6

bob (member of acme)
  repos:  1 anvil, 2 rocket, 3 website, 5 handbook
  issues: 1, 2, 3, 4, 6

carol (admin of globex)
  repos:  3 website, 4 hypnodrone, 5 handbook
  issues: 4, 5, 6

dave (in no organization; maintainer of anvil)
  repos:  1 anvil, 3 website, 5 handbook
  issues: 1, 2, 4, 6
`
	if out.String() != want {
		t.Errorf("-demo printed:\n%s\nwant:\n%s", out.String(), want)
	}
}

// The server prints its address and curl lines, answers, and returns
// cleanly when its context is cancelled (Ctrl-C).
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, "", pw); pw.Close() }()
	sc := bufio.NewScanner(pr)
	var base string
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "Listening on http://"); ok {
			base, _, _ = strings.Cut(rest, " ")
		}
		if strings.Contains(line, "curl -H 'X-User: carol' ") {
			break
		}
	}
	if base == "" {
		t.Fatal("no address printed")
	}
	go io.Copy(io.Discard, pr)
	for user, want := range map[string][]int64{"alice": readsRepos["alice"], "carol": readsRepos["carol"]} {
		req, _ := http.NewRequest("GET", "http://"+base+"/repos", nil)
		req.Header.Set("X-User", user)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := ids(t, string(b)); !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", user, got, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run after cancel: %v", err)
	}
}

// The app's SQLite database enforces foreign keys, so the rows the policy
// follows (repo.Org, issue.Repo) exist.
func TestSQLiteForeignKeys(t *testing.T) {
	app := newApp(t, sqliteDB)
	if err := app.db.Create(&Repository{Name: "orphan", OrgID: 99}).Error; err == nil {
		t.Error("created a repository of a missing organization")
	}
	if err := app.db.Create(&Issue{Title: "orphan", RepoID: 99, CreatorID: 1}).Error; err == nil {
		t.Error("created an issue of a missing repository")
	}
}

// Concurrent requests (reads, filtered lists, writes) on the one SQLite
// connection neither deadlock nor change anyone's answers.
func TestConcurrentRequests(t *testing.T) {
	app := newApp(t, sqliteDB)
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			u := users[g%len(users)]
			for i := 0; i < 20; i++ {
				code, body := do(t, app, u, "GET", "/repos", "")
				if got, err := decodeIDs(body); code != 200 || err != nil || !slices.Equal(got, readsRepos[u]) {
					errs <- fmt.Sprintf("%s GET /repos: %d %s", u, code, body)
				}
				if code, _ := do(t, app, u, "POST", "/repos/3/issues", `{"title":"concurrent"}`); code != map[string]int{"alice": 201, "bob": 201, "carol": 403, "dave": 403}[u] {
					errs <- fmt.Sprintf("%s POST /repos/3/issues: %d", u, code)
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// The in-memory SQLite database lives in its one connection: a request
// cancelled before or during its queries must not lose it.
func TestSQLiteSurvivesCancelledRequests(t *testing.T) {
	app := newApp(t, sqliteDB)
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		if i%2 == 0 {
			cancel()
		} else {
			go cancel()
		}
		req := httptest.NewRequestWithContext(ctx, "GET", "/issues", nil)
		req.Header.Set("X-User", "alice")
		app.ServeHTTP(httptest.NewRecorder(), req)
	}
	if code, body := do(t, app, "alice", "GET", "/repos", ""); code != 200 || !slices.Equal(ids(t, body), readsRepos["alice"]) {
		t.Fatalf("after cancelled requests: %d %s", code, body)
	}
}

// GET / lists the endpoints; unknown paths are 404.
func TestIndex(t *testing.T) {
	app := newApp(t, sqliteDB)
	code, body := do(t, app, "", "GET", "/", "")
	var index struct{ Endpoints, Users []string }
	if err := json.Unmarshal([]byte(body), &index); code != 200 || err != nil || len(index.Endpoints) != 12 || !slices.Contains(index.Endpoints, "GET /repos") || !slices.Equal(index.Users, users) {
		t.Errorf("GET /: %d %s", code, body)
	}
	if code, _ := do(t, app, "alice", "GET", "/nope", ""); code != 404 {
		t.Errorf("GET /nope: %d", code)
	}
}
