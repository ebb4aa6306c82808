package engine

import (
	"database/sql"
	"reflect"
	"testing"
	"time"
)

type rfBase struct {
	ID int32 `polar:"ident"`
}

type rfThing struct {
	rfBase
	OwnerName string
	Score     *int
	Parent    *rfThing
	When      time.Time
	secret    int //nolint:unused // unexported: not a field for Polar
}

type rfOther struct {
	OwnerName string
	Extra     uint8
}

// ReadField must answer exactly what Lookup answers (value or error), for
// every receiver and every field Field resolves, including receivers it
// does not read directly (values, nil pointers, NULL-able and time types,
// a FieldInfo of another type).
func TestReadFieldIsLookup(t *testing.T) {
	p := mustLoad(t, `allow(_, _, _);`)
	score := 5
	thing := &rfThing{rfBase: rfBase{ID: 3}, OwnerName: "ann", Score: &score, Parent: &rfThing{OwnerName: "bob"}, When: time.Unix(7, 0), secret: 1}
	var nilThing *rfThing
	recvs := []any{
		thing, *thing, nilThing, thing.Parent, &rfOther{OwnerName: "cy", Extra: 9},
		&sql.NullString{String: "x", Valid: true}, &sql.NullString{}, sql.NullInt64{Int64: 4, Valid: true},
		&thing.When, &ClassValue{Name: "rfThing"}, map[string]any{"OwnerName": "dict"}, "str", int64(1), nil,
	}
	types := []reflect.Type{
		reflect.TypeOf(rfThing{}), reflect.TypeOf(&rfThing{}), reflect.TypeOf(rfOther{}),
		reflect.TypeOf(sql.NullString{}), reflect.TypeOf(sql.NullInt64{}), reflect.TypeOf(ClassValue{}), reflect.TypeOf(time.Time{}),
	}
	names := []string{"OwnerName", "owner_name", "ident", "ID", "Score", "Parent", "When", "rfBase", "Extra", "String", "Valid", "Int64", "Name", "secret"}
	n := 0
	for _, ft := range types {
		for _, name := range names {
			fi, ok := p.Field(ft, name)
			if !ok {
				continue
			}
			for _, v := range recvs {
				want, werr := p.Lookup(v, name)
				got, gerr := p.ReadField(v, &fi, name)
				if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
					t.Fatalf("ReadField(%#v, Field(%v, %q)): error %v, Lookup: %v", v, ft, name, gerr, werr)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("ReadField(%#v, Field(%v, %q)) = %#v, Lookup = %#v", v, ft, name, got, want)
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d comparisons: the table lost its cases", n)
	}
	// The direct read is taken (and right) where it applies.
	fi, _ := p.Field(reflect.TypeOf(rfThing{}), "owner_name")
	if v, err := p.ReadField(thing, &fi, "owner_name"); err != nil || v != "ann" {
		t.Fatalf("ReadField(thing, owner_name) = %v, %v", v, err)
	}
	fi, _ = p.Field(reflect.TypeOf(rfThing{}), "ident")
	if v, err := p.ReadField(thing, &fi, "ident"); err != nil || v != int64(3) {
		t.Fatalf("ReadField(thing, ident) = %#v, %v", v, err)
	}
	// A FieldInfo of another type is never used to read: rfOther's
	// OwnerName is at another index than rfThing's.
	fi, _ = p.Field(reflect.TypeOf(rfThing{}), "OwnerName")
	if v, err := p.ReadField(&rfOther{OwnerName: "cy"}, &fi, "OwnerName"); err != nil || v != "cy" {
		t.Fatalf("ReadField(rfOther, rfThing's OwnerName) = %#v, %v", v, err)
	}
}
