package ursahttp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ursa-authz/ursa"
	"github.com/ursa-authz/ursa/ursahttp"
)

type User struct{ Name string }

type Doc struct {
	Owner  string
	Public bool
}

func authorizer(t testing.TB) *ursa.Authorizer {
	a, err := ursa.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []any{User{}, Doc{}} {
		if err := a.RegisterClass(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.LoadString("docs.polar", `
allow(_: User, "read", doc: Doc) if doc.Public;
allow(u: User, "read", doc: Doc) if doc.Owner = u.Name;
allow(u: User, "edit", doc: Doc) if doc.Owner = u.Name;
allow(_: User, "boom", doc: Doc) if doc.Missing = 1;
`); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		err  error
		want int
	}{
		{nil, 200},
		{ursa.ErrNotFound, 404},
		{ursa.ErrForbidden, 403},
		{&ursa.AuthorizationError{Kind: ursa.ErrNotFound}, 404},
		{&ursa.AuthorizationError{Kind: ursa.ErrForbidden}, 403},
		{fmt.Errorf("handler: %w", &ursa.AuthorizationError{Kind: ursa.ErrForbidden}), 403},
		{errors.New("db down"), 500},
		{ursa.ErrNoPolicy, 500},
		{ursahttp.WithStatus(400, errors.New("bad role")), 400},
		{ursahttp.WithStatus(409, ursa.ErrForbidden), 409},
	} {
		if got := ursahttp.Status(c.err); got != c.want {
			t.Errorf("Status(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

// Authorize answers 404 when the actor may not read, 403 when it may read but
// not act, 500 (a denial) on an evaluation error, and lets the handler run
// only when allowed.
func TestAuthorize(t *testing.T) {
	a := authorizer(t)
	alice, bob := User{"alice"}, User{"bob"}
	private, public := Doc{Owner: "alice"}, Doc{Owner: "alice", Public: true}
	for _, c := range []struct {
		actor  User
		action string
		doc    Doc
		code   int
		body   string
	}{
		{alice, "edit", private, 200, `{"ok":true}`},
		{alice, "read", private, 200, `{"ok":true}`},
		{bob, "read", private, 404, `{"error":"not found"}`},
		{bob, "edit", private, 404, `{"error":"not found"}`},
		{bob, "read", public, 200, `{"ok":true}`},
		{bob, "edit", public, 403, `{"error":"forbidden"}`},
		{bob, "boom", public, 500, `{"error":"internal server error"}`},
	} {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !ursahttp.Authorize(w, r, a, c.actor, c.action, c.doc) {
				return
			}
			fmt.Fprint(w, `{"ok":true}`)
		})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/doc", nil))
		if rec.Code != c.code || strings.TrimSpace(rec.Body.String()) != c.body {
			t.Errorf("%s %s %+v: got %d %s, want %d %s", c.actor.Name, c.action, c.doc, rec.Code, rec.Body, c.code, c.body)
		}
	}
}

func TestHandlerFunc(t *testing.T) {
	a := authorizer(t)
	for _, c := range []struct {
		fn   func(context.Context) error
		code int
		msg  string
	}{
		{func(ctx context.Context) error {
			return a.Authorize(ctx, User{"bob"}, "edit", Doc{Owner: "alice", Public: true})
		}, 403, "forbidden"},
		{func(ctx context.Context) error { return a.Authorize(ctx, User{"bob"}, "edit", Doc{Owner: "alice"}) }, 404, "not found"},
		{func(context.Context) error {
			return ursahttp.WithStatus(400, errors.New(`"role" must be "member" or "admin"`))
		}, 400, `"role" must be "member" or "admin"`},
		{func(context.Context) error { return errors.New("secret: connection to 10.0.0.1 refused") }, 500, "internal server error"},
	} {
		h := ursahttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { return c.fn(r.Context()) })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil))
		var body map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("body %q: %v", rec.Body, err)
		}
		if rec.Code != c.code || body["error"] != c.msg || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("got %d %v %q, want %d %q", rec.Code, body, rec.Header().Get("Content-Type"), c.code, c.msg)
		}
	}
}

// A handler authorizes in one line; a denial is written for it.
func ExampleAuthorize() {
	authz, _ := ursa.New()
	_ = authz.RegisterClass(User{})
	_ = authz.RegisterClass(Doc{})
	_ = authz.LoadString("docs.polar", `
allow(_: User, "read", doc: Doc) if doc.Public;
allow(u: User, "edit", doc: Doc) if doc.Owner = u.Name;
`)
	doc := Doc{Owner: "alice", Public: true}
	edit := func(w http.ResponseWriter, r *http.Request) {
		user := User{Name: r.Header.Get("X-User")}
		if !ursahttp.Authorize(w, r, authz, user, "edit", doc) {
			return
		}
		fmt.Fprintln(w, "edited")
	}
	for _, name := range []string{"alice", "bob"} {
		req := httptest.NewRequest("POST", "/doc", nil)
		req.Header.Set("X-User", name)
		rec := httptest.NewRecorder()
		edit(rec, req)
		fmt.Print(name, " ", rec.Code, " ", rec.Body)
	}
	// Output:
	// alice 200 edited
	// bob 403 {"error":"forbidden"}
}
