#!/usr/bin/env bash
# Does the best peak lr transfer across width and depth? (issue 28 item 3.) Runs the lr grids of
# experiments/transfer_mup/width_{standard,mup}.yaml (4 widths x 6 lrs a factor 2 apart) and
# depth_{standard,completep}.yaml (4 depths x 6 lrs) as four `scalelab tune` processes side by side
# (niced; one job each, the lrs of one size packed), then writes every run's final validation loss
# and each size's best grid lr, per grid, with the command and settings, to
# bench/results/transfer_mup_<UTC>.json. Runs finished before are reused (the sweep
# runner skips them), so an interrupted grid continues where it stopped; LIMIT_S ends the tunes
# after that many seconds and records what finished.
#
# Usage: SCALELAB_DATA=/work/datasets bench/transfer_mup.sh   (BUILD=build LIMIT_S=0: no limit;
#   SEED=1: train.seed, another seed's grids go to runs/transfer_mup/seed<S>/;
#   GRIDS="width_standard width_mup depth_standard depth_completep";
#   TOKENS=4e5: train.tokens of every run instead of the grid files' 1e5, into
#   runs/transfer_mup/tokens<T>/seed<S>/;
#   TAG=init_std0.1 SET="model.init_std=0.1": more --set k=v for every run, into
#   runs/transfer_mup/<TAG>/seed<S>/)
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
LIMIT_S="${LIMIT_S:-0}"
export SCALELAB_DATA="${SCALELAB_DATA:-datasets}"
limit=()
[ "$LIMIT_S" -gt 0 ] && limit=(timeout -s INT "$LIMIT_S")
mkdir -p runs
pids=()
GRIDS="${GRIDS:-width_standard width_mup depth_standard depth_completep}"
# SEED=S (S > 1): the same grids with train.seed S, into runs/transfer_mup/seed<S>/<grid>.
SEED="${SEED:-1}"
runs_root=runs/transfer_mup; seed_args=()
TOKENS="${TOKENS:-}"; SET="${SET:-}"; TAG="${TAG:-}"; GIVEN_TAG="$TAG"
[ -n "$SET" ] && [ -z "$TAG" ] && { echo "transfer_mup.sh: SET needs a TAG to name its runs' folder" >&2; exit 2; }
[ -n "$TOKENS" ] && TAG="tokens$TOKENS${TAG:+-$TAG}"
if [ -n "$TAG" ]; then
  runs_root=runs/transfer_mup/$TAG/seed$SEED; seed_args=(--set "train.seed=$SEED")
  [ -n "$TOKENS" ] && seed_args+=(--set "train.tokens=$TOKENS")
  for kv in $SET; do seed_args+=(--set "$kv"); done
elif [ "$SEED" -gt 1 ]; then
  runs_root=runs/transfer_mup/seed$SEED; seed_args=(--set "train.seed=$SEED")
fi
for g in $GRIDS; do
  extra=("${seed_args[@]}")
  [ "$runs_root" != runs/transfer_mup ] && extra+=(--out-root "$runs_root/$g")
  "${limit[@]}" nice -n 19 "$BUILD/scalelab" tune "experiments/transfer_mup/$g.yaml" --jobs 1 --threads-per-job 1 \
    "${extra[@]}" > "runs/transfer_mup_$g${TAG:+.$TAG}.seed$SEED.log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid" || true; done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="bench/results/transfer_mup_$stamp.json"
# Calls side by side (bench/transfer_base_init.sh) may finish in the same second.
# The name is claimed by creating the file (noclobber: fails if it exists), so two never share one.
n=2; until (set -C; : > "$out") 2>/dev/null; do
  [ "$n" -gt 99 ] && { echo "transfer_mup.sh: cannot create $out" >&2; exit 1; }
  out="bench/results/transfer_mup_${stamp}_$n.json"; n=$((n + 1)); done
python3 - "$out" "$(git rev-parse HEAD)" "$LIMIT_S" "$SEED" "$runs_root" "$TOKENS" "$SET" "$GIVEN_TAG" $GRIDS <<'PY'
import json, pathlib, sys
out, commit, limit, seed, runs_root = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
tokens = float(sys.argv[6]) if sys.argv[6] else None
extra_set, given_tag = sys.argv[7], sys.argv[8]
grids = sys.argv[9:]
command = "SCALELAB_DATA=... LIMIT_S=%d SEED=%d" % (limit, seed)
command += " TOKENS=%s" % sys.argv[6] if tokens else ""
command += ' GRIDS="%s"' % " ".join(grids) if len(grids) < 4 else ""
command += ' TAG=%s SET="%s"' % (given_tag, extra_set) if extra_set else ""
result = {"command": command + " bench/transfer_mup.sh",
          "seed": seed, "tokens": tokens, "set": extra_set or None,
          "commit": commit, "machine": "2-core VM shared with other jobs (niced)",
          "grids": {}}
for p in grids:
    spec = "experiments/transfer_mup/%s.yaml" % p
    axis = "depth" if p.startswith("depth") else "width"  # base_mup: width 32 alone
    runs = {}
    for summary in sorted(pathlib.Path(runs_root, p).glob("*/summary.json")):
        s = json.loads(summary.read_text())
        name = summary.parent.name  # d<width>-lr<lr> or l<depth>-lr<lr>
        size, lr = name.split("-lr")
        runs[name] = {axis: int(size[1:]), "lr": float(lr), "status": s.get("status"),
                      "final_val_loss": s.get("final_val_loss"), "wall_time_s": s.get("wall_time_s")}
    best = {}
    for r in runs.values():
        if r["final_val_loss"] is None or r["status"] not in ("finished", "early_stopped"):
            continue
        b = best.get(r[axis])
        if b is None or r["final_val_loss"] < b["final_val_loss"]:
            best[r[axis]] = {"lr": r["lr"], "final_val_loss": r["final_val_loss"]}
    lrs = [b["lr"] for b in best.values()]
    result["grids"][p] = {"spec": spec, "axis": axis, "runs": runs,
                          "best_lr_by_" + axis: {str(w): best[w] for w in sorted(best)},
                          "best_lr_max_over_min": max(lrs) / min(lrs) if lrs else None}
pathlib.Path(out).write_text(json.dumps(result, indent=1) + "\n")
for p, g in result["grids"].items():
    best = g["best_lr_by_" + g["axis"]]
    print(p, {w: b["lr"] for w, b in best.items()}, "max/min", g["best_lr_max_over_min"])
print("wrote", out)
PY
