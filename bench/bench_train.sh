#!/usr/bin/env bash
# Trainer benchmark on this machine's device: tokens/s and MFU of real `scalelab train` runs for
# the debug model and a ~1M-parameter model on the KJV byte-level dataset. MFU is PaLM's
# 6N + 12LHQT FLOPs per token over the peak: the GPU table's peak when the device is in it, and
# the matmul peak measured on the device itself (--measure-peak), CPU included.
# Writes raw JSON to bench/results/train_<device>_<date>.json.
#
# Usage: bench/bench_train.sh            (BUILD=build STEPS=60 THREADS=<nproc>)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
STEPS="${STEPS:-60}"
THREADS="${THREADS:-$(nproc)}"
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_bench_train.XXXXXX")
trap 'rm -rf "$work"' EXIT

corpus=$(data/corpora/fetch.sh kjv | tail -1)
"$BUILD/scalelab" prepare --input "$corpus" --out "$work/kjv" --tokenizer byte >&2

declare -A configs=(
  [debug]="configs/debug.yaml"
  [gpt-1m]="configs/ladder/gpt-1m.yaml"
)
results=()
for name in debug gpt-1m; do
  run="$work/run-$name"
  "$BUILD/scalelab" train "${configs[$name]}" --set data.path="$work/kjv" --set train.steps="$STEPS" \
    --set train.threads="$THREADS" --set eval.every=0 --set eval.n_batches=1 --set log.every=10 \
    --measure-peak --out "$run" >&2
  results+=("$name=$run/summary.json")
done

out="bench/results/train_$(hostname -s)_$(date -u +%Y%m%dT%H%M%SZ).json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- model trainer data 2>/dev/null || commit="$commit+dirty"
python3 - "$out" "$commit" "$STEPS" "$THREADS" "${results[@]}" <<'PY'
import json, os, platform, sys
out, commit, steps, threads, *pairs = sys.argv[1:]
rows = []
for pair in pairs:
    name, path = pair.split("=", 1)
    s = json.load(open(path))
    rows.append({
        "model": name, "params_total": s["params"]["total"], "params_non_embedding": s["params"]["non_embedding"],
        "tokens_per_s": s["tokens_per_s"], "mfu_table": s["mfu"], "mfu_measured_peak": s["mfu_measured"],
        "measured_peak_flops": s["measured_peak_flops"], "device": s["device"], "precision": s["precision"],
        "config": s["config"],
    })
    torch_version = s["torch_version"]
result = {"benchmark": "train", "machine": platform.node(), "cpu": platform.processor() or platform.machine(),
          "nproc": os.cpu_count(), "threads": int(threads), "steps": int(steps), "torch_version": torch_version,
          "commit": commit, "results": rows}
json.dump(result, open(out, "w"), indent=1)
print(f"{'model':8} {'N total':>10} {'tokens/s':>10} {'MFU (measured peak)':>20}")
for r in rows:
    m = r["mfu_measured_peak"]
    print(f"{r['model']:8} {r['params_total']:>10} {r['tokens_per_s']:>10.0f} {100*m if m is not None else float('nan'):>19.1f}%")
print(f"raw results: {out}")
PY
