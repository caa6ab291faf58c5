#!/usr/bin/env bash
# Throughput of two scalelab binaries (e.g. before and after a change to the loop) measured
# together: the same configs, data and thread count, runs interleaved ABBA so that drifting load
# on a shared machine hits both alike. Tokens/s is the harmonic mean of the logged intervals after
# WARMUP steps (timed tokens over timed seconds); the ratio new/old is the figure to read.
# Usage: bench/bench_before_after.sh OLD_BINARY NEW_BINARY [rung ...]   (rungs: debug tiny gpt-1m)
#   env: THREADS (1), WARMUP (10), STEPS (60), REPEATS (4), RESULTS_DIR (bench/results), PYTHON
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2"); shift 2
rungs=("${@:-debug gpt-1m}"); [ $# -eq 0 ] && rungs=(debug gpt-1m)
THREADS="${THREADS:-1}"; WARMUP="${WARMUP:-10}"; STEPS="${STEPS:-60}"; REPEATS="${REPEATS:-4}"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"; PYTHON="${PYTHON:-python3}"
declare -A configs=([debug]=configs/debug.yaml [tiny]=configs/tiny.yaml [gpt-1m]=configs/ladder/gpt-1m.yaml)
declare -A batches=([debug]=8 [tiny]=8 [gpt-1m]=4)
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_before_after.XXXXXX"); trap 'rm -rf "$work"' EXIT
for rung in "${rungs[@]}"; do
  config=${configs[$rung]}; B=${batches[$rung]}
  T=$(grep -E '^\s+block_size:' "$config" | awk '{print $2}'); vocab=$(grep -E '^\s+vocab_size:' "$config" | awk '{print $2}')
  "$PYTHON" bench/reference_gpt.py make-data --out "$work/$rung-data" --vocab-size "$vocab" \
    --train-tokens $(((WARMUP + STEPS) * B * (T + 1) + T + 1)) >/dev/null
  for rep in $(seq 1 "$REPEATS"); do
    order=(old new); ((rep % 2)) || order=(new old)
    for which in "${order[@]}"; do
      bin=$old; [ "$which" = new ] && bin=$new
      echo "[bench] $rung: $which (repeat $rep of $REPEATS)" >&2
      "$bin" train "$config" --set data.path="$work/$rung-data" --set train.batch_size="$B" --set train.micro_batch_size=0 \
        --set train.threads="$THREADS" --set train.device=cpu --set eval.every=0 --set eval.n_batches=1 \
        --set train.tokens=0 --set train.flops=0 --set train.steps=$((WARMUP + STEPS)) --set log.every=5 \
        --out "$work/$rung-$which-$rep" >"$work/$rung-$which-$rep.log" 2>&1 || { cat "$work/$rung-$which-$rep.log" >&2; exit 1; }
    done
  done
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
mkdir -p "$RESULTS_DIR"
"$PYTHON" - "$work" "$RESULTS_DIR" "$commit" "$old" "$new" "$THREADS" "$WARMUP" "$STEPS" "$REPEATS" "${rungs[@]}" <<'PY'
import json, os, statistics, sys, time
work, out_dir, commit, old, new, threads, warmup, steps, repeats, *rungs = sys.argv[1:]
warmup, repeats = int(warmup), int(repeats)
def tps(run):
    lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
    rates = [l["tokens_per_s"] for l in lines if l.get("kind") == "train" and l["step"] > warmup]
    return len(rates) / sum(1.0 / r for r in rates)
rows = []
for rung in rungs:
    r = {w: [tps(f"{work}/{rung}-{w}-{k}") for k in range(1, repeats + 1)] for w in ("old", "new")}
    row = {"model": rung, "old_tokens_per_s": r["old"], "new_tokens_per_s": r["new"],
           "old_median": statistics.median(r["old"]), "new_median": statistics.median(r["new"])}
    row["ratio_new_over_old"] = row["new_median"] / row["old_median"]
    rows.append(row)
stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
res = {"bench": "before_after", "commit": commit, "old_binary": old, "new_binary": new, "threads": int(threads),
       "warmup": warmup, "timed_steps": int(steps), "repeats": repeats, "load_avg": os.getloadavg(), "rows": rows}
path = os.path.join(out_dir, f"before_after_cpu_{stamp}.json")
json.dump(res, open(path, "w"), indent=1)
print(f"{'model':8} {'old tok/s':>10} {'new tok/s':>10} {'new/old':>8}")
for row in rows:
    print(f"{row['model']:8} {row['old_median']:10.0f} {row['new_median']:10.0f} {row['ratio_new_over_old']:8.3f}")
print(f"raw: {path}")
PY
