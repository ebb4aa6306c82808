package partial

import (
	"maps"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/ursa-authz/ursa/engine"
)

// snapCache holds what the evaluator derives from one policy snapshot (an
// *engine.Policy: program plus a registry that is not mutated afterwards)
// and would otherwise recompute on every evaluation: subclass answers,
// resolved fields and static types of unknowns. Entries are immutable once
// stored; concurrent evaluations share them. Each table is an immutable map
// behind an atomic pointer, replaced by a copy when an entry is added (after
// the first evaluations, only reads: no lock, no shared counter to write).
type snapCache struct {
	mu       sync.Mutex // serialises writers
	subclass atomic.Pointer[map[[2]string]bool]
	fields   atomic.Pointer[map[fieldRef]fieldRes]
	types    atomic.Pointer[map[reflect.Type]*utype] // complete types only
	plain    atomic.Pointer[map[reflect.Type]bool]   // see evaluator.plainElems
	// constVars: 0 not known yet, 1 no variable of the program names a
	// registered constant, 2 some does (see evaluator.constVars).
	constVars atomic.Int32
}

func (c *snapCache) loadType(t reflect.Type) (*utype, bool) {
	if m := c.types.Load(); m != nil {
		u, ok := (*m)[t]
		return u, ok
	}
	return nil, false
}

func (c *snapCache) storeTypes(ts []reflect.Type, local map[reflect.Type]*utype) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.types.Load()
	m := map[reflect.Type]*utype{}
	if old != nil {
		maps.Copy(m, *old)
	}
	for _, t := range ts {
		if _, ok := m[t]; !ok {
			m[t] = local[t]
		}
	}
	c.types.Store(&m)
}

const maxSnapEntries = 4096

// storeCopy adds k: v to the map behind p (a copy replaces it).
func storeCopy[K comparable, V any](mu *sync.Mutex, p *atomic.Pointer[map[K]V], k K, v V) {
	mu.Lock()
	defer mu.Unlock()
	old := p.Load()
	m := map[K]V{}
	if old != nil {
		if _, ok := (*old)[k]; ok || len(*old) >= maxSnapEntries {
			return // bounded: past that, answers are recomputed
		}
		maps.Copy(m, *old)
	}
	m[k] = v
	p.Store(&m)
}

type fieldRef struct {
	t    reflect.Type
	name string
}

type fieldRes struct {
	fi engine.FieldInfo
	ok bool
}

const maxSnapCaches = 64

// snapCaches maps policies to their caches (read without a lock on every
// evaluation).
var snapCaches boundedCache[*engine.Policy, *snapCache]

// snapOf returns the cache of policy p (nil p: none).
func snapOf(p *engine.Policy) *snapCache {
	if p == nil {
		return nil
	}
	return snapCaches.get(p, maxSnapCaches, func() *snapCache { return &snapCache{} })
}

// snapHost is a host whose SubclassOf and FieldOf answers are memoised in
// the policy snapshot's cache.
type snapHost struct {
	host
	c *snapCache
}

func (h snapHost) SubclassOf(sub, super string) bool {
	k := [2]string{sub, super}
	if m := h.c.subclass.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	v := h.host.SubclassOf(sub, super)
	storeCopy(&h.c.mu, &h.c.subclass, k, v)
	return v
}

func (h snapHost) FieldOf(t reflect.Type, name string) (engine.FieldInfo, bool) {
	k := fieldRef{t, name}
	if m := h.c.fields.Load(); m != nil {
		if r, ok := (*m)[k]; ok {
			return r.fi, r.ok
		}
	}
	fi, ok := h.host.FieldOf(t, name)
	storeCopy(&h.c.mu, &h.c.fields, k, fieldRes{fi, ok})
	return fi, ok
}
