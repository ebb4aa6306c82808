package ursa

import (
	"context"
	"errors"
	"log/slog"

	"github.com/ursa-authz/ursa/engine"
	"github.com/ursa-authz/ursa/engine/loader"
)

// DecisionLog is an Authorizer whose decisions are logged through log/slog,
// for audit. Every IsAllowed and Authorize call writes one record:
//
//	msg "authorization decision", actor, action, resource (in Polar syntax; a string action as it is),
//	result ("allow" or "deny"), rules (the allow rules that succeeded, as
//	"file:line: rule"), policy (the policy version), and error when the
//	decision failed (it is then a deny).
//
// Decisions are at level Info, failed decisions at Warn. Finding the rules
// that decided re-runs each allow rule on its own (see Explain), so an allowed
// decision costs about twice as much while the log is on. All other methods
// are the Authorizer's.
type DecisionLog struct {
	*Authorizer
	Logger *slog.Logger
}

// WithDecisionLog returns a view of a whose decisions are logged to l (nil:
// slog.Default()).
func (a *Authorizer) WithDecisionLog(l *slog.Logger) *DecisionLog {
	if l == nil {
		l = slog.Default()
	}
	return &DecisionLog{Authorizer: a, Logger: l}
}

// IsAllowed is Authorizer.IsAllowed, logged.
func (d *DecisionLog) IsAllowed(ctx context.Context, actor, action, resource any) (bool, error) {
	ok, err := d.Authorizer.IsAllowed(ctx, actor, action, resource)
	d.log(ctx, actor, action, resource, ok, err)
	return ok, err
}

// Authorize is Authorizer.Authorize, logged (a denial is logged as deny
// whether it is ErrNotFound or ErrForbidden).
func (d *DecisionLog) Authorize(ctx context.Context, actor any, action string, resource any) error {
	err := d.Authorizer.Authorize(ctx, actor, action, resource)
	var ae *AuthorizationError
	switch {
	case err == nil:
		d.log(ctx, actor, action, resource, true, nil)
	case errors.As(err, &ae):
		d.log(ctx, actor, action, resource, false, nil)
	default:
		d.log(ctx, actor, action, resource, false, err)
	}
	return err
}

func (d *DecisionLog) log(ctx context.Context, actor, action, resource any, ok bool, err error) {
	level := slog.LevelInfo
	if err != nil {
		level = slog.LevelWarn
	}
	if !d.Logger.Enabled(ctx, level) {
		return
	}
	result := "deny"
	if ok {
		result = "allow"
	}
	attrs := []slog.Attr{
		slog.String("actor", engine.FormatValue(actor)),
		slog.String("action", actionString(action)),
		slog.String("resource", engine.FormatValue(resource)),
		slog.String("result", result),
	}
	p := d.Policy()
	if ok && p != nil {
		attrs = append(attrs, slog.Any("rules", decidingRules(ctx, p, d.queryOptions(nil), actor, action, resource)))
	}
	if p != nil {
		attrs = append(attrs, slog.Uint64("policy", p.Version()))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", firstLine(err)))
	}
	d.Logger.LogAttrs(ctx, level, "authorization decision", attrs...)
}

// decidingRules lists the allow rules that succeed on their own for the
// arguments, as "file:line: rule".
func decidingRules(ctx context.Context, p *engine.Policy, opts *engine.QueryOptions, args ...any) []string {
	d, err := derive(p)
	if err != nil {
		return nil
	}
	x := &explainer{ctx: ctx, d: d, opts: opts}
	out := []string{}
	for _, rc := range d.byPred[loader.Key("allow", len(args))] {
		if _, ok, err := x.run(rc.plain[len(rc.goals)], args); err == nil && ok {
			n := x.node(rc, args)
			s := n.Pos.String() + ": " + n.Rule
			if len(out) == 0 || out[len(out)-1] != s { // branches of one rule
				out = append(out, s)
			}
		}
	}
	return out
}

// actionString is a string action as it is, anything else in Polar syntax.
func actionString(a any) string {
	if s, ok := a.(string); ok {
		return s
	}
	return engine.FormatValue(a)
}
