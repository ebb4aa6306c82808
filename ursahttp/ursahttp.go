// Package ursahttp connects Ursa decisions to net/http handlers: it maps
// Ursa's typed denials to HTTP status codes and lets a handler authorize in
// one line.
//
// Entry points:
//
//   - Authorize(w, r, authz, actor, action, resource) bool: decide, and on a
//     denial write the response (404, 403 or 500) and return false, so a
//     handler authorizes with `if !ursahttp.Authorize(...) { return }`.
//   - HandlerFunc: a handler that returns an error; a non-nil error is written
//     with Error, so a handler can end with
//     `return authz.Authorize(ctx, user, "close", issue)`.
//   - Status(err) and Error(w, r, err): the mapping itself. ursa.ErrNotFound
//     (the actor may not even read the resource: answer as if it did not
//     exist) is 404, ursa.ErrForbidden (may read, may not act) is 403, an
//     error wrapped with WithStatus has its own status, and every other error
//     is 500 — an evaluation error is a denial, never an allow.
//
// Error bodies are JSON, {"error": "not found"}; a 5xx body never carries the
// error text (it is logged with log/slog instead), so a denial leaks nothing
// about the resource or the policy.
package ursahttp

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/ursa-authz/ursa"
)

// Authorizer decides one request; *ursa.Authorizer implements it. Denials
// must be errors matching ursa.ErrNotFound or ursa.ErrForbidden (errors.Is).
type Authorizer interface {
	Authorize(ctx context.Context, actor any, action string, resource any) error
}

// Status returns the HTTP status code for err: 200 for nil, 404 for
// ursa.ErrNotFound, 403 for ursa.ErrForbidden, the code given to WithStatus,
// and 500 for anything else.
func Status(err error) int {
	var se *StatusError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &se):
		return se.Code
	case errors.Is(err, ursa.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ursa.ErrForbidden):
		return http.StatusForbidden
	default:
		return http.StatusInternalServerError
	}
}

// StatusError gives an error its own HTTP status (see WithStatus).
type StatusError struct {
	Code int
	Err  error
}

func (e *StatusError) Error() string {
	if e.Err == nil {
		return http.StatusText(e.Code)
	}
	return e.Err.Error()
}

func (e *StatusError) Unwrap() error { return e.Err }

// WithStatus wraps err so that Status and Error answer code, e.g.
// WithStatus(http.StatusBadRequest, errors.New(`"role" must be "member" or "admin"`)).
// For a 4xx code the error text is the response's message.
func WithStatus(code int, err error) error { return &StatusError{Code: code, Err: err} }

// Error writes err as a JSON error response with Status(err). The message
// is "not found" for 404, "forbidden" for 403, the error text for other 4xx
// codes given with WithStatus, and the status text for 5xx, whose error is
// logged with slog.ErrorContext. A nil err writes nothing.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	if err == nil {
		return
	}
	code := Status(err)
	msg := strings.ToLower(http.StatusText(code))
	var se *StatusError
	switch {
	case code >= 500:
		slog.ErrorContext(r.Context(), "ursahttp: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case errors.As(err, &se) && se.Err != nil && code != http.StatusNotFound && code != http.StatusForbidden:
		msg = se.Err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

// Authorize decides whether actor may perform action on resource. It
// returns true when allowed; otherwise it writes the denial (404, 403, or
// 500 for an evaluation error) and returns false, so a handler authorizes
// in one line:
//
//	if !ursahttp.Authorize(w, r, authz, user, "create_issue", repo) {
//		return
//	}
func Authorize(w http.ResponseWriter, r *http.Request, a Authorizer, actor any, action string, resource any) bool {
	if err := a.Authorize(r.Context(), actor, action, resource); err != nil {
		Error(w, r, err)
		return false
	}
	return true
}

// HandlerFunc is an http.Handler that returns an error; ServeHTTP writes a
// non-nil error with Error (the handler must not have written a response
// yet when it returns one).
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// ServeHTTP implements http.Handler.
func (f HandlerFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := f(w, r); err != nil {
		Error(w, r, err)
	}
}
