package ursa_test

import (
	"context"
	"embed"
	"fmt"

	"github.com/ursa-authz/ursa"
)

//go:embed testdata/policy/*.polar
var policyFS embed.FS

type Account struct{ ID int }

type Document struct {
	OwnerID int
	Public  bool
}

// Policies can be embedded in the binary and loaded with LoadFS.
func ExampleAuthorizer_LoadFS() {
	authz, _ := ursa.New()
	_ = authz.RegisterClass(Account{})
	_ = authz.RegisterClass(Document{})
	if err := authz.LoadFS(policyFS, "testdata/policy/*.polar"); err != nil {
		fmt.Println(err)
		return
	}
	ok, err := authz.IsAllowed(context.Background(), Account{ID: 1}, "read", Document{OwnerID: 1})
	fmt.Println(ok, err)
	ok, err = authz.IsAllowed(context.Background(), Account{ID: 2}, "read", Document{OwnerID: 1})
	fmt.Println(ok, err)
	// Output:
	// true <nil>
	// false <nil>
}
