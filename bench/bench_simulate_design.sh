#!/usr/bin/env bash
# The power analysis on a demo-like design: simulate_design's spread of a, interval coverage and
# wall time (200 repeats, 200 bootstrap resamples, 2 threads), with approach 2's coverage under
# two other bootstraps on the same studies. Writes bench/results/simulate_design_<UTC>.json.
# Usage: bash bench/bench_simulate_design.sh [BUILD_DIR] [extra bench_simulate_design args]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
shift || true
cmake --build "$build" -j1 --target bench_simulate_design >&2
out="$root/bench/results/simulate_design_$(date -u +%Y%m%dT%H%M%SZ).json"
"$build/bench_simulate_design" "$@" | python3 -c '
import json, sys
j = json.load(sys.stdin)
j["command"] = sys.argv[1]
print(json.dumps(j, indent=2))' "bash bench/bench_simulate_design.sh $*" > "$out"
echo "$out"
cat "$out"
