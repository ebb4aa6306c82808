// Package ursa is a pure-Go authorization engine for Polar policies.
//
// An Authorizer holds registered Go types and the current compiled policy.
// Entry points:
//   - Setup: New (options WithMaxSteps, WithMaxDepth, WithPrintWriter,
//     WithDebugHook, WithDebugStep, WithReadAction); RegisterClass (class
//     options Name, Constructor) and RegisterConstant; LoadString, LoadFiles,
//     LoadFS and Load (each replaces the policy atomically); Policy (the
//     compiled *engine.Policy), Warnings and ClassName.
//   - Decisions: IsAllowed; Authorize (a denial is an *AuthorizationError
//     matching ErrNotFound or ErrForbidden); AuthorizeField and
//     AuthorizedFields; AuthorizedActions; the streaming Query and QueryRule
//     (Var for unbound arguments; results as Bindings). Before any load
//     they fail with ErrNoPolicy.
//   - Filtering (a SQL WHERE clause for a list query): Filter, in filter.go.
//   - Explanations (explain.go): Explain, ExplainRule and ExplainQuery give
//     an *Explanation (a tree of ExplainNode: the rules that proved the
//     call, or the closest failed attempts); ExplainPolicy and
//     ExplainPolicyQuery do the same on an *engine.Policy.
//   - Audit (decisionlog.go): WithDecisionLog returns a *DecisionLog whose
//     IsAllowed and Authorize log each decision through log/slog.
//   - Debugging: DebugHook, DebugEvent, DebugAction and PendingGoal are the
//     engine's (see package engine).
//
// All methods are safe for concurrent use. Loading builds the new policy
// completely before it replaces the old one; a failed load leaves the old
// policy in place. Decisions fail closed: any error is a deny, returned with
// the error.
package ursa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"reflect"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/ursa-authz/ursa/engine"
)

// Bindings maps query variables to values.
type Bindings = engine.Bindings

// Variable is an unbound variable argument for QueryRule (see Var).
type Variable = engine.Variable

// Var returns an unbound variable named name, for QueryRule arguments; its
// value in each solution is reported in the Bindings under name.
func Var(name string) Variable { return Variable(name) }

// Source is a named policy source for Load.
type Source = engine.Source

// DebugHook, DebugEvent, DebugAction and PendingGoal: see package engine.
type (
	DebugHook   = engine.DebugHook
	DebugEvent  = engine.DebugEvent
	DebugAction = engine.DebugAction
	PendingGoal = engine.PendingGoal
)

// ErrNoPolicy is returned by decisions before any policy was loaded.
var ErrNoPolicy = errors.New("ursa: no policy loaded")

// Authorizer decides authorization questions from a Polar policy.
type Authorizer struct {
	mu      sync.Mutex // serialises registration and loading
	reg     atomic.Pointer[engine.Registry]
	policy  atomic.Pointer[engine.Policy]
	sources []Source // sources of the current policy, for recompiling on registration
	opts    options
	qopts   *engine.QueryOptions // from opts, shared by all decisions (read-only)
}

type options struct {
	maxSteps, maxDepth int
	print              io.Writer
	debug              engine.DebugHook
	debugStep          bool
	readAction         string
}

// Option configures an Authorizer (New) or one query (Query).
type Option func(*options)

// WithMaxSteps bounds the goals one decision or query may run (default
// engine.DefaultMaxSteps; negative: unlimited).
func WithMaxSteps(n int) Option { return func(o *options) { o.maxSteps = n } }

// WithMaxDepth bounds the nesting of rule calls (default engine.DefaultMaxDepth;
// negative: unlimited).
func WithMaxDepth(n int) Option { return func(o *options) { o.maxDepth = n } }

// WithPrintWriter sets where print(...) in policies writes (default os.Stdout).
func WithPrintWriter(w io.Writer) Option { return func(o *options) { o.print = w } }

// WithDebugHook installs a debugger hook, called at debug() goals and while
// stepping (see engine.DebugHook).
func WithDebugHook(h DebugHook) Option { return func(o *options) { o.debug = h } }

// WithDebugStep starts every query in single-step mode (requires a hook).
func WithDebugStep(on bool) Option { return func(o *options) { o.debugStep = on } }

// WithReadAction sets the action Authorize checks to tell ErrNotFound from
// ErrForbidden (default "read").
func WithReadAction(action string) Option { return func(o *options) { o.readAction = action } }

// New returns an Authorizer with no classes and no policy.
func New(opts ...Option) (*Authorizer, error) {
	a := &Authorizer{opts: options{readAction: "read"}}
	for _, o := range opts {
		o(&a.opts)
	}
	a.reg.Store(engine.NewRegistry())
	a.qopts = a.queryOptions(nil)
	return a, nil
}

func (a *Authorizer) queryOptions(extra []Option) *engine.QueryOptions {
	if len(extra) == 0 && a.qopts != nil {
		return a.qopts
	}
	o := a.opts
	for _, f := range extra {
		f(&o)
	}
	return &engine.QueryOptions{MaxSteps: o.maxSteps, MaxDepth: o.maxDepth, Print: o.print, Debug: o.debug, DebugStep: o.debugStep}
}

// ClassOption configures RegisterClass.
type ClassOption func(*classOptions)

type classOptions struct {
	name string
	ctor any
}

// Name sets the Polar name of a registered class (default: the Go type name).
func Name(name string) ClassOption { return func(o *classOptions) { o.name = name } }

// Constructor sets the function `new Class(...)` calls (returning T or
// (T, error)); without one, `new` sets exported fields.
func Constructor(fn any) ClassOption { return func(o *classOptions) { o.ctor = fn } }

// RegisterClass registers the Go type of v (a value, a pointer, a nil pointer
// like (*User)(nil), or a reflect.Type) as a Polar class. Register before
// loading; registering after a load recompiles the current policy.
func (a *Authorizer) RegisterClass(v any, opts ...ClassOption) error {
	var co classOptions
	for _, o := range opts {
		o(&co)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	reg := a.reg.Load().Clone()
	if err := reg.RegisterClass(v, co.name, co.ctor); err != nil {
		return err
	}
	return a.commitRegistry(reg)
}

// RegisterConstant makes v available in policies under name.
func (a *Authorizer) RegisterConstant(name string, v any) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	reg := a.reg.Load().Clone()
	if err := reg.RegisterConstant(name, v); err != nil {
		return err
	}
	return a.commitRegistry(reg)
}

// commitRegistry installs reg, recompiling the loaded policy if any. Called
// with a.mu held.
func (a *Authorizer) commitRegistry(reg *engine.Registry) error {
	if a.policy.Load() != nil {
		p, err := a.compile(a.sources, reg)
		if err != nil {
			return fmt.Errorf("ursa: recompiling the policy after registration: %w", err)
		}
		a.policy.Store(p)
	}
	a.reg.Store(reg)
	return nil
}

func (a *Authorizer) compile(sources []Source, reg *engine.Registry) (*engine.Policy, error) {
	p, errs := engine.Load(sources, reg, &engine.LoadOptions{QueryOptions: *a.queryOptions(nil)})
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Load replaces the policy with the given sources (all files of one policy).
// The new policy is fully built before it replaces the old one; on error the
// old one stays.
func (a *Authorizer) Load(sources ...Source) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	srcs := slices.Clone(sources)
	p, err := a.compile(srcs, a.reg.Load())
	if err != nil {
		return err
	}
	a.sources = srcs
	a.policy.Store(p)
	return nil
}

// LoadString replaces the policy with src (name is used in messages).
func (a *Authorizer) LoadString(name, src string) error {
	return a.Load(Source{Name: name, Src: []byte(src)})
}

// LoadFiles replaces the policy with the given files.
func (a *Authorizer) LoadFiles(paths ...string) error {
	var srcs []Source
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("ursa: %w", err)
		}
		srcs = append(srcs, Source{Name: p, Src: b})
	}
	return a.Load(srcs...)
}

// LoadFS replaces the policy with the files of fsys matching the glob
// patterns (fs.Glob syntax; e.g. an embed.FS and "policy/*.polar"). A pattern
// matching no file is an error.
func (a *Authorizer) LoadFS(fsys fs.FS, patterns ...string) error {
	seen := map[string]bool{}
	var names []string
	for _, pat := range patterns {
		ms, err := fs.Glob(fsys, pat)
		if err != nil {
			return fmt.Errorf("ursa: %w", err)
		}
		if len(ms) == 0 {
			return fmt.Errorf("ursa: pattern %q matches no file", pat)
		}
		sort.Strings(ms)
		for _, m := range ms {
			if !seen[m] {
				seen[m] = true
				names = append(names, m)
			}
		}
	}
	var srcs []Source
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return fmt.Errorf("ursa: %w", err)
		}
		srcs = append(srcs, Source{Name: n, Src: b})
	}
	return a.Load(srcs...)
}

// Policy returns the current immutable policy snapshot (nil before a load).
func (a *Authorizer) Policy() *engine.Policy { return a.policy.Load() }

// Warnings returns the load warnings of the current policy (singleton
// variables, ambiguous and/or precedence, no allow rule, ...), each with
// file:line:col; nil before a load.
func (a *Authorizer) Warnings() []error {
	p := a.policy.Load()
	if p == nil {
		return nil
	}
	out := make([]error, len(p.Warnings))
	for i, w := range p.Warnings {
		out[i] = w
	}
	return out
}

// ClassName returns the Polar name under which Go type t (or the type it
// points to) is registered.
func (a *Authorizer) ClassName(t reflect.Type) (string, bool) {
	if t == nil {
		return "", false
	}
	c, ok := a.reg.Load().ClassOfType(t)
	if !ok {
		return "", false
	}
	return c.Name, true
}

func (a *Authorizer) current() (*engine.Policy, error) {
	p := a.policy.Load()
	if p == nil {
		return nil, ErrNoPolicy
	}
	return p, nil
}

// IsAllowed reports whether the policy's allow(actor, action, resource)
// succeeds. Any error (runtime error, limit, cancellation, no policy) means
// deny: it returns (false, err).
func (a *Authorizer) IsAllowed(ctx context.Context, actor, action, resource any) (bool, error) {
	p, err := a.current()
	if err != nil {
		return false, err
	}
	ok, err := p.Decide(ctx, a.queryOptions(nil), "allow", actor, action, resource)
	if err != nil {
		return false, err
	}
	return ok, nil
}

// Query parses src as a Polar query and streams its solutions lazily, in
// order; iteration stops when the consumer stops. Options override the
// Authorizer's for this query.
func (a *Authorizer) Query(ctx context.Context, src string, opts ...Option) iter.Seq2[Bindings, error] {
	p, err := a.current()
	if err != nil {
		return func(yield func(Bindings, error) bool) { yield(nil, err) }
	}
	return p.Query(ctx, a.queryOptions(opts), src)
}

// QueryRule runs rule name with args (Var("x") leaves an argument unbound)
// and streams the solutions lazily, in order.
func (a *Authorizer) QueryRule(ctx context.Context, name string, args ...any) iter.Seq2[Bindings, error] {
	p, err := a.current()
	if err != nil {
		return func(yield func(Bindings, error) bool) { yield(nil, err) }
	}
	return p.QueryRule(ctx, a.queryOptions(nil), name, args...)
}

// collect runs rule name with args where the argument at position varAt is
// an unbound variable, and returns the distinct string values it takes,
// sorted. A solution that leaves it unbound (a wildcard) is an error: the
// set cannot be enumerated.
func (a *Authorizer) collect(ctx context.Context, name string, args []any, varName string) ([]string, error) {
	p, err := a.current()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for b, err := range p.QueryRule(ctx, a.queryOptions(nil), name, args...) {
		if err != nil {
			return nil, err
		}
		switch v := b[varName].(type) {
		case string:
			seen[v] = true
		case Variable:
			return nil, fmt.Errorf("ursa: the policy's %s rule allows any %s (a wildcard); it cannot be enumerated", name, varName)
		default:
			// non-string values (e.g. a number) are not action/field names
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// AuthorizedActions returns the actions actor may perform on resource: the
// distinct string values of action for which allow(actor, action, resource)
// succeeds, sorted.
func (a *Authorizer) AuthorizedActions(ctx context.Context, actor, resource any) ([]string, error) {
	return a.collect(ctx, "allow", []any{actor, Var("action"), resource}, "action")
}

// AuthorizedFields returns the fields of resource actor may perform action
// on, from allow_field(actor, action, resource, field), sorted.
func (a *Authorizer) AuthorizedFields(ctx context.Context, actor, action, resource any) ([]string, error) {
	return a.collect(ctx, "allow_field", []any{actor, action, resource, Var("field")}, "field")
}
