package partial

import (
	"reflect"
	"strings"
	"sync"
)

// Object identity. Objects (values of registered struct types) are compared
// by primary key, in the filter as in Match: the key fields are the fields
// tagged gorm:"primaryKey" (or "primary_key"), in declaration order; without
// such a tag, the field named ID. A type with neither has no key and cannot be
// compared as an object in a filter.

type pkInfo struct {
	names   []string
	indexes [][]int
}

var pkCache sync.Map // reflect.Type -> *pkInfo

func pkOf(t reflect.Type) *pkInfo {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v, ok := pkCache.Load(t); ok {
		return v.(*pkInfo)
	}
	info := &pkInfo{}
	if t.Kind() == reflect.Struct {
		for _, f := range reflect.VisibleFields(t) {
			if !f.IsExported() || f.Anonymous {
				continue
			}
			for _, part := range strings.Split(f.Tag.Get("gorm"), ";") {
				k := strings.ToLower(strings.TrimSpace(part))
				if k == "primarykey" || k == "primary_key" {
					info.names = append(info.names, f.Name)
					info.indexes = append(info.indexes, f.Index)
					break
				}
			}
		}
		if len(info.names) == 0 {
			if f, ok := t.FieldByName("ID"); ok && f.IsExported() {
				info.names = []string{"ID"}
				info.indexes = [][]int{f.Index}
			}
		}
	}
	v, _ := pkCache.LoadOrStore(t, info)
	return v.(*pkInfo)
}

// PrimaryKey returns the Go names of the primary key fields of t (a struct
// type or pointer to one), or nil if it has none.
func PrimaryKey(t reflect.Type) []string { return pkOf(t).names }

func pkIndexes(t reflect.Type) [][]int { return pkOf(t).indexes }
