#!/usr/bin/env bash
# The main job (`make demo`): a real scaling study end to end. Fetches the King James Bible from
# Debian's packages, prepares it byte-level, then runs the demo study (experiments/demo/study.yaml)
# with `scalelab study`: it trains the IsoFLOP design (three seeds per point, branched), adds sizes
# where a budget's minimum is not bracketed, fits the study's laws into one fits.json and writes the
# report from it, then prints where it is and its headline findings.
# Interrupted and rerun, it picks up where it stopped: finished runs are skipped, interrupted ones
# resume from their checkpoints, the added sizes are read back from study_state.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-build/scalelab}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
STUDY="${STUDY:-experiments/demo/study.yaml}"
RUNS="${RUNS:-runs/demo/study}"
say() { echo "[demo] $*" >&2; }
start=$(date +%s)

if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  run_args=(--gpus "$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)")
else
  run_args=(--jobs "$(nproc)")
fi

say "corpus and dataset"
kjv=$(data/corpora/fetch.sh kjv | tail -1)
if [ ! -f "$SCALELAB_DATA/kjv-byte/manifest.json" ]; then
  "$BIN" prepare --input "$kjv" --out "$SCALELAB_DATA/kjv-byte" --tokenizer byte
fi

say "the study: $STUDY into $RUNS (progress below; rerun to resume)"
"$BIN" study "$STUDY" --out-root "$RUNS" "${run_args[@]}"

elapsed=$(( $(date +%s) - start ))
python3 experiments/demo/headlines.py "$RUNS" "$STUDY" --elapsed "$elapsed"
