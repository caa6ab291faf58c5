#!/usr/bin/env bash
# `scalelab fit --law multipower` on Luo et al.'s three 100M training curves, with the three
# held-out curves of analysis/README.md, timed on one core (taskset -c 0) for two binaries side by
# side, alternating, REPEAT times each; writes bench/results/multipower_fit_<UTC>.json with every
# run's wall/user seconds, objective, evaluations and held-out errors.
# Usage: bash bench/bench_multipower_fit.sh BEFORE_BINARY AFTER_BINARY [REPEAT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
before="${1:?usage: bench_multipower_fit.sh BEFORE_BINARY AFTER_BINARY [REPEAT]}"
after="${2:?usage: bench_multipower_fit.sh BEFORE_BINARY AFTER_BINARY [REPEAT]}"
repeat="${3:-3}"
for bin in "$before" "$after"; do
  [ -x "$bin" ] || { echo "bench_multipower_fit: $bin is not an executable" >&2; exit 1; }
done
command -v taskset >/dev/null || { echo "bench_multipower_fit: taskset is missing (util-linux)" >&2; exit 1; }
d="$root/tests/data/multipower/100M"
train="$d/cosine_24000.csv $d/constant_24000.csv $d/wsdcon_9.csv"
held="$d/wsd_20000_24000.csv $d/wsdcon_3.csv $d/cosine_72000.csv"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
runs="[]"
for i in $(seq 1 "$repeat"); do
  for which in before after; do
    bin=$([ "$which" = before ] && echo "$before" || echo "$after")
    out="$work/$which-$i"
    TIMEFORMAT='%R %U'
    # shellcheck disable=SC2086
    { time taskset -c 0 "$bin" fit $train --law multipower --held-out $held --out "$out" \
      > "$work/log" 2>&1 || { cat "$work/log" >&2; exit 1; }; } 2> "$work/time"
    read -r wall user < "$work/time"
    runs=$(python3 - "$out/fits.json" "$which" "$wall" "$user" "$runs" <<'PY'
import json, sys
fits, which, wall, user, runs = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), json.loads(sys.argv[5])
j = json.load(open(fits))
p = j["laws"]["multipower"]["procedure"]
runs.append({"binary": which, "wall_s": wall, "user_s": user, "objective": p["objective"],
             "evaluations": p.get("evaluations"),
             "constants": {k: v["value"] for k, v in j["laws"]["multipower"]["params"].items()},
             "held_out_mean_rel_error": {h["curve"]: h["mean"] for h in j["source"]["held_out"]}})
print(json.dumps(runs))
PY
)
  done
done
result="$root/bench/results/multipower_fit_$stamp.json"
python3 - "$runs" "$before" "$after" "$repeat" "$result" <<'PY'
import json, os, statistics, sys
runs, before, after, repeat, result = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
med = lambda w, k: statistics.median(r[k] for r in runs if r["binary"] == w)
out = {
    "benchmark": "scalelab fit --law multipower, 100M training curves, one core",
    "command": "taskset -c 0 BINARY fit tests/data/multipower/100M/{cosine_24000,constant_24000,"
               "wsdcon_9}.csv --law multipower --held-out tests/data/multipower/100M/"
               "{wsd_20000_24000,wsdcon_3,cosine_72000}.csv --out DIR",
    "script": "bash bench/bench_multipower_fit.sh %s %s %d" % (before, after, repeat),
    "before": before, "after": after, "repeat": repeat,
    "load_average_at_end": os.getloadavg(),
    "median_wall_s": {"before": med("before", "wall_s"), "after": med("after", "wall_s")},
    "median_user_s": {"before": med("before", "user_s"), "after": med("after", "user_s")},
    "wall_ratio_before_over_after": med("before", "wall_s") / med("after", "wall_s"),
    "runs": runs,
}
json.dump(out, open(result, "w"), indent=2)
print(result)
print(json.dumps({k: out[k] for k in ("median_wall_s", "median_user_s", "wall_ratio_before_over_after")}))
PY
