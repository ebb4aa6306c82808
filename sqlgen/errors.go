package sqlgen

import "errors"

// Sentinel errors; every error returned by this package wraps one of them, so
// callers can test with errors.Is.
var (
	// ErrInvalidSchema: the schema is inconsistent (see Schema.Validate).
	ErrInvalidSchema = errors.New("sqlgen: invalid schema")
	// ErrUnknownType: the filter names a Polar type the schema does not map.
	ErrUnknownType = errors.New("sqlgen: unknown type")
	// ErrUnknownField: a path names a field or relation that is not in the schema.
	ErrUnknownField = errors.New("sqlgen: unknown field")
	// ErrInvalidIdent: an identifier cannot be quoted safely.
	ErrInvalidIdent = errors.New("sqlgen: invalid identifier")
	// ErrInvalidFilter: the filter IR is malformed (unbound variable, bad operand, ...).
	ErrInvalidFilter = errors.New("sqlgen: invalid filter")
	// ErrUnsupported: the filter is valid but cannot be compiled exactly to SQL.
	ErrUnsupported = errors.New("sqlgen: unsupported")
)
