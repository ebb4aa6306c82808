#!/usr/bin/env bash
# Runs the engine comparison in one go, on this machine:
#   1. the agreement tests (every engine answers every fixed request like the
#      reference, and every filter returns exactly the allowed rows in Postgres);
#   2. the benchmarks, COUNT rounds of `-count 1` each, so that every engine
#      is measured in every round and a burst of load elsewhere on the machine
#      hits all engines alike instead of the runs of one engine;
#   3. benchstat with the engines side by side, and the Ursa/peer ratios.
#
# Environment: COUNT (default 6), BENCHTIME (default 1s), BENCH (benchmark
# regexp, default the engine comparison: ^Benchmark(Decision|Filter)$),
# OUT (results folder, default results),
# DATABASE_URL (Postgres for the filter checks; default the local test db),
# REV (a git revision: measure a clean export of that commit instead of the
# working tree, e.g. REV=HEAD while others are editing the tree; results are
# still written to this folder's OUT), NICE (run the benchmark binary under
# `nice -n $NICE`, e.g. -5 as root, to be scheduled ahead of other work on a
# busy machine).
# oso needs cgo (gcc); with CGO_ENABLED=0 it is left out.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:$PATH"

OUT=${OUT:-results}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if [[ -n "${REV:-}" ]]; then
	rev=$(git rev-parse --short "$REV")
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	git -C .. archive "$rev" | tar -x -C "$tmp"
	echo "== measuring commit $rev (clean export in $tmp)"
	echo "$rev" >"$OUT/rev"
	cd "$tmp/bench"
else
	echo "working tree at $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- .. || echo ' + uncommitted changes')" >"$OUT/rev"
fi

COUNT=${COUNT:-6}
BENCHTIME=${BENCHTIME:-1s}
BENCH=${BENCH:-'^Benchmark(Decision|Filter)$'}

echo "== agreement checks"
URSA_REQUIRE_DB=1 go test -count=1 .

echo "== benchmarks: $COUNT rounds, -benchtime $BENCHTIME"
go test -c -o "$OUT/bench.test" .
raw="$OUT/bench.txt"
: >"$raw"
for ((i = 1; i <= COUNT; i++)); do
	echo "-- round $i/$COUNT" >&2
	echo "# round $i load average: $(cut -d" " -f1-3 /proc/loadavg)" >>"$raw"
	nice -n "${NICE:-0}" "$OUT/bench.test" -test.run '^$' -test.bench "$BENCH" -test.benchmem \
		-test.benchtime "$BENCHTIME" -test.count 1 | tee -a "$raw"
done

{
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), Ursa $(cat "$OUT/rev"), $(go version), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
	echo "# load average per round: $(grep -o "load average: .*" "$raw" | cut -d: -f2 | paste -sd, -)"
	echo
	go tool benchstat -col '/engine@(ursa ursa-uncached cedar cedar-fromgo opa opa-fromgo opa-perrequest oso)' "$raw"
	echo
	go run ./cmd/ratios -in "$raw"
} | tee "$OUT/summary.txt"
