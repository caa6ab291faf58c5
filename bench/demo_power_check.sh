#!/usr/bin/env bash
# The demo's power analysis rerun from what the study measured (issue 25: the dry run's predicted
# spread against the observed spread over repeats). The study file's prior is the law fitted to the
# previous demo; here the prior and the noise model are one repeat's own fit (approach 3's E, A, B,
# alpha, beta and its pooled noise model from fits.json), so the simulation's spread of a can be set
# against the repeats' observed spread under the law the data actually follow.
#   bash bench/demo_power_check.sh BIN REPEAT_ROOT      (e.g. runs/demo/repeats/seed1337)
# Prints the dry run's power analysis; raw output to bench/results/demo_power_check_<UTC>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$1"; ROOT="$2"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
study=experiments/demo/.power_check.yaml
trap 'rm -f "$study"' EXIT
python3 - "$ROOT/fits.json" > "$study" <<'PY'
import json, re, sys
law = json.load(open(sys.argv[1]))["laws"]["chinchilla_approach3"]
p = {k: v["value"] for k, v in law["params"].items()}
n = law["procedure"]["noise"]
text = open("experiments/demo/study.yaml").read()
block = (f"  power:\n    prior: {{law: chinchilla, E: {p['E']:.6g}, A: {p['A']:.6g}, alpha: {p['alpha']:.6g}, "
         f"B: {p['B']:.6g}, beta: {p['beta']:.6g}}}\n"
         f"    noise: {{sd_coef: {n['sd_coef']:.6g}, sd_exponent: {n['sd_exponent']:.6g}, "
         f"trunk_correlation: {n['trunk_correlation']:.6g}}}\n    repeats: 200\n")
print(re.sub(r"  power:\n(?:    .*\n|\s*#.*\n)*", block, text))
PY
out="bench/results/demo_power_check_$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "== prior and noise from $ROOT/fits.json (approach 3): $BIN study <study.yaml with that power block> --dry-run --no-measure"
  grep -A3 "^  power:" "$study"
  "$BIN" study "$study" --dry-run --no-measure 2>&1 | grep -A4 "^power analysis"
} | tee "$out"
echo "raw: $out"
