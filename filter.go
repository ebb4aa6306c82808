package ursa

import (
	"context"

	"github.com/ursa-authz/ursa/partial"
)

// Filter returns which resources of the Polar class resourceType actor may
// perform action on: the residual of allow(actor, action, resource) with the
// resource unknown, as a partial.Filter (an OR of ANDs of conditions on the
// resource's fields and relations, with EXISTS, negation and recursive
// predicates). Backends compile it (sqlgen, gormfilter) or evaluate it in
// memory (partial.Match).
//
// A policy construct a filter cannot express exactly (a method call or
// arithmetic on the resource, cut while the resource is unknown, ...) is an
// error wrapping partial.ErrUnsupported that names the policy line; the
// filter is never wider than the policy.
func (a *Authorizer) Filter(ctx context.Context, actor any, action string, resourceType string) (*partial.Filter, error) {
	p, err := a.current()
	if err != nil {
		return nil, err
	}
	return partial.Eval(ctx, p, actor, action, resourceType)
}
