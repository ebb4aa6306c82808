package engine

import (
	"context"
	"reflect"
	"testing"
)

func TestDeclareFieldTypes(t *testing.T) {
	anyT := reflect.TypeOf((*any)(nil)).Elem()
	node := reflect.StructOf([]reflect.StructField{
		{Name: "ID", Type: reflect.TypeOf(int64(0))},
		{Name: "Parent", Type: anyT, Tag: `polar:"up"`},
		{Name: "Children", Type: anyT},
		{Name: "Marker", Type: reflect.TypeOf(struct{ declareFieldTypesTest int }{})},
	})
	ptr := reflect.PointerTo(node)
	if err := DeclareFieldTypes(node, map[string]reflect.Type{"Parent": ptr, "Children": reflect.SliceOf(ptr)}); err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	if err := reg.RegisterClass(ptr, "Node", nil); err != nil {
		t.Fatal(err)
	}
	p, errs := Load([]Source{{Name: "n.polar", Src: []byte(`f(n: Node) if n.up.id = 1;`)}}, reg, nil)
	if errs.Err() != nil {
		t.Fatal(errs)
	}
	for name, want := range map[string]reflect.Type{"Parent": ptr, "up": ptr, "parent": ptr, "children": reflect.SliceOf(ptr), "ID": reflect.TypeOf(int64(0))} {
		fi, ok := p.Field(node, name)
		if !ok || fi.Type != want {
			t.Errorf("Field(%s) = %v %v, want %v", name, fi.Type, ok, want)
		}
	}
	// Values still read what the interface holds.
	parent := reflect.New(node)
	parent.Elem().Field(0).SetInt(1)
	child := reflect.New(node)
	child.Elem().Field(1).Set(parent)
	if ok, err := p.Decide(context.Background(), nil, "f", child.Interface()); !ok || err != nil {
		t.Errorf("f(child) = %v, %v", ok, err)
	}
	if ok, _ := p.Decide(context.Background(), nil, "f", parent.Interface()); ok {
		t.Error("f(parent) with no parent succeeded")
	}
	// Only interface fields may be declared.
	if err := DeclareFieldTypes(node, map[string]reflect.Type{"ID": ptr}); err == nil {
		t.Error("declared a non-interface field")
	}
	if err := DeclareFieldTypes(node, map[string]reflect.Type{"Nope": ptr}); err == nil {
		t.Error("declared a missing field")
	}
}
