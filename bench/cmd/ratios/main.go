// Command ratios reads `go test -bench` output of the bench package and
// prints, as a Markdown table, the median time per operation of every engine
// for each benchmark and policy, and the ratio Ursa/peer (below 1 means Ursa
// is faster), followed by the project's two goals checked against the medians.
// It does so for the wall-clock time (sec/op) and for the process CPU time
// the benchmarks report (cpu-ns/op, read as cpu-sec/op), which a busy
// machine distorts less.
//
//	go run ./cmd/ratios -in results/bench.txt
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"golang.org/x/perf/benchfmt"
)

var engineOrder = []string{"ursa", "ursa-uncached", "cedar", "cedar-fromgo", "opa", "opa-fromgo", "opa-perrequest", "oso"}

// isUrsa reports whether an engine is a variant of Ursa (ursa, ursa-uncached).
func isUrsa(e string) bool { return e == "ursa" || strings.HasPrefix(e, "ursa-") }

func main() {
	in := flag.String("in", "results/bench.txt", "benchmark output")
	flag.Parse()
	if err := run(*in); err != nil {
		fmt.Fprintln(os.Stderr, "ratios:", err)
		os.Exit(1)
	}
}

type key struct{ bench, policy string }

func run(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	samples := map[string]map[key]map[string][]float64{} // unit -> key -> engine -> seconds
	r := benchfmt.NewReader(f, path)
	for r.Scan() {
		res, ok := r.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		base, parts := res.Name.Parts()
		k := key{bench: strings.TrimPrefix(string(base), "Benchmark")}
		engine := ""
		for _, p := range parts {
			s := strings.TrimPrefix(string(p), "/")
			if v, ok := strings.CutPrefix(s, "policy="); ok {
				k.policy = v
			}
			if v, ok := strings.CutPrefix(s, "engine="); ok {
				engine = v
			}
		}
		if engine == "" {
			continue
		}
		for _, u := range units {
			v, ok := res.Value(u.unit)
			if !ok {
				continue
			}
			if samples[u.unit] == nil {
				samples[u.unit] = map[key]map[string][]float64{}
			}
			if samples[u.unit][k] == nil {
				samples[u.unit][k] = map[string][]float64{}
			}
			samples[u.unit][k][engine] = append(samples[u.unit][k][engine], v*u.scale)
		}
	}
	if err := r.Err(); err != nil {
		return err
	}
	if len(samples) == 0 {
		return fmt.Errorf("no bench results in %s", path)
	}
	for _, u := range units {
		if samples[u.unit] != nil {
			table(u.title, samples[u.unit])
		}
	}
	return nil
}

var units = []struct {
	unit, title string
	scale       float64 // to seconds
}{
	{"sec/op", "Wall-clock time per operation", 1},
	// benchfmt normalises the reported cpu-ns/op to cpu-sec/op.
	{"cpu-sec/op", "Process CPU time per operation", 1},
}

func table(title string, samples map[key]map[string][]float64) {
	var keys []key
	for k := range samples {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].bench != keys[j].bench {
			return keys[i].bench < keys[j].bench
		}
		return keys[i].policy < keys[j].policy
	})
	var engines []string
	for _, e := range engineOrder {
		for _, k := range keys {
			if _, ok := samples[k][e]; ok {
				engines = append(engines, e)
				break
			}
		}
	}
	peers := slices.DeleteFunc(slices.Clone(engines), isUrsa)
	ursas := slices.DeleteFunc(slices.Clone(engines), func(e string) bool { return !isUrsa(e) })

	med := map[key]map[string]float64{}
	fmt.Printf("%s: median over the runs (n):\n\n", title)
	header := append([]string{"benchmark", "policy"}, engines...)
	fmt.Println("| " + strings.Join(header, " | ") + " |")
	fmt.Println("|" + strings.Repeat("---|", len(header)))
	for _, k := range keys {
		med[k] = map[string]float64{}
		row := []string{k.bench, k.policy}
		for _, e := range engines {
			if s := samples[k][e]; len(s) > 0 {
				med[k][e] = median(s)
				row = append(row, fmt.Sprintf("%s (%d)", dur(med[k][e]), len(s)))
			} else {
				row = append(row, "—")
			}
		}
		fmt.Println("| " + strings.Join(row, " | ") + " |")
	}

	fmt.Printf("\nUrsa's median divided by each peer's (below 1: Ursa is faster):\n\n")
	header = append([]string{"benchmark", "policy", "Ursa"}, peers...)
	fmt.Println("| " + strings.Join(header, " | ") + " |")
	fmt.Println("|" + strings.Repeat("---|", len(header)))
	var goals []string
	for _, k := range keys {
		for _, u := range ursas {
			um, ok := med[k][u]
			if !ok {
				continue
			}
			row := []string{k.bench, k.policy, u}
			for _, p := range peers {
				if pm, ok := med[k][p]; ok {
					row = append(row, fmt.Sprintf("%.3g×", um/pm))
				} else {
					row = append(row, "—")
				}
			}
			fmt.Println("| " + strings.Join(row, " | ") + " |")
			switch k.bench {
			case "Decision":
				if c, ok := med[k]["cedar"]; ok {
					goals = append(goals, fmt.Sprintf("- Decision %s, %s at or below cedar-go: %s (%s/cedar = %.3g)", k.policy, u, verdict(um <= c), u, um/c))
				}
			case "Filter":
				if o, ok := med[k]["opa"]; ok {
					goals = append(goals, fmt.Sprintf("- Filter %s, %s at least 10× faster than OPA's compile API: %s (opa/%s = %.3g)", k.policy, u, verdict(o >= 10*um), u, o/um))
				}
			}
		}
		if len(med[k]) > 0 && !slices.ContainsFunc(ursas, func(u string) bool { _, ok := med[k][u]; return ok }) {
			goals = append(goals, fmt.Sprintf("- %s %s: no Ursa result", k.bench, k.policy))
		}
	}
	fmt.Println()
	fmt.Println("Goals (" + strings.ToLower(title) + "):")
	fmt.Println(strings.Join(goals, "\n"))
	fmt.Println()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func dur(sec float64) string {
	switch {
	case sec >= 1e-3:
		return fmt.Sprintf("%.3g ms", sec*1e3)
	case sec >= 1e-6:
		return fmt.Sprintf("%.3g µs", sec*1e6)
	}
	return fmt.Sprintf("%.3g ns", sec*1e9)
}
