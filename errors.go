package ursa

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors of Authorize, matched with errors.Is.
var (
	// ErrNotFound: the actor may not even read the resource; an application
	// should answer as if it did not exist (HTTP 404).
	ErrNotFound = errors.New("ursa: not found")
	// ErrForbidden: the actor may read the resource but not perform the
	// action (HTTP 403).
	ErrForbidden = errors.New("ursa: forbidden")
)

// AuthorizationError is the error of a denied Authorize or AuthorizeField.
// errors.Is(err, ErrNotFound) / errors.Is(err, ErrForbidden) tell the kinds
// apart; errors.As gives the details.
type AuthorizationError struct {
	Kind     error // ErrNotFound or ErrForbidden
	Actor    any
	Action   string
	Resource any
	Field    string // for AuthorizeField
}

func (e *AuthorizationError) Error() string {
	what := e.Action
	if e.Field != "" {
		what += " field " + e.Field
	}
	if e.Kind == ErrNotFound {
		return fmt.Sprintf("ursa: not found (actor may not %s the resource)", what)
	}
	return fmt.Sprintf("ursa: forbidden (actor may not %s the resource)", what)
}

// Is matches the sentinel of the error's kind.
func (e *AuthorizationError) Is(target error) bool { return target == e.Kind }

// Unwrap returns the sentinel.
func (e *AuthorizationError) Unwrap() error { return e.Kind }

// Authorize returns nil when actor may perform action on resource. When it
// may not, it returns an *AuthorizationError: ErrNotFound when the actor may
// not even perform the read action (WithReadAction, default "read") on the
// resource, ErrForbidden otherwise. Evaluation errors are returned as they are
// (the request must be denied).
func (a *Authorizer) Authorize(ctx context.Context, actor any, action string, resource any) error {
	ok, err := a.IsAllowed(ctx, actor, action, resource)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	kind := ErrNotFound
	if action != a.opts.readAction {
		canRead, err := a.IsAllowed(ctx, actor, a.opts.readAction, resource)
		if err != nil {
			return err
		}
		if canRead {
			kind = ErrForbidden
		}
	}
	return &AuthorizationError{Kind: kind, Actor: actor, Action: action, Resource: resource}
}

// AuthorizeField returns nil when allow_field(actor, action, resource,
// field) succeeds and an *AuthorizationError of kind ErrForbidden otherwise.
func (a *Authorizer) AuthorizeField(ctx context.Context, actor any, action string, resource any, field string) error {
	p, err := a.current()
	if err != nil {
		return err
	}
	ok, err := p.Decide(ctx, a.queryOptions(nil), "allow_field", actor, action, resource, field)
	if err != nil {
		return err
	}
	if !ok {
		return &AuthorizationError{Kind: ErrForbidden, Actor: actor, Action: action, Resource: resource, Field: field}
	}
	return nil
}
