#!/usr/bin/env bash
# The Porian et al. 2024 (Fig. 1) study at CPU scale, one command: the per-size lr tune, then the
# same IsoFLOP grid under each of the five steps, an approach-2 fit of N_opt ~ C^a per step (95%
# bootstrap interval), and a table beside Porian's published exponents. Idempotent: finished runs
# are skipped, so a rerun only refits.
#   bash experiments/porian/run.sh [BUILD_DIR] [JOBS] [quick|gpu]
# gpu: the step files of gpu/ (mix-bpe, the Chinchilla GPU grid) on one GPU, after
# experiments/tune/gpu.yaml; make the mix-bpe dataset first (experiments/chinchilla/README.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${1:-build}/scalelab"
JOBS="${2:-2}"
SCALE="${3:-quick}"
BOOTSTRAP="${BOOTSTRAP:-500}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
case "$SCALE" in
  quick) files=experiments/porian; tune=experiments/tune/quick.yaml; run=(--jobs "$JOBS") ;;
  gpu) files=experiments/porian/gpu; tune=experiments/tune/gpu.yaml; run=(--gpus 0) ;;
  *) echo "run.sh: scale must be quick or gpu, not '$SCALE'" >&2; exit 2 ;;
esac
out=reports/porian-$SCALE
mkdir -p "$out"
say() { echo "[porian] $*" >&2; }
start=$(date +%s)

if [ "$SCALE" = quick ] && [ ! -f "$SCALELAB_DATA/kjv-byte/manifest.json" ]; then
  "$BIN" prepare --input "$(data/corpora/fetch.sh kjv | tail -1)" --out "$SCALELAB_DATA/kjv-byte" --tokenizer byte
fi
say "0/5 lr per size: scalelab tune $tune"
"$BIN" tune "$tune" "${run[@]}" > "$out/tune.txt"
steps=(1_kaplan 2_flops 3_warmup 4_cosine 5_tuned)
for step in "${steps[@]}"; do
  say "step $step"
  "$BIN" sweep "$files/$step.yaml" "${run[@]}"
  mkdir -p "$out/$step"
  # Step 1 counts as Kaplan did: non-embedding N, C = 6ND. The others count the last layer.
  if [ "$step" = 1_kaplan ]; then count=(--params non-embedding --flop-convention 6n)
  else count=(--params total --flop-convention chinchilla); fi
  # A step whose budgets lack interior minima cannot be fitted: the table says so, with the reason.
  rm -f "$out/$step/fits.json"
  "$BIN" fit "runs/porian/$SCALE/$step" --law approach2 "${count[@]}" --bootstrap "$BOOTSTRAP" \
    --seed 0 --out "$out/$step" > "$out/$step/fit.txt" 2>&1 || tail -1 "$out/$step/fit.txt" >&2
done
elapsed=$(( $(date +%s) - start ))
python3 experiments/porian/table.py "$out" "$elapsed" | tee "$out/table.md"
