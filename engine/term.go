package engine

// cell is a logic variable slot. An unbound cell stands for itself; a bound
// cell holds a value (possibly another cell). Cells never escape the engine:
// results are resolved to plain values first.
type cell struct {
	val   any
	bound bool
}

// restList is a list pattern with a rest variable: [a, b, *rest].
type restList struct {
	elems []any
	rest  any
}

// deref follows bound cells to a value or an unbound cell.
func deref(v any) any {
	for {
		c, ok := v.(*cell)
		if !ok || !c.bound {
			return v
		}
		v = c.val
	}
}

// isGround reports whether v contains no unbound cell.
func isGround(v any) bool {
	v = deref(v)
	switch x := v.(type) {
	case *cell:
		return false
	case *restList:
		return false
	case []any:
		for _, e := range x {
			if !isGround(e) {
				return false
			}
		}
	case map[string]any:
		for _, e := range x {
			if !isGround(e) {
				return false
			}
		}
	}
	return true
}

// hasCells reports whether v (not dereferenced) contains any cell or rest
// pattern, bound or not.
func hasCells(v any) bool {
	switch x := v.(type) {
	case *cell, *restList:
		return true
	case []any:
		for _, e := range x {
			if hasCells(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasCells(e) {
				return true
			}
		}
	}
	return false
}

// resolve returns v with every bound cell replaced by its value, deeply.
// Unbound cells become Variable("_").
func resolve(v any) any {
	v = deref(v)
	switch x := v.(type) {
	case *cell:
		return Variable("_")
	case *elemRef:
		return x.value()
	case []any:
		if !hasCells(x) {
			return x
		}
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = resolve(e)
		}
		return out
	case map[string]any:
		if !hasCells(x) {
			return x
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = resolve(e)
		}
		return out
	case *restList:
		out := make([]any, 0, len(x.elems))
		for _, e := range x.elems {
			out = append(out, resolve(e))
		}
		r := resolve(x.rest)
		if l, ok := asList(r); ok {
			for i := 0; i < l.len(); i++ {
				out = append(out, l.at(i))
			}
			return out
		}
		return append(out, Variable("*rest"))
	}
	return v
}
