#!/usr/bin/env bash
# Where the time of a training step goes at the demo's shapes (issue 29): build/profile_step on
# 1 layer x 16, 2 layers x 32 and 4 layers x 128 (byte vocabulary 257, T = 128, batch 8, one
# thread), all in one JSON: bench/results/profile_step_<TAG>_<UTC timestamp>.json.
# Usage: bench/profile_step.sh [TAG]       env: BUILD (build), STEPS (60), PROFILED (10)
#   TAG names the code profiled (default: the commit), e.g. "before" for a build of the old model.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"; STEPS="${STEPS:-60}"; PROFILED="${PROFILED:-10}"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
TAG="${1:-$commit}"
[ -x "$BUILD/profile_step" ] || { echo "profile_step: $BUILD/profile_step is not built" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_profile.XXXXXX"); trap 'rm -rf "$work"' EXIT
shapes=("l1-d16 1 16 2" "l2-d32 2 32 4" "l4-d128 4 128 4")
for s in "${shapes[@]}"; do
  read -r label layers embd heads <<<"$s"
  "$BUILD/profile_step" --config configs/tiny.yaml --set model.n_layer="$layers" \
    --set model.n_embd="$embd" --set model.n_head="$heads" --set model.block_size=128 \
    --set train.batch_size=8 --set train.threads=1 --label "$label" --steps "$STEPS" \
    --profiled "$PROFILED" --json "$work/$label.json"
done
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/profile_step_${TAG}_${stamp}.json"
python3 - "$out" "$TAG" "$commit" "$work" "${shapes[@]}" <<'PY'
import json, os, sys, platform, time
out, tag, commit, work, *shapes = sys.argv[1:]
json.dump({"benchmark": "profile_step", "tag": tag, "commit": commit, "machine": platform.node(),
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "loadavg_1_5_15": os.getloadavg(),
           "command": "bench/profile_step.sh " + tag, "note": "the machine is shared: wall-clock ms vary with load; "
           "the profiler adds about 1 us per operator, so shares overstate many-small-op overhead",
           "shapes": [json.load(open(os.path.join(work, s.split()[0] + ".json"))) for s in shapes]},
          open(out, "w"), indent=1)
print(f"raw: {out}")
PY
