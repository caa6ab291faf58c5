#!/usr/bin/env bash
# Does the best peak lr transfer across width? (issue 28 item 3.) Runs the lr grid of
# experiments/transfer_mup/width_{standard,mup}.yaml (3 widths x 6 lrs a factor 2 apart each) as
# two `scalelab tune` processes side by side (niced; one job each), then writes every run's final
# validation loss and each width's best grid lr, per parameterization, with the command and
# settings, to bench/results/transfer_mup_<UTC>.json. Runs finished before are reused (the sweep
# runner skips them), so an interrupted grid continues where it stopped; LIMIT_S ends the tunes
# after that many seconds and records what finished.
#
# Usage: SCALELAB_DATA=/work/datasets bench/transfer_mup.sh   (BUILD=build LIMIT_S=0: no limit)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
LIMIT_S="${LIMIT_S:-0}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
limit=()
[ "$LIMIT_S" -gt 0 ] && limit=(timeout -s INT "$LIMIT_S")
mkdir -p runs
pids=()
for p in standard mup; do
  "${limit[@]}" nice -n 19 "$BUILD/scalelab" tune "experiments/transfer_mup/width_$p.yaml" --jobs 1 \
    > "runs/transfer_mup_$p.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/transfer_mup_$stamp.json"
python3 - "$out" "$(git rev-parse HEAD)" "$LIMIT_S" <<'PY'
import json, pathlib, sys
out, commit, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
result = {"command": "SCALELAB_DATA=... LIMIT_S=%d bench/transfer_mup.sh" % limit,
          "commit": commit, "machine": "2-core VM shared with other jobs (niced)",
          "grids": {}}
for p in ("standard", "mup"):
    spec = "experiments/transfer_mup/width_%s.yaml" % p
    runs = {}
    for summary in sorted(pathlib.Path("runs/transfer_mup/width_" + p).glob("*/summary.json")):
        s = json.loads(summary.read_text())
        name = summary.parent.name  # d<width>-lr<lr>
        width, lr = name.split("-lr")
        runs[name] = {"width": int(width[1:]), "lr": float(lr), "status": s.get("status"),
                      "final_val_loss": s.get("final_val_loss")}
    best = {}
    for r in runs.values():
        if r["final_val_loss"] is None or r["status"] not in ("finished", "early_stopped"):
            continue
        b = best.get(r["width"])
        if b is None or r["final_val_loss"] < b["final_val_loss"]:
            best[r["width"]] = {"lr": r["lr"], "final_val_loss": r["final_val_loss"]}
    result["grids"][p] = {"spec": spec, "runs": runs,
                          "best_lr_by_width": {str(w): best[w] for w in sorted(best)}}
pathlib.Path(out).write_text(json.dumps(result, indent=1) + "\n")
for p, g in result["grids"].items():
    print(p, {w: b["lr"] for w, b in g["best_lr_by_width"].items()})
print("wrote", out)
PY
