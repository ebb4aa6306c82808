package bench

import (
	"context"
	"testing"

	"github.com/ursa-authz/ursa/partial"
	"github.com/ursa-authz/ursa/sqlgen"
)

// BenchmarkUrsaFilterStages splits Ursa's filter benchmark into its stages,
// for whoever optimises them (run.sh does not run it):
//
//	go test -run '^$' -bench UrsaFilterStages -benchmem
//
// eval=uncached is partial.Query, eval=cached is Authorizer.Filter on a
// cache hit, sqlgen is sqlgen.Select for Postgres on the filter.
func BenchmarkUrsaFilterStages(b *testing.B) {
	ctx := context.Background()
	for _, policy := range Policies {
		a, err := NewUrsaAuthorizer(policy)
		if err != nil {
			b.Fatal(err)
		}
		kind, actor, schema := ResourceKind(policy), filterActor(), UrsaSchema()
		f, err := a.Filter(ctx, actor, "read", kind)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("policy="+policy+"/stage=eval-uncached", func(b *testing.B) {
			loop(b, func(int) error {
				_, err := partial.Query(ctx, a.Policy(), "allow", actor, "read", partial.Unknown{Type: kind})
				return err
			})
		})
		b.Run("policy="+policy+"/stage=eval-cached", func(b *testing.B) {
			loop(b, func(int) error {
				_, err := a.Filter(ctx, actor, "read", kind)
				return err
			})
		})
		b.Run("policy="+policy+"/stage=sqlgen", func(b *testing.B) {
			loop(b, func(int) error {
				_, _, err := sqlgen.Select(f, schema, sqlgen.Postgres)
				return err
			})
		})
	}
}
