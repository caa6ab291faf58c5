#!/usr/bin/env bash
# A base shape's init tuned with the lr at the base (issue 28; design
# bench/results/transfer_init_design_20261206T0535Z.md): for every init_std in INITS and seed in
# SEEDS, experiments/transfer_mup/$GRID.yaml (base_mup: muP's width 32, seven peak lrs;
# base_completep: the DeepNarrow/Kaplan quick studies' CompleteP base, six) by one
# bench/transfer_mup.sh call each (TAG=base_init<std>, its record in bench/results/), two calls
# side by side (one thread each; the runs of a finished call are reused on a rerun), then
# bench/transfer_init_choice.py over this call's records picks the init.
#
# Usage: SCALELAB_DATA=/work/datasets bench/transfer_base_init.sh
#   (GRID=base_mup INITS="0.02 0.05 0.1 0.2 0.4" SEEDS="1 2 3 4" TOKENS=: the grid file's, or
#    e.g. 4e5; PARALLEL=2; the summary JSON goes to bench/results/transfer_init_choice_<UTC>.json)
set -uo pipefail
cd "$(dirname "$0")/.."
GRID="${GRID:-base_mup}"
INITS="${INITS:-0.02 0.05 0.1 0.2 0.4}"
SEEDS="${SEEDS:-1 2 3 4}"
PARALLEL="${PARALLEL:-2}"
export TOKENS="${TOKENS:-}"
listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
points=()
for std in $INITS; do for seed in $SEEDS; do points+=("$std $seed"); done; done
echo "transfer_base_init.sh: ${#points[@]} $GRID grids (inits: $INITS; seeds: $SEEDS; tokens: ${TOKENS:-as in the file})"
started=$(date +%s); done_count=0
run_point() {  # std seed -> the record's path on stdout
  SEED="$2" TAG="base_init$1" SET="model.init_std=$1" GRIDS="$GRID" bench/transfer_mup.sh |
    sed -n 's/^wrote //p'
}
for point in "${points[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$PARALLEL" ]; do wait -n; done
  run_point $point >> "$listing" &
  done_count=$((done_count + 1))
  elapsed=$(( $(date +%s) - started ))
  echo "  started $done_count/${#points[@]} (init_std, seed = $point) after ${elapsed}s"
done
wait
mapfile -t records < "$listing"
[ "${#records[@]}" -eq "${#points[@]}" ] || { echo "transfer_base_init.sh: ${#records[@]} of ${#points[@]} records written" >&2; exit 1; }
python3 bench/transfer_init_choice.py "${records[@]}" \
  --json "bench/results/transfer_init_choice_$(date -u +%Y%m%dT%H%M%SZ)_$GRID${TOKENS:+_tokens$TOKENS}.json"
