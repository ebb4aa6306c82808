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
	mu       sync.RWMutex
	subclass map[[2]string]bool
	fields   map[fieldRef]fieldRes
	types    map[reflect.Type]*utype // complete types only
}

func (c *snapCache) loadType(t reflect.Type) (*utype, bool) {
	c.mu.RLock()
	u, ok := c.types[t]
	c.mu.RUnlock()
	return u, ok
}

func (c *snapCache) storeTypes(ts []reflect.Type, local map[reflect.Type]*utype) {
	c.mu.Lock()
	if c.types == nil {
		c.types = map[reflect.Type]*utype{}
	}
	for _, t := range ts {
		if _, ok := c.types[t]; !ok {
			c.types[t] = local[t]
		}
	}
	c.mu.Unlock()
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
	h.c.mu.RLock()
	v, ok := h.c.subclass[k]
	h.c.mu.RUnlock()
	if ok {
		return v
	}
	v = h.host.SubclassOf(sub, super)
	h.c.mu.Lock()
	if h.c.subclass == nil {
		h.c.subclass = map[[2]string]bool{}
	}
	h.c.subclass[k] = v
	h.c.mu.Unlock()
	return v
}

func (h snapHost) FieldOf(t reflect.Type, name string) (string, reflect.Type, bool) {
	k := fieldRef{t, name}
	h.c.mu.RLock()
	r, ok := h.c.fields[k]
	h.c.mu.RUnlock()
	if ok {
		return r.goName, r.typ, r.ok
	}
	g, ft, ok := h.host.FieldOf(t, name)
	h.c.mu.Lock()
	if h.c.fields == nil {
		h.c.fields = map[fieldRef]fieldRes{}
	}
	h.c.fields[k] = fieldRes{g, ft, ok}
	h.c.mu.Unlock()
	return g, ft, ok
}
