#!/usr/bin/env bash
# Times approach 3 (4,500 starts and VarPro, side by side) and 1000 bootstrap resamples on the 240
# published Chinchilla points;
# writes bench/results/fit_<host>_<date>.json. Usage: bash bench/bench_fit.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
csv="$root/tests/data/chinchilla_fig4_epoch.csv"  # in-repo copy (tests/data/README.md)
cmake --build "$build" -j1 --target bench_fit >&2
out="$root/bench/results/fit_$(hostname)_$(date +%Y%m%d_%H%M%S).json"
"$build/bench_fit" "$csv" --bootstrap 1000 --repeat 3 > "$out"
echo "$out"
cat "$out"
