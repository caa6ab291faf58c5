#!/usr/bin/env bash
# Packed runs against the same runs one per process (issue 29, item 3): for each of the demo's
# shapes (its batch of 4 x 128 tokens, one thread), K runs with seeds 1..K trained one after the
# other by `scalelab train`, then the same K by one `scalelab train-packed`, ABBA-interleaved; wall
# time of the whole command each (process start, data opening and the final evaluation included,
# as a sweep pays them). Writes bench/results/packed_<DEVICE>_<UTC>.json.
# Usage: bench/bench_packed.sh [BINARY]   env: K (3), REPEATS (1), SCALELAB_DATA (datasets),
#   DEVICE (cpu; cuda on a GPU: bench/gpu/run_on_gpu.sh packed)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-build/scalelab}")
K="${K:-3}"; REPEATS="${REPEATS:-1}"; DEVICE="${DEVICE:-cpu}"; data=$(realpath "${SCALELAB_DATA:-datasets}/kjv-byte")
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_packed.XXXXXX"); trap 'rm -rf "$work"' EXIT
# layers width heads steps: the demo's smallest, middle and largest trunk shapes
# (experiments/demo/study.yaml), fewer steps for the larger ones.
shapes="1 12 2 1500
2 32 4 600
4 64 8 150"
now() { date +%s.%N; }
echo "[" > "$work/rows.json"; first=1
while read -r L C H S; do
  sets="model.n_layer=$L model.n_embd=$C model.n_head=$H train.steps=$S data.path=$data"
  sets="$sets train.batch_size=4 model.block_size=128 train.threads=1 eval.n_batches=8 train.device=$DEVICE"
  python3 - "$work/pack.json" "$K" "$sets" "$work/p" <<'PY'
import json, sys
path, k, sets, out = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(), sys.argv[4]
runs = [{"config": "configs/debug.yaml", "set": sets + [f"train.seed={s}"], "out": f"{out}{s}"}
        for s in range(1, k + 1)]
json.dump({"runs": runs}, open(path, "w"))
PY
  alone=(); packed=()
  for r in $(seq "$REPEATS"); do
    for order in A B B A; do
      rm -rf "$work"/a* "$work"/p[0-9]*
      t0=$(now)
      if [ "$order" = A ]; then
        for s in $(seq "$K"); do
          "$bin" train configs/debug.yaml $(printf -- '--set %s ' $sets) --set train.seed=$s \
            --out "$work/a$s" > /dev/null 2>&1
        done
        alone+=("$(echo "$(now) - $t0" | bc)")
      else
        "$bin" train-packed "$work/pack.json" > /dev/null 2>&1
        packed+=("$(echo "$(now) - $t0" | bc)")
      fi
    done
  done
  [ $first = 1 ] || echo "," >> "$work/rows.json"; first=0
  python3 - "$L" "$C" "$H" "$S" "$K" "${alone[*]}" "${packed[*]}" >> "$work/rows.json" <<'PY'
import json, statistics, sys
L, C, H, S, K = map(int, sys.argv[1:6])
a = [float(x) for x in sys.argv[6].split()]; p = [float(x) for x in sys.argv[7].split()]
row = {"n_layer": L, "n_embd": C, "n_head": H, "steps": S, "k": K, "alone_s": a, "packed_s": p,
       "speedup": statistics.median(a) / statistics.median(p)}
print(json.dumps(row), end="")
PY
  echo "shape ${L}x${C}: $K alone ${alone[*]} s, packed ${packed[*]} s" >&2
done <<< "$shapes"
echo "]" >> "$work/rows.json"
mkdir -p "$RESULTS_DIR"
out="$RESULTS_DIR/packed_${DEVICE}_$(date -u +%Y%m%dT%H%M%SZ).json"
python3 - "$work/rows.json" "$bin" "$out" <<'PY'
import json, platform, subprocess, sys
rows = json.load(open(sys.argv[1]))
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
json.dump({"what": "K runs alone (one process each, in turn) vs one train-packed process, wall s",
           "binary": sys.argv[2], "commit": commit, "host": platform.node(),
           "command": "bash bench/bench_packed.sh", "rows": rows}, open(sys.argv[3], "w"), indent=2)
for r in rows:
    print(f"{r['n_layer']}x{r['n_embd']}: K={r['k']} packed is {r['speedup']:.2f}x the runs alone")
print("wrote", sys.argv[3])
PY
