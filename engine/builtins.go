package engine

import (
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// Built-in methods of built-in classes.
//
//	String:     len(), lower(), upper(), trim(), starts_with(s), ends_with(s),
//	            contains(s), split(sep), replace(old, new), index_of(s)
//	List:       len(), contains(x), index_of(x), join(sep)
//	Dictionary: len(), keys() (sorted), values() (by sorted key),
//	            get(key[, default]), contains_key(key)
//	Integer, Float: abs()
//
// Python-style aliases startswith/endswith/strip are accepted too. As
// lookups without parentheses (s.len) they are not available: call them.
func callBuiltin(v any, name string, args []any, kwargs map[string]any, asLookup bool) (any, error) {
	if asLookup {
		if _, ok := asDict(v); ok {
			return nil, errFail
		}
		return nil, fmt.Errorf("%s has no field %s", typeName(v), name)
	}
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("built-in method %s takes no keyword arguments", name)
	}
	argc := func(n int) error {
		if len(args) != n {
			return fmt.Errorf("%s.%s takes %d arguments, got %d", typeName(v), name, n, len(args))
		}
		return nil
	}
	strArg := func(i int) (string, error) {
		s, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("%s.%s: argument %d must be a String, got %s", typeName(v), name, i+1, describe(args[i]))
		}
		return s, nil
	}
	switch x := v.(type) {
	case string:
		switch name {
		case "len":
			if err := argc(0); err != nil {
				return nil, err
			}
			return int64(utf8.RuneCountInString(x)), nil
		case "lower", "upper", "trim", "strip":
			if err := argc(0); err != nil {
				return nil, err
			}
			switch name {
			case "lower":
				return strings.ToLower(x), nil
			case "upper":
				return strings.ToUpper(x), nil
			}
			return strings.TrimSpace(x), nil
		case "starts_with", "startswith", "ends_with", "endswith", "contains", "split", "index_of":
			if err := argc(1); err != nil {
				return nil, err
			}
			s, err := strArg(0)
			if err != nil {
				return nil, err
			}
			switch name {
			case "starts_with", "startswith":
				return strings.HasPrefix(x, s), nil
			case "ends_with", "endswith":
				return strings.HasSuffix(x, s), nil
			case "contains":
				return strings.Contains(x, s), nil
			case "index_of":
				return int64(strings.Index(x, s)), nil
			}
			parts := strings.Split(x, s)
			out := make([]any, len(parts))
			for i, p := range parts {
				out[i] = p
			}
			return out, nil
		case "replace":
			if err := argc(2); err != nil {
				return nil, err
			}
			a, err := strArg(0)
			if err != nil {
				return nil, err
			}
			b, err := strArg(1)
			if err != nil {
				return nil, err
			}
			return strings.ReplaceAll(x, a, b), nil
		}
	case int64:
		if name == "abs" && len(args) == 0 {
			if x == math.MinInt64 {
				return nil, errOverflow
			}
			if x < 0 {
				return -x, nil
			}
			return x, nil
		}
	case float64:
		if name == "abs" && len(args) == 0 {
			return math.Abs(x), nil
		}
	}
	if l, ok := asList(v); ok {
		if _, isStr := v.(string); !isStr {
			switch name {
			case "len":
				if err := argc(0); err != nil {
					return nil, err
				}
				return int64(l.len()), nil
			case "contains", "index_of":
				if err := argc(1); err != nil {
					return nil, err
				}
				for i := 0; i < l.len(); i++ {
					if equal(l.at(i), args[0]) {
						if name == "contains" {
							return true, nil
						}
						return int64(i), nil
					}
				}
				if name == "contains" {
					return false, nil
				}
				return int64(-1), nil
			case "join":
				if err := argc(1); err != nil {
					return nil, err
				}
				sep, err := strArg(0)
				if err != nil {
					return nil, err
				}
				parts := make([]string, l.len())
				for i := range parts {
					e := resolve(l.at(i))
					if s, ok := e.(string); ok {
						parts[i] = s
					} else {
						parts[i] = FormatValue(e)
					}
				}
				return strings.Join(parts, sep), nil
			}
		}
	}
	if d, ok := asDict(v); ok {
		switch name {
		case "len":
			if err := argc(0); err != nil {
				return nil, err
			}
			return int64(d.len()), nil
		case "keys", "values":
			if err := argc(0); err != nil {
				return nil, err
			}
			ks := d.keys()
			out := make([]any, len(ks))
			for i, k := range ks {
				if name == "keys" {
					out[i] = k
				} else {
					out[i], _ = d.get(k)
				}
			}
			return out, nil
		case "get":
			if len(args) != 1 && len(args) != 2 {
				return nil, fmt.Errorf("Dictionary.get takes 1 or 2 arguments, got %d", len(args))
			}
			k, err := strArg(0)
			if err != nil {
				return nil, err
			}
			if r, ok := d.get(k); ok {
				return r, nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return nil, nil
		case "contains_key", "has_key":
			if err := argc(1); err != nil {
				return nil, err
			}
			k, err := strArg(0)
			if err != nil {
				return nil, err
			}
			_, ok := d.get(k)
			return ok, nil
		}
	}
	return nil, fmt.Errorf("%s has no method %s", typeName(v), name)
}
