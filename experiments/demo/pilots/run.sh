#!/usr/bin/env bash
# One noise pilot of experiments/demo/NOISE.md: its sweep (runs/demo/pilots/PILOT), then each
# branch's final weights evaluated again on every validation window (runs/demo/pilots/evalall/
# PILOT: a one-step continuation at lr 1e-30, which no fp32 weight feels; with the demo's 256
# windows it reproduces the run's own loss exactly), then collect.py into
# bench/results/noise_PILOT_<UTC>.json. Idempotent: finished runs and evaluations are kept.
#   bash experiments/demo/pilots/run.sh PILOT [BIN] [JOBS]
# PILOT (each changes one thing of base.yaml, the demo's recipe):
#   base          the demo's recipe: 1024 tokens a step, cooldown over the last 20% to 0.1x
#   decay0        the cooldown ends at 0 instead of 0.1x the peak lr
#   cooldown40    the cooldown spans the last 40%;  cooldown40_0: and ends at 0
#   batch16       2048 tokens a step (lr x sqrt 2);  batch4: 512 tokens a step (lr / sqrt 2)
#   init          the data order fixed (train.data_seed 1000), the initial weights varied
#   data_order    the initial weights fixed (train.seed 1000), the data order varied
#   confirm       the recommended recipe (confirm.yaml), 16 seeds: the demo's noise model
set -euo pipefail
cd "$(dirname "$0")/../../.."
pilot="${1:?usage: run.sh PILOT [BIN] [JOBS] (pilots: see the header of this file)}"
BIN="${2:-build/scalelab}"
JOBS="${3:-2}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
dir=experiments/demo/pilots
sets=()
case "$pilot" in
  base | cooldown40 | batch16 | batch4 | data_order | confirm) file="$dir/$pilot.yaml" ;;
  decay0) file="$dir/base.yaml"; sets=(--set optim.min_lr=0) ;;
  cooldown40_0) file="$dir/cooldown40.yaml"; sets=(--set optim.min_lr=0) ;;
  init) file="$dir/base.yaml"; sets=(--set train.data_seed=1000) ;;
  *) echo "run.sh: unknown pilot '$pilot' (see the header of $0)" >&2; exit 2 ;;
esac
runs="runs/demo/pilots/$pilot"
evals="runs/demo/pilots/evalall/$pilot"
mkdir -p "$runs" "$evals"

# The batch pilots' lr: the tuned law's c (and each tuned size's lr) x sqrt(batch / 8), the
# square-root rule for Adam (Malladi et al. 2022). confirm is batch4's recipe.
if [[ "$pilot" == batch* || "$pilot" == confirm ]]; then
  python3 - "${pilot/confirm/batch4}" <<'EOF'
import json, math, sys
pilot = sys.argv[1]
scale = math.sqrt(int(pilot[len("batch"):]) / 8)
h = json.load(open("experiments/tune/quick_hparams.json"))
h["laws"]["lr_opt"]["c"] *= scale
for s in h["sizes"] + h["curves"]:
    s["lr_opt"] *= scale
h["notes"].append(f"noise pilot {pilot}: c and every lr_opt x {scale:.4f} (sqrt rule for Adam)")
json.dump(h, open(f"runs/demo/pilots/hparams_{pilot}.json", "w"), indent=1)
EOF
fi

# confirm's seeds 1-8 are batch4's runs, config for config: copied rather than trained again.
if [ "$pilot" = confirm ] && [ -d runs/demo/pilots/batch4 ]; then
  for run in runs/demo/pilots/batch4/*-s[1-8] runs/demo/pilots/batch4/*-s[1-8]-trunk; do
    [ -f "$run/summary.json" ] && [ ! -e "$runs/$(basename "$run")" ] && cp -r "$run" "$runs/"
  done
fi

echo "[pilot] $pilot: $BIN sweep $file ${sets[*]} --out-root $runs --jobs $JOBS" >&2
"$BIN" sweep "$file" "${sets[@]}" --out-root "$runs" --jobs "$JOBS"

# Every branch (not the trunks) on all 1683 validation windows (eval.n_batches is capped there).
evaluate() {
  local run=$1 out=$2
  [ -f "$out/summary.json" ] && return 0
  rm -rf "$out"
  "$BIN" train "$run/config.yaml" --init-from "$run" --out "$out" --set train.steps=1 \
    --set train.tokens=0 --set train.flops=0 --set optim.lr=1e-30 --set optim.min_lr=0 \
    --set schedule.warmup_steps=0 --set eval.n_batches=1000 --set eval.batch_size=8 \
    --set train.threads=1 > /dev/null 2>&1 || { echo "[pilot] evaluation of $run failed" >&2; return 1; }
}
export -f evaluate
export BIN
echo "[pilot] evaluating each branch on all validation windows into $evals" >&2
for run in "$runs"/*/; do
  name=$(basename "$run")
  [[ "$name" == *-trunk ]] || echo "$run $evals/$name"
done | xargs -P "$JOBS" -n 2 bash -c 'evaluate "$0" "$1"'

stamp=$(date -u +%Y%m%dT%H%M%SZ)
python3 "$dir/collect.py" --pilot "$pilot" --runs "$runs" --evalall "$evals" \
  --sweep "$file ${sets[*]}" --command "bash $dir/run.sh $pilot $BIN $JOBS" \
  --out "bench/results/noise_${pilot}_${stamp}.json"
