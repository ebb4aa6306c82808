package engine

import (
	"fmt"
	"reflect"
)

// Tooling hooks (owned by cmd/ursa; additive, no VM behaviour changes).

// DeclareFieldTypes overrides the static types that Policy.Field reports for
// interface-typed fields of a struct type built at run time (reflect.StructOf).
//
// reflect cannot build recursive types, so a tool that declares classes at
// run time (the ursa CLI's schema file: Folder.parent is a *Folder) declares
// relation fields as `any` and then tells the engine which type each one
// really holds. Partial evaluation then sees `folder.parent` as a *Folder,
// exactly as with a compiled Go struct. Reading such a field from a value
// still returns whatever the interface holds.
//
// types maps Go field names to their declared types; each named field must
// exist in t and be of interface kind. Call it before any policy uses t.
func DeclareFieldTypes(t reflect.Type, types map[string]reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("DeclareFieldTypes: %s is not a struct type", t)
	}
	ti := buildInfo(t)
	for name, ft := range types {
		f, ok := t.FieldByName(name)
		if !ok {
			return fmt.Errorf("DeclareFieldTypes: %s has no field %s", t, name)
		}
		if f.Type.Kind() != reflect.Interface {
			return fmt.Errorf("DeclareFieldTypes: field %s of %s is %s, not an interface", name, t, f.Type)
		}
		fi, ok := ti.fields[name]
		if !ok {
			return fmt.Errorf("DeclareFieldTypes: field %s of %s is not visible", name, t)
		}
		fi.Type = ft // shared by the field's aliases (snake_case, tags)
	}
	typeInfos.Store(t, ti)
	return nil
}
