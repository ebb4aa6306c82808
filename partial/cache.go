package partial

import (
	"bytes"
	"encoding/binary"
	"math"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/ursa-authz/ursa/engine"
)

// The filter cache. Eval remembers the filters it computed, keyed by
//   - the policy snapshot (*engine.Policy: immutable; a reload is a new
//     pointer, so a filter is never returned for another policy version),
//   - the action and the resource type,
//   - a fingerprint of the actor's whole reachable value: a serialization of
//     every field, element and pointer target (by value, with pointer cycles
//     as back references), so an actor mutated between calls gets a new key.
//     Pointer identity alone is never used.
//
// Only evaluations that read nothing but fields, literals and constants are
// cached: one that called a host method (`user.is_active()`, `Clock.now()`,
// or a zero-argument method read like a field) or built a value with `new`
// may depend on state outside the actor and policy, and is recomputed every
// time. An actor that cannot be fingerprinted (funcs, channels, or nesting
// deeper than maxFingerprintDepth) is never cached either.
//
// Cached filters are shared: callers must not modify a returned Filter
// (Simplify and the backends only read it).

const (
	maxCacheEntries     = 4096
	maxFingerprintDepth = 64
)

type cacheKey struct {
	p      *engine.Policy
	action string
	typ    string
	actor  string
}

var filterCache struct {
	mu sync.Mutex
	m  map[cacheKey]*Filter
}

func cacheGet(k cacheKey) (*Filter, bool) {
	filterCache.mu.Lock()
	f, ok := filterCache.m[k]
	filterCache.mu.Unlock()
	return f, ok
}

func cachePut(k cacheKey, f *Filter) {
	filterCache.mu.Lock()
	if filterCache.m == nil || len(filterCache.m) >= maxCacheEntries {
		// Bounded: start over rather than track recency. This also drops
		// the references to replaced policies.
		filterCache.m = make(map[cacheKey]*Filter, 64)
	}
	filterCache.m[k] = f
	filterCache.mu.Unlock()
}

// fpBufPool recycles fingerprint buffers.
var fpBufPool = sync.Pool{New: func() any { return new(fpState) }}

type fpState struct {
	b    []byte
	seen map[uintptr]int
	tmp  []byte
}

// fingerprint serializes v's reachable value; ok is false if v cannot be
// fingerprinted.
func fingerprint(v any) (string, bool) {
	s := fpBufPool.Get().(*fpState)
	s.b = s.b[:0]
	if s.seen == nil {
		s.seen = map[uintptr]int{}
	}
	clear(s.seen)
	rv := reflect.ValueOf(v)
	ok := true
	if rv.IsValid() {
		t := rv.Type()
		s.b = appendString(s.b, t.PkgPath())
		s.b = appendString(s.b, t.String())
		ok = s.value(rv, 0)
	}
	out := string(s.b)
	if cap(s.b) < 1<<16 {
		fpBufPool.Put(s)
	}
	return out, ok
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (s *fpState) value(v reflect.Value, depth int) bool {
	if depth > maxFingerprintDepth {
		return false
	}
	switch v.Kind() {
	case reflect.Invalid:
		s.b = append(s.b, 'z')
	case reflect.Bool:
		if v.Bool() {
			s.b = append(s.b, 'T')
		} else {
			s.b = append(s.b, 'F')
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s.b = append(s.b, 'i')
		s.b = binary.AppendVarint(s.b, v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s.b = append(s.b, 'u')
		s.b = binary.AppendUvarint(s.b, v.Uint())
	case reflect.Float32, reflect.Float64:
		s.b = append(s.b, 'f')
		s.b = binary.LittleEndian.AppendUint64(s.b, math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		c := v.Complex()
		s.b = append(s.b, 'c')
		s.b = binary.LittleEndian.AppendUint64(s.b, math.Float64bits(real(c)))
		s.b = binary.LittleEndian.AppendUint64(s.b, math.Float64bits(imag(c)))
	case reflect.String:
		s.b = append(s.b, 's')
		s.b = appendString(s.b, v.String())
	case reflect.Pointer:
		if v.IsNil() {
			s.b = append(s.b, 'n')
			return true
		}
		p := v.Pointer()
		if i, ok := s.seen[p]; ok {
			s.b = append(s.b, 'r')
			s.b = binary.AppendUvarint(s.b, uint64(i))
			return true
		}
		s.seen[p] = len(s.seen)
		s.b = append(s.b, 'p')
		return s.value(v.Elem(), depth+1)
	case reflect.Interface:
		if v.IsNil() {
			s.b = append(s.b, 'n')
			return true
		}
		e := v.Elem()
		s.b = append(s.b, 'I')
		s.b = appendString(s.b, e.Type().PkgPath())
		s.b = appendString(s.b, e.Type().String())
		return s.value(e, depth+1)
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			s.b = append(s.b, 't')
			s.b = binary.AppendVarint(s.b, t.Unix())
			s.b = binary.AppendVarint(s.b, int64(t.Nanosecond()))
			_, off := t.Zone()
			s.b = binary.AppendVarint(s.b, int64(off))
			s.b = appendString(s.b, t.Location().String())
			return true
		}
		s.b = append(s.b, '{')
		for i := 0; i < v.NumField(); i++ {
			if !s.value(v.Field(i), depth+1) {
				return false
			}
		}
		s.b = append(s.b, '}')
	case reflect.Slice:
		if v.IsNil() {
			s.b = append(s.b, 'n')
			return true
		}
		fallthrough
	case reflect.Array:
		s.b = append(s.b, '[')
		s.b = binary.AppendUvarint(s.b, uint64(v.Len()))
		if v.Type().Elem().Kind() == reflect.Uint8 && v.Kind() == reflect.Slice {
			s.b = append(s.b, v.Bytes()...)
			return true
		}
		for i := 0; i < v.Len(); i++ {
			if !s.value(v.Index(i), depth+1) {
				return false
			}
		}
	case reflect.Map:
		if v.IsNil() {
			s.b = append(s.b, 'n')
			return true
		}
		// Entries serialized separately and sorted, so the order of map
		// iteration does not matter.
		type kv struct{ k, v []byte }
		var entries []kv
		it := v.MapRange()
		for it.Next() {
			saved := s.b
			s.b = nil
			if !s.value(it.Key(), depth+1) {
				s.b = saved
				return false
			}
			kb := s.b
			s.b = nil
			if !s.value(it.Value(), depth+1) {
				s.b = saved
				return false
			}
			entries = append(entries, kv{kb, s.b})
			s.b = saved
		}
		sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].k, entries[j].k) < 0 })
		s.b = append(s.b, 'M')
		s.b = binary.AppendUvarint(s.b, uint64(len(entries)))
		for _, e := range entries {
			s.b = append(s.b, e.k...)
			s.b = append(s.b, e.v...)
		}
	default:
		// Funcs, channels, unsafe pointers: their behaviour is not data.
		return false
	}
	return true
}
