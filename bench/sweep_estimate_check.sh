#!/usr/bin/env bash
# Checks the sweep dry run's time estimate against the time the sweep then takes, both ways the
# dry run estimates (experiments/README.md, "Dry run"):
#   A: study A's dry run in a fresh folder (nothing finished here: the 20-step measurement, as
#      many at once as --jobs), then study A's sweep;
#   B: study B's dry run measured the same way, then again calibrated from A's finished runs
#      (--calibrate-from), then study B's sweep.
# The runner's last line compares the newest dry run with the time its runs took; this script
# records every estimate, the times, the load, and the commands in
# bench/results/sweep_estimate_check_<UTC>.json.
#
# Usage: bash bench/sweep_estimate_check.sh [STUDY_A] [STUDY_B] [BUILD_DIR] [JOBS]
#        (default: kaplan chinchilla build 2; SCALELAB_DATA must hold kjv-byte)
set -euo pipefail
cd "$(dirname "$0")/.."
study_a=${1:-kaplan}
study_b=${2:-chinchilla}
build=${3:-build}
jobs=${4:-2}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
root=runs/estimate_check/$stamp
mkdir -p bench/results "$root"
scalelab="$build/scalelab"

# dry_run STUDY OUT_ROOT NAME [ARGS...]: the dry run's JSON into $root/NAME.json
dry_run() {
  local study=$1 out=$2 name=$3
  shift 3
  "$scalelab" sweep "experiments/$study/quick.yaml" --out-root "$out" --jobs "$jobs" --dry-run \
    --json "$@" > "$root/$name.json"
  echo "$scalelab sweep experiments/$study/quick.yaml --out-root $out --jobs $jobs --dry-run --json $*" \
    > "$root/$name.cmd"
}

# sweep STUDY OUT_ROOT NAME: trains, records the wall time and the load around it
sweep() {
  local study=$1 out=$2 name=$3
  cut -d' ' -f1-3 /proc/loadavg > "$root/$name.load_before"
  local start end
  start=$(date +%s.%N)
  "$scalelab" sweep "experiments/$study/quick.yaml" --out-root "$out" --jobs "$jobs" \
    2> >(tee "$root/$name.log" >&2)
  end=$(date +%s.%N)
  cut -d' ' -f1-3 /proc/loadavg > "$root/$name.load_after"
  awk "BEGIN { print $end - $start }" > "$root/$name.wall_s"
  echo "$scalelab sweep experiments/$study/quick.yaml --out-root $out --jobs $jobs" > "$root/$name.cmd"
}

dry_run "$study_a" "$root/$study_a" a_measured
sweep "$study_a" "$root/$study_a" a_sweep
dry_run "$study_b" "$root/$study_b" b_measured
dry_run "$study_b" "$root/$study_b" b_calibrated --calibrate-from "$root/$study_a"
sweep "$study_b" "$root/$study_b" b_sweep

commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- experiments cli 2>/dev/null || commit="$commit+dirty"
out=bench/results/sweep_estimate_check_$stamp.json
python3 - "$root" "$study_a" "$study_b" "$jobs" "$commit" "$out" <<'EOF'
import json, os, platform, sys
root, study_a, study_b, jobs, commit, out = sys.argv[1:]
def read(name):
    return open(os.path.join(root, name)).read().strip()
def dry(name):
    j = json.load(open(os.path.join(root, name + ".json")))
    return {"command": read(name + ".cmd"), "estimated_s": j["estimated_total_s"],
            "assuming": j["throughput"], "notes": j["notes"],
            "runs_to_train": sum(r["state"] != "done" for r in j["runs"])}
def ran(name, study):
    state = json.load(open(os.path.join(root, study, "sweep_state.json")))
    return {"command": read(name + ".cmd"), "wall_s": float(read(name + ".wall_s")),
            "load_before": read(name + ".load_before"), "load_after": read(name + ".load_after"),
            "runner_check": state.get("dry_run_check"),
            "statuses": sorted({r["status"] for r in state["runs"]})}
a_est, a_run = dry("a_measured"), ran("a_sweep", study_a)
b_meas, b_cal, b_run = dry("b_measured"), dry("b_calibrated"), ran("b_sweep", study_b)
result = {
    "what": "sweep --dry-run estimate against the sweep's wall time, measured and calibrated",
    "machine": {"host": platform.node(), "cpus": os.cpu_count(), "shared": True},
    "commit": commit, "jobs": int(jobs),
    "study_a": {"study": study_a, "dry_run_measured": a_est, "sweep": a_run,
                "ratio_took_over_measured": a_run["wall_s"] / a_est["estimated_s"]},
    "study_b": {"study": study_b, "dry_run_measured": b_meas, "dry_run_calibrated": b_cal,
                "sweep": b_run,
                "ratio_took_over_measured": b_run["wall_s"] / b_meas["estimated_s"],
                "ratio_took_over_calibrated": b_run["wall_s"] / b_cal["estimated_s"]},
}
json.dump(result, open(out, "w"), indent=2)
print(json.dumps({k: result[k] for k in ("study_a", "study_b")}, indent=2))
EOF
echo "wrote $out" >&2
