package partial

import (
	"reflect"
	"sync"

	"github.com/ursa-authz/ursa/engine"
)

// snapCache holds what the evaluator derives from one policy snapshot (an
// *engine.Policy: program plus a registry that is not mutated afterwards)
// and would otherwise recompute on every evaluation: subclass answers,
// resolved fields and static types of unknowns. Entries are immutable once
// stored; concurrent evaluations share them.
type snapCache struct {
	subclass sync.Map // [2]string -> bool
	fields   sync.Map // fieldRef -> fieldRes
	types    sync.Map // reflect.Type -> *utype (complete)
}

type fieldRef struct {
	t    reflect.Type
	name string
}

type fieldRes struct {
	goName string
	typ    reflect.Type
	ok     bool
}

const maxSnapCaches = 64

var snapCaches struct {
	mu sync.Mutex
	m  map[*engine.Policy]*snapCache
}

// snapOf returns the cache of policy p (nil p: none).
func snapOf(p *engine.Policy) *snapCache {
	if p == nil {
		return nil
	}
	snapCaches.mu.Lock()
	defer snapCaches.mu.Unlock()
	if c, ok := snapCaches.m[p]; ok {
		return c
	}
	if snapCaches.m == nil || len(snapCaches.m) >= maxSnapCaches {
		// Bounded: start over (drops references to replaced policies).
		snapCaches.m = make(map[*engine.Policy]*snapCache, 8)
	}
	c := &snapCache{}
	snapCaches.m[p] = c
	return c
}

// snapHost is a host whose SubclassOf and FieldOf answers are memoised in
// the policy snapshot's cache.
type snapHost struct {
	host
	c *snapCache
}

func (h snapHost) SubclassOf(sub, super string) bool {
	k := [2]string{sub, super}
	if v, ok := h.c.subclass.Load(k); ok {
		return v.(bool)
	}
	v := h.host.SubclassOf(sub, super)
	h.c.subclass.Store(k, v)
	return v
}

func (h snapHost) FieldOf(t reflect.Type, name string) (string, reflect.Type, bool) {
	k := fieldRef{t, name}
	if v, ok := h.c.fields.Load(k); ok {
		r := v.(fieldRes)
		return r.goName, r.typ, r.ok
	}
	g, ft, ok := h.host.FieldOf(t, name)
	h.c.fields.Store(k, fieldRes{g, ft, ok})
	return g, ft, ok
}
