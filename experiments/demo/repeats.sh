#!/usr/bin/env bash
# The demo study repeated under several base seeds (issue 25: "three estimates each inside the
# other two's intervals"; "the dry run's predicted spread against the observed spread of a over at
# least five repeats"). Each base seed is a whole study: every run's train.seed = base + its seed
# index, so the repeats share no run. Then experiments/demo/repeats.py compares them and writes
# bench/results/demo_repeats_<UTC>.json.
#   bash experiments/demo/repeats.sh [BIN] [JOBS] [BASE_SEED...]   (default: 1337 2000 3000 4000 5000)
# About 5x the demo's training time; interrupted and rerun, it resumes (each study resumes).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-build/scalelab}"
JOBS="${2:-2}"
shift 2 2>/dev/null || shift $#
seeds=("$@")
[ ${#seeds[@]} -gt 0 ] || seeds=(1337 2000 3000 4000 5000)
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
STUDY=experiments/demo/study.yaml
ROOT="${ROOT:-runs/demo/repeats}"
mkdir -p "$ROOT"
# The prediction first, from the same file: the dry run's power analysis.
[ -s "$ROOT/dry_run.txt" ] || "$BIN" study "$STUDY" --dry-run --no-measure --out-root "$ROOT/dry" \
  > "$ROOT/dry_run.txt" 2>&1
for seed in "${seeds[@]}"; do
  echo "[repeats] base seed $seed -> $ROOT/seed$seed" >&2
  "$BIN" study "$STUDY" --set train.seed="$seed" --out-root "$ROOT/seed$seed" --jobs "$JOBS" \
    > "$ROOT/seed$seed.log" 2>&1 || echo "[repeats] base seed $seed: study failed (see $ROOT/seed$seed.log)" >&2
done
python3 experiments/demo/repeats.py "$ROOT" "${seeds[@]}"
