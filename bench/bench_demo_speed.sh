#!/usr/bin/env bash
# The demo's training time with two binaries (issue 29: "the rebuilt demo's runs train at least 2x
# faster than the same runs one per process with the code of today's main"). For every model shape
# a finished demo study trained, both binaries train that shape on the demo's data at its batch
# (4 x 128 tokens), one thread, interleaved ABBA; each shape's tokens/s (harmonic mean of the logged
# intervals after WARMUP steps) is weighted by the tokens the study trained at that shape (each
# run's wall time x its tokens/s, from summary.json). The ratio is the demo's training time with OLD
# over NEW at one thread per run. Then with each process's own time: the whole command's wall time
# less its steps at the measured rate (start, dataset opening, the final evaluation of 64 x 8
# windows as the demo's), once per run with OLD and once per pack with NEW, over the study's number
# of runs of each shape. Not counted: the dry run, checkpoints, branch loading and the fits.
# PACK=K (K > 1): NEW trains each shape as one pack of K runs (seeds 1..K, `scalelab train-packed`,
# as `scalelab study` packs the seeds of a point) and its rate is the K runs' rates summed; OLD
# trains one run per process as before.
# Usage: bench/bench_demo_speed.sh OLD_BINARY NEW_BINARY STUDY_ROOT
#   env: WARMUP (10), STEPS (60), REPEATS (2), PACK (1), EVAL_BATCHES (64: the demo's validation
#        windows, 64 x 8; the previous version of this bench used 1, and OLD's training rate
#        depends on it: see the README), SCALELAB_DATA (datasets), RESULTS_DIR (bench/results)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2"); root=$(realpath "$3")
WARMUP="${WARMUP:-10}"; STEPS="${STEPS:-60}"; REPEATS="${REPEATS:-2}"; PACK="${PACK:-1}"
EVAL_BATCHES="${EVAL_BATCHES:-64}"
RESULTS_DIR="${RESULTS_DIR:-bench/results}"; data="${SCALELAB_DATA:-datasets}/kjv-byte"
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_demo_speed.XXXXXX"); trap 'rm -rf "$work"' EXIT
# Shapes and their trained tokens, from the study's runs.
python3 - "$root" > "$work/shapes.txt" <<'PY'
import json, os, sys
root = sys.argv[1]
tokens, runs = {}, {}
for d in sorted(os.listdir(root)):
    p = os.path.join(root, d, "summary.json")
    if not os.path.isfile(p):
        continue
    s = json.load(open(p))
    m = s["config"]["model"]
    key = (m["n_layer"], m["n_embd"], m["n_head"])
    tokens[key] = tokens.get(key, 0) + s["wall_time_s"] * s["tokens_per_s"]
    runs[key] = runs.get(key, 0) + 1
for (l, d, h), t in sorted(tokens.items()):
    print(l, d, h, int(t), runs[(l, d, h)])
PY
while read -r L D H tok nruns; do
  for rep in $(seq 1 "$REPEATS"); do
    order=(old new); ((rep % 2)) || order=(new old)
    for which in "${order[@]}"; do
      bin=$old; [ "$which" = new ] && bin=$new
      out="$work/l$L-d$D-$which-$rep"
      echo "[bench] l$L-d$D-h$H: $which (repeat $rep of $REPEATS)" >&2
      sets=(data.path="$data" model.n_layer="$L" model.n_embd="$D" model.n_head="$H" model.block_size=128
        train.batch_size=4 train.micro_batch_size=0 train.threads=1 train.device=cpu eval.every=0
        eval.batch_size=8 eval.n_batches="$EVAL_BATCHES" train.tokens=0 train.flops=0 train.steps=$((WARMUP + STEPS))
        log.every=5)
      t0=$(date +%s.%N)
      if [ "$which" = new ] && [ "$PACK" -gt 1 ]; then
        python3 - "$out" "$PACK" "${sets[@]}" > "$out.json" <<'PY'
import json, sys
out, k, sets = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print(json.dumps({"runs": [{"config": "configs/tiny.yaml", "set": sets + [f"train.seed={s}"],
                            "out": f"{out}/seed{s}"} for s in range(1, k + 1)]}))
PY
        "$bin" train-packed "$out.json" > "$out.log" 2>&1 || { cat "$out.log" >&2; exit 1; }
      else
        "$bin" train configs/tiny.yaml $(printf -- '--set %s ' "${sets[@]}") --out "$out" > "$out.log" 2>&1 ||
          { cat "$out.log" >&2; exit 1; }
      fi
      echo "$(date +%s.%N) - $t0" | bc > "$out.wall"
    done
  done
done < "$work/shapes.txt"
mkdir -p "$RESULTS_DIR"
EVAL_BATCHES="$EVAL_BATCHES" BENCH_STEPS=$((WARMUP + STEPS)) python3 - "$work" "$RESULTS_DIR" "$(git rev-parse --short HEAD)" "$old" "$new" "$root" "$WARMUP" "$REPEATS" "$PACK" <<'PY'
import json, os, statistics, sys, time
work, out_dir, commit, old, new, root, warmup, repeats, pack = sys.argv[1:]
warmup, repeats, pack = int(warmup), int(repeats), int(pack)
steps = int(os.environ.get("BENCH_STEPS", "70"))
def tps(run):
    """A run's tokens/s; a pack's: the sum of its runs' (seed1..seedK folders)."""
    if os.path.isdir(os.path.join(run, "seed1")):
        return sum(tps(os.path.join(run, f"seed{s}")) for s in range(1, pack + 1))
    lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
    rates = [l["tokens_per_s"] for l in lines if l.get("kind") == "train" and l["step"] > warmup]
    return len(rates) / sum(1.0 / r for r in rates)
def overhead(run, rate, k):
    """A process's time outside its training steps: its whole wall time (start, data, the final
    evaluation of 64 x 8 windows, summary) less its K runs' step tokens at the measured rate."""
    wall = float(open(run + ".wall").read())
    return wall - k * steps * 512 / rate
rows, t_old, t_new, p_old, p_new = [], 0.0, 0.0, 0.0, 0.0
for line in open(os.path.join(work, "shapes.txt")):
    L, D, H, tok, n_runs = line.split()
    r = {w: [tps(f"{work}/l{L}-d{D}-{w}-{k}") for k in range(1, repeats + 1)] for w in ("old", "new")}
    o, n = statistics.median(r["old"]), statistics.median(r["new"])
    k_new = pack if pack > 1 else 1
    oh = {w: statistics.median(overhead(f"{work}/l{L}-d{D}-{w}-{k}", rv, 1 if w == "old" else k_new)
                               for k, rv in zip(range(1, repeats + 1), r[w])) for w in ("old", "new")}
    rows.append({"shape": f"l{L}-d{D}-h{H}", "study_tokens": int(tok), "study_runs": int(n_runs),
                 "old_tokens_per_s": r["old"], "new_tokens_per_s": r["new"],
                 "ratio_new_over_old": n / o, "old_process_overhead_s": oh["old"],
                 "new_process_overhead_s": oh["new"]})
    t_old += int(tok) / o
    t_new += int(tok) / n
    # One process a run with OLD; with NEW one a pack of k_new runs.
    p_old += int(n_runs) * oh["old"]
    p_new += int(n_runs) / k_new * oh["new"]
res = {"bench": "demo_speed", "commit": commit, "old_binary": old, "new_binary": new, "study": root,
       "threads_per_run": 1, "new_pack": pack, "eval_batches": int(os.environ.get("EVAL_BATCHES", "64")), "warmup": warmup, "repeats": repeats, "load_avg": os.getloadavg(),
       "training_seconds_old": t_old, "training_seconds_new": t_new, "demo_ratio": t_old / t_new,
       "process_overhead_seconds_old": p_old, "process_overhead_seconds_new": p_new,
       "demo_ratio_whole_processes": (t_old + p_old) / (t_new + p_new),
       "rows": rows}
path = os.path.join(out_dir, f"demo_speed_cpu_{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json")
json.dump(res, open(path, "w"), indent=1)
for row in rows:
    print(f"{row['shape']:14} {row['study_tokens']:>10} tokens  new/old {row['ratio_new_over_old']:.2f}")
print(f"the study's training at one thread per process{f', NEW in packs of {pack}' if pack > 1 else ''}: "
      f"{t_old:.0f} s with OLD, {t_new:.0f} s with NEW: {t_old / t_new:.2f}x")
print(f"with each process's start, data opening and final evaluation ({p_old:.0f} s over the "
      f"study's runs with OLD, {p_new:.0f} s with NEW): {(t_old + p_old) / (t_new + p_new):.2f}x"
      f"\nraw: {path}")
PY
