// Command gitclub is Ursa's example app: a JSON API over GORM where users see
// and change only what the policy in gitclub.polar allows.
//
//	go run ./examples/gitclub               # serve on :8080 (SQLite in memory, demo data)
//	go run ./examples/gitclub -addr :9000   # or -port 9000
//	go run ./examples/gitclub -demo         # print what each demo user sees, and exit
//	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test?sslmode=disable go run ./examples/gitclub
//
// The caller is whoever the X-User header names (alice, bob, carol, dave):
// authentication is out of scope here; a real app takes the user from a
// verified session or token.
//
// Files: gitclub.polar (the policy, embedded), models.go (GORM models),
// app.go (NewAuthorizer, NewApp and the handlers), seed.go (demo data).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv("DATABASE_URL"), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gitclub:", err)
		os.Exit(1)
	}
}

// run is main without the process: it returns when ctx is cancelled (Ctrl-C)
// or, with -demo, after printing.
func run(ctx context.Context, args []string, databaseURL string, out io.Writer) error {
	fs := flag.NewFlagSet("gitclub", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "address to serve on")
	port := fs.Int("port", 0, "port to serve on (shorthand for -addr :PORT)")
	demo := fs.Bool("demo", false, "print what each demo user sees, and exit")
	fs.BoolVar(demo, "seed-only", false, "same as -demo")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage is printed
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (flags: -addr, -port, -demo)", fs.Args())
	}
	if *port != 0 {
		*addr = ":" + strconv.Itoa(*port)
	}

	db, where, err := openDB(databaseURL)
	if err != nil {
		return err
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	if err := Migrate(db); err != nil {
		return fmt.Errorf("creating tables: %w", err)
	}
	seeded, err := Seed(db)
	if err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	app, err := NewApp(db)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "GitClub on %s", where)
	if !seeded {
		fmt.Fprint(out, " (tables not empty: demo data not inserted)")
	}
	fmt.Fprintln(out)

	if *demo {
		return printDemo(out, app)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("%w (serve elsewhere with -addr or -port)", err)
	}
	srv := &http.Server{Handler: app, ReadHeaderTimeout: 10 * time.Second}
	base := baseURL(ln.Addr())
	fmt.Fprintf(out, "Listening on http://%s — Ctrl-C to stop.\n\n", base)
	printCurls(out, app, base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	fmt.Fprintln(out, "stopped")
	return nil
}

// openDB opens Postgres when databaseURL is set, else an in-memory SQLite
// database (pure Go, nothing to install).
func openDB(databaseURL string) (*gorm.DB, string, error) {
	cfg := &gorm.Config{Logger: logger.Discard}
	if databaseURL != "" {
		db, err := gorm.Open(postgres.Open(databaseURL), cfg)
		if err != nil {
			return nil, "", fmt.Errorf("opening DATABASE_URL: %w", err)
		}
		return db, "PostgreSQL (DATABASE_URL)", nil
	}
	// foreign_keys(1): SQLite enforces the foreign keys AutoMigrate declares
	// only when asked to.
	db, err := gorm.Open(sqlite.Open("file::memory:?_pragma=foreign_keys(1)"), cfg)
	if err != nil {
		return nil, "", err
	}
	// An in-memory database lives as long as its connection: keep exactly one.
	sqlDB, err := db.DB()
	if err != nil {
		return nil, "", err
	}
	sqlDB.SetMaxOpenConns(1)
	sqlDB.SetConnMaxLifetime(0)
	sqlDB.SetConnMaxIdleTime(0)
	return db, "SQLite in memory (set DATABASE_URL=postgres://... to use PostgreSQL)", nil
}

// baseURL is how curl reaches the listener: localhost:PORT for a wildcard address.
func baseURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip == nil || ip.IsUnspecified() || ip.IsLoopback() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// demoUsers are the seeded users, with what makes each one different.
var demoUsers = []struct{ name, about string }{
	{"alice", "admin of acme"},
	{"bob", "member of acme"},
	{"carol", "admin of globex"},
	{"dave", "in no organization; maintainer of anvil"},
}

func printCurls(out io.Writer, app *App, base string) {
	id := func(model any, name string) string {
		var row struct{ ID int64 }
		if app.db.Model(model).Where("name = ?", name).Select("id").Take(&row).Error != nil {
			return "1"
		}
		return strconv.FormatInt(row.ID, 10)
	}
	anvil, website, acme := id(&Repository{}, "anvil"), id(&Repository{}, "website"), id(&Organization{}, "acme")
	fmt.Fprintln(out, "Demo users (the X-User header says who is calling; authentication is out of scope):")
	for _, u := range demoUsers {
		fmt.Fprintf(out, "  %-6s %s\n", u.name, u.about)
	}
	fmt.Fprintf(out, `
Two users, two different lists of repositories:
  curl -H 'X-User: alice' %[1]s/repos
  curl -H 'X-User: carol' %[1]s/repos
Reading one: 404 when you may not read it, 403 when you may read but not act:
  curl -i -H 'X-User: carol' %[1]s/repos/%[2]s
  curl -i -H 'X-User: carol' -X POST -d '{"title":"Hello"}' %[1]s/repos/%[3]s/issues
  curl -i -H 'X-User: bob'   -X POST -d '{"title":"Hello"}' %[1]s/repos/%[2]s/issues
Changing roles (only an org admin may):
  curl -i -H 'X-User: bob'   -X PUT -d '{"role":"member"}' %[1]s/orgs/%[4]s/members/dave
  curl -i -H 'X-User: alice' -X PUT -d '{"role":"member"}' %[1]s/orgs/%[4]s/members/dave
`, base, anvil, website, acme)
}

// printDemo prints, per demo user, the repositories and issues the API
// lists for them (it calls the real handlers).
func printDemo(out io.Writer, app *App) error {
	fmt.Fprintln(out, "What each demo user sees (GET /repos, GET /issues):")
	for _, u := range demoUsers {
		var repos []Repository
		var issues []Issue
		if err := getJSON(app, u.name, "/repos", &repos); err != nil {
			return err
		}
		if err := getJSON(app, u.name, "/issues", &issues); err != nil {
			return err
		}
		var rs, is []string
		for _, r := range repos {
			rs = append(rs, fmt.Sprintf("%d %s", r.ID, r.Name))
		}
		for _, i := range issues {
			is = append(is, strconv.FormatInt(i.ID, 10))
		}
		fmt.Fprintf(out, "\n%s (%s)\n  repos:  %s\n  issues: %s\n", u.name, u.about, strings.Join(rs, ", "), strings.Join(is, ", "))
	}
	return nil
}

// getJSON serves GET path as user and decodes the JSON answer into v.
func getJSON(h http.Handler, user, path string, v any) error {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-User", user)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return errors.New(rec.Result().Status + ": " + strings.TrimSpace(rec.Body.String()))
	}
	return json.Unmarshal(rec.Body.Bytes(), v)
}
