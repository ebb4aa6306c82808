package partial_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/partial"
)

type ExUser struct{ ID int64 }

type ExFolder struct {
	ID       int64
	OwnerID  int64
	Public   bool
	ParentID *int64
	Parent   *ExFolder
}

// The filter of the folders a user may read: owned or public ones, and
// everything under a readable folder (a recursive predicate).
func ExampleEval() {
	reg := engine.NewRegistry()
	_ = reg.RegisterClass(&ExUser{}, "User", nil)
	_ = reg.RegisterClass(&ExFolder{}, "Folder", nil)
	p, errs := engine.Load([]engine.Source{{Name: "folders.polar", Src: []byte(`
actor User {}
resource Folder {}
can_read(u: User, f: Folder) if f.owner_id = u.id or f.public;
can_read(u: User, f: Folder) if can_read(u, f.parent);
allow(u: User, "read", f: Folder) if can_read(u, f);
`)}}, reg, nil)
	if errs.Err() != nil {
		fmt.Println(errs)
		return
	}
	f, err := partial.Eval(context.Background(), p, &ExUser{ID: 7}, "read", "Folder")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f)

	// Match evaluates the filter in memory, with the decision's semantics.
	root := &ExFolder{ID: 1, OwnerID: 7}
	child := &ExFolder{ID: 2, OwnerID: 8, Parent: root, ParentID: &root.ID}
	other := &ExFolder{ID: 3, OwnerID: 8}
	for _, x := range []*ExFolder{root, child, other} {
		ok, _ := partial.Match(p, f, x)
		fmt.Println(x.ID, ok)
	}
	// Output:
	// resource in can_read
	// where can_read(f: Folder) := f.OwnerID = 7 or f.Public = true or f.Parent in can_read
	// 1 true
	// 2 true
	// 3 false
}

// A construct a filter cannot express is an error naming the policy line.
func ExampleEval_unsupported() {
	reg := engine.NewRegistry()
	_ = reg.RegisterClass(&ExUser{}, "User", nil)
	_ = reg.RegisterClass(&ExFolder{}, "Folder", nil)
	p, _ := engine.Load([]engine.Source{{Name: "bad.polar", Src: []byte(`actor User {}
resource Folder {}
allow(u: User, "read", f: Folder) if f.owner_id + 1 = u.id;
`)}}, reg, nil)
	_, err := partial.Eval(context.Background(), p, &ExUser{ID: 7}, "read", "Folder")
	fmt.Println(errors.Is(err, partial.ErrUnsupported))
	fmt.Println(err)
	// Output:
	// true
	// bad.polar:3:49: cannot filter: arithmetic (+) on the unknown resource
	// allow(u: User, "read", f: Folder) if f.owner_id + 1 = u.id;
	//                                                 ^
}
