#!/usr/bin/env bash
# Data-parallel benchmark: the fraction of a training step spent in communication, 2 CPU ranks
# (Gloo) under torchrun, for two model sizes (bench/bench_dist.cpp defines the two fractions).
# Writes raw JSON to bench/results/dist_comm_<date>.json with the machine, torch version, commit
# and config.
#
# Usage: bench/bench_dist.sh                      (BUILD=build-dist bench/bench_dist.sh)
#        NPROC=2 STEPS=5 THREADS=1 bench/bench_dist.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
NPROC="${NPROC:-2}"
STEPS="${STEPS:-10}"
THREADS="${THREADS:-1}"
VENV=$(tail -1 "$BUILD/venv_path" 2>/dev/null || echo "${XDG_CACHE_HOME:-$HOME/.cache}/scalelab/venv")

cmake --build "$BUILD" --target bench_dist -j "$(nproc)" >&2
mkdir -p bench/results
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_bench_dist.XXXXXX")
trap 'rm -rf "$work"' EXIT

# name n_layer n_embd n_head: ~0.4M and ~5.8M parameters (1.4 MB and 23 MB of fp32 gradients,
# below and near one 25 MB bucket).
sizes=("small 2 64 2" "medium 6 256 4")
for size in "${sizes[@]}"; do
  read -r name n_layer n_embd n_head <<< "$size"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "[bench] $name: n_layer=$n_layer n_embd=$n_embd on $NPROC ranks" >&2
  OMP_NUM_THREADS="$THREADS" "$VENV/bin/torchrun" --nproc-per-node "$NPROC" --master-port "$port" --no-python \
    "$BUILD/bench_dist" --n-layer "$n_layer" --n-embd "$n_embd" --n-head "$n_head" --batch 8 \
    --steps "$STEPS" --threads "$THREADS" --device cpu 2> "$work/$name.err" | tail -1 > "$work/$name.json" \
    || { cat "$work/$name.err" >&2; exit 1; }
done

out="bench/results/dist_comm_$(date -u +%Y%m%dT%H%M%SZ).json"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- trainer bench 2>/dev/null || commit="$commit+dirty"
python3 - "$out" "$commit" "$NPROC" "$work" "${sizes[@]}" <<'PY'
import json, os, platform, sys
out, commit, nproc, work, *sizes = sys.argv[1:]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
runs = {s.split()[0]: json.load(open(os.path.join(work, s.split()[0] + ".json"))) for s in sizes}
result = {
    "benchmark": "dist_comm", "commit": commit, "launcher": f"torchrun --nproc-per-node {nproc}",
    "torch_version": next(iter(runs.values()))["torch_version"],
    # Load average at the end: other processes on a shared machine slow every figure down.
    "machine": {"cpu": cpu, "n_cores": os.cpu_count(), "memory_bytes": mem, "os": platform.platform(),
                "loadavg_1_5_15": os.getloadavg()},
    "runs": runs,
    "summary": {name: {"params_total": r["params_total"],
                       "allreduce_fraction": r["allreduce_fraction"],
                       "sync_overhead_fraction": r["sync_overhead_fraction"],
                       "seconds_per_step_synced": r["seconds_per_step_synced"]} for name, r in runs.items()},
}
json.dump(result, open(out, "w"), indent=2)
print(json.dumps(result["summary"], indent=2))
print(f"[bench] wrote {out}", file=sys.stderr)
PY
