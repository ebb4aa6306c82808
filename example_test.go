package ursa_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/ursa-authz/ursa"
)

// The quick start: register Go types, load a policy, decide.
func Example() {
	type Account struct {
		ID int
	}
	type Document struct {
		OwnerID int
		Public  bool
	}
	authz, _ := ursa.New()
	_ = authz.RegisterClass(Account{})
	_ = authz.RegisterClass(Document{})
	err := authz.LoadString("docs.polar", `
allow(user: Account, "read", doc: Document) if doc.public or doc.owner_id = user.id;
allow(user: Account, "edit", doc: Document) if doc.owner_id = user.id;
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	me := Account{ID: 1}
	mine := Document{OwnerID: 1}
	theirs := Document{OwnerID: 2, Public: true}
	for _, c := range []struct {
		action string
		doc    Document
	}{{"read", mine}, {"edit", mine}, {"read", theirs}, {"edit", theirs}} {
		ok, err := authz.IsAllowed(ctx, me, c.action, c.doc)
		fmt.Println(c.action, c.doc.OwnerID, ok, err)
	}
	// Output:
	// read 1 true <nil>
	// edit 1 true <nil>
	// read 2 true <nil>
	// edit 2 false <nil>
}

func ExampleAuthorizer_Authorize() {
	authz := gitclub(nil)
	w := newWorld()
	ctx := context.Background()
	err := authz.Authorize(ctx, w.bob, "delete", w.anvil)
	fmt.Println(errors.Is(err, ursa.ErrForbidden), err)
	err = authz.Authorize(ctx, w.eve, "delete", w.anvil)
	fmt.Println(errors.Is(err, ursa.ErrNotFound), err)
	// Output:
	// true ursa: forbidden (actor may not delete the resource)
	// true ursa: not found (actor may not delete the resource)
}

func ExampleAuthorizer_AuthorizedActions() {
	authz := gitclub(nil)
	w := newWorld()
	actions, err := authz.AuthorizedActions(context.Background(), w.alice, w.anvil)
	fmt.Println(actions, err)
	// Output: [delete push read] <nil>
}

func ExampleAuthorizer_Query() {
	authz, _ := ursa.New(ursa.WithPrintWriter(os.Stdout))
	_ = authz.LoadString("family.polar", `
parent("ann", "bob");
parent("bob", "cid");
ancestor(a, d) if parent(a, d);
ancestor(a, d) if parent(a, c) and ancestor(c, d);
`)
	for b, err := range authz.Query(context.Background(), `ancestor("ann", who)`) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(b["who"])
	}
	// Output:
	// bob
	// cid
}

func ExampleAuthorizer_QueryRule() {
	authz := gitclub(nil)
	w := newWorld()
	for b, err := range authz.QueryRule(context.Background(), "has_role", w.alice, ursa.Var("role"), w.acme) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(b["role"])
	}
	// Output:
	// owner
	// member
}
