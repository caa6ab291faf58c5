#!/usr/bin/env bash
# The main job (`make demo`): a real scaling study end to end. Fetches the King James Bible from
# Debian's packages, prepares it byte-level, trains an IsoFLOP grid (CPU: experiments/demo/quick.yaml,
# five budgets over 33x, branched, lr per size from the committed tune law; a GPU machine:
# experiments/chinchilla/gpu.yaml), fits every law with bootstrap intervals, writes the report,
# and prints where it is and its headline findings.
# Interrupted and rerun, it picks up where it stopped: finished runs are skipped, interrupted ones
# resume from their checkpoints, the dataset is kept.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-build/scalelab}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
BOOTSTRAP="${BOOTSTRAP:-500}"
say() { echo "[demo] $*" >&2; }
start=$(date +%s)

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  scale=gpu
  gpus=$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)
  sweep_args=(--gpus "$gpus")
else
  scale=quick
  sweep_args=(--jobs "$(nproc)")
fi
if [ "$scale" = gpu ]; then sweep=experiments/chinchilla/gpu.yaml; runs=runs/chinchilla/gpu
else sweep=experiments/demo/quick.yaml; runs=runs/demo/quick; fi
report="reports/demo-$scale"
say "scale: $scale ($sweep), runs in $runs, report in $report"

say "1/4 corpus and dataset"
kjv=$(data/corpora/fetch.sh kjv | tail -1)
if [ ! -f "$SCALELAB_DATA/kjv-byte/manifest.json" ]; then
  "$BIN" prepare --input "$kjv" --out "$SCALELAB_DATA/kjv-byte" --tokenizer byte
fi
if [ "$scale" = gpu ] && [ ! -f "$SCALELAB_DATA/mix-bpe/manifest.json" ]; then
  # Every local corpus under one 4096-entry BPE (experiments/kaplan/README.md), as gpu.yaml expects.
  corpora=()
  for name in kjv python go gcide; do corpora+=("$(data/corpora/fetch.sh "$name" | tail -1)"); done
  "$BIN" prepare --input "${corpora[0]}" "${corpora[1]}" "${corpora[2]}" "${corpora[3]}/gcide.jsonl" \
    --jsonl-field text --include '*.txt' --include '*.py' --include '*.go' \
    --out "$SCALELAB_DATA/mix-bpe" --tokenizer bpe --vocab-size 4096
fi

if [ "$scale" = quick ]; then
  say "lr per size: the law in experiments/tune/quick_hparams.json, written by"
  say "  \`scalelab tune experiments/tune/quick.yaml\` (rerun it to remeasure: runs/tune/quick/hparams.json)"
fi
say "2/4 training the IsoFLOP grid (progress below; rerun to resume)"
"$BIN" sweep "$sweep" --out-root "$runs" "${sweep_args[@]}"

say "3/4 fitting (bootstrap $BOOTSTRAP)"
mkdir -p "$report"
"$BIN" fit "$runs" --flop-convention chinchilla --law all --bootstrap "$BOOTSTRAP" --seed 0 --out "$report" > "$report/fit.txt" 2>&1 ||
  { cat "$report/fit.txt" >&2; exit 1; }

say "4/4 report"
"$BIN" report "$runs" --out "$report" --fits "$report/fits.json" --flop-convention chinchilla >&2

elapsed=$(( $(date +%s) - start ))
python3 experiments/demo/headlines.py "$runs" "$report/fits.json" --elapsed "$elapsed" --report "$report"
