package bench

import (
	"context"
	"embed"
	"fmt"
)

//go:embed policies
var policyFS embed.FS

// Policy returns the source of a policy file in policies/ (e.g. "docs.rego").
func Policy(name string) string {
	b, err := policyFS.ReadFile("policies/" + name)
	if err != nil {
		panic(err) // embedded at build time: a missing file is a programming error
	}
	return string(b)
}

// Policies are the policy names every engine implements.
var Policies = []string{"docs", "gitclub"}

// ResourceKind is the resource type each policy's filter benchmark lists.
func ResourceKind(policy string) string {
	if policy == "docs" {
		return "Document"
	}
	return "Repo"
}

// Decider answers decisions with one engine on one policy.
type Decider interface {
	// Prepare converts a request to whatever the engine takes as input. It
	// is not timed: OPA and cedar-go get their input prepared in advance
	// (an ast.Value, an entity store), Ursa and oso take the Go values.
	Prepare(r Request) (any, error)
	// Decide answers a prepared request.
	Decide(ctx context.Context, prepared any) (bool, error)
}

// Filterer builds, with one engine on one policy, the query that lists the
// resources an actor may act on.
type Filterer interface {
	// PrepareActor converts the actor as Prepare does for decisions.
	PrepareActor(u *User) (any, error)
	// Filter produces the engine's filter for a prepared actor and an
	// action on the policy's resource kind: a SQL query, or for cedar-go a
	// residual policy set.
	Filter(ctx context.Context, actor any, action string) (Filtered, error)
}

// Filtered is an engine's filter result. AllowedIDs applies it to the
// fixture (running SQL in Postgres, or evaluating a residual in memory) so
// that its rows can be compared with the decisions.
type Filtered interface {
	AllowedIDs(ctx context.Context, env *CheckEnv) ([]int64, error)
	String() string
}

// Engine is one engine's constructors. Missing constructors (nil) mean the
// engine has no such API.
type Engine struct {
	Name       string
	NewDecider func(f *Fixture, policy string) (Decider, error)
	NewFilter  func(f *Fixture, policy string) (Filterer, error)
	// FilterNote says what the filter benchmark of this engine produces
	// when it is not a SQL query.
	FilterNote string
}

var engines []Engine

func register(e Engine) { engines = append(engines, e) }

// Engines lists the engines compiled into this build, Ursa first. (oso is
// present only when cgo is enabled.)
func Engines() []Engine {
	order := map[string]int{"ursa": 0, "ursa-uncached": 1, "cedar": 2, "cedar-fromgo": 3,
		"opa": 4, "opa-fromgo": 5, "opa-perrequest": 6, "oso": 7}
	out := append([]Engine(nil), engines...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && order[out[j].Name] < order[out[j-1].Name]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func unknownPolicy(engine, policy string) error {
	return fmt.Errorf("%s: no policy %q", engine, policy)
}
