#!/usr/bin/env bash
# The power analyses that chose the demo's design (experiments/demo/design/README.md): the dry run
# of each candidate and of the chosen study, one after the other; raw output to
# bench/results/demo_design_<UTC>.txt. Needs the kjv-byte dataset under $SCALELAB_DATA (make demo
# prepares it). The dry run's time estimates depend on the machine's load when it calibrates.
#   bash bench/demo_design.sh [BIN]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-build/scalelab}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
out="bench/results/demo_design_$(date -u +%Y%m%dT%H%M%SZ).txt"
for f in experiments/demo/design/*.yaml experiments/demo/study.yaml; do
  {
    echo "== $f ($BIN study $f --dry-run)"
    "$BIN" study "$f" --dry-run 2>&1 | grep -v '^c[0-9]' | grep -v '^warning: c'
  } >> "$out"
done
echo "$out"
