#!/usr/bin/env bash
# Branched WSD (STUDY/quick_branched.yaml) against independent cosine runs (STUDY/quick.yaml) on a
# study's quick grid (chinchilla or kaplan), side by side: both sweeps start at the same moment on the same machine, one job of one
# thread each (two cores, no oversubscription),
# so that load hits both alike. Records the FLOPs each trains (from --dry-run), each sweep's wall
# time, and every (N, D)'s final val loss under both, then fits the study's law to each (approach 2
# for chinchilla, kaplan for kaplan). Raw JSON: bench/results/branching_<study>_<date>.json; the
# Markdown table is printed last.
# Usage: bash experiments/compare_branching.sh [BUILD_DIR] [STUDY]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
study=${2:-chinchilla}
law=approach2; [ "$study" = kaplan ] && law=kaplan
BIN=$build/scalelab
export SCALELAB_DATA=${SCALELAB_DATA:-datasets}
PYTHON=python3
[ -f "$build/venv_path" ] && PYTHON="$(tail -1 "$build/venv_path")/bin/python"
kjv=$(data/corpora/fetch.sh kjv | tail -1)
[ -f "$SCALELAB_DATA/kjv-byte/manifest.json" ] || "$BIN" prepare --input "$kjv" --out "$SCALELAB_DATA/kjv-byte" --tokenizer byte
stamp=$(date -u +%Y%m%dT%H%M%SZ)
root=runs/timing/branching-$study-$stamp
mkdir -p "$root" bench/results
for kind in independent branched; do
  file=experiments/$study/quick.yaml
  [ $kind = branched ] && file=experiments/$study/quick_branched.yaml
  "$BIN" sweep "$file" --dry-run --no-measure --json --out-root "$root/$kind" >"$root/$kind.dry.json"
done
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_sweep() {  # run_sweep KIND FILE: trains one grid, writes its wall seconds to KIND.wall
  local start end
  start=$(date +%s.%N)
  "$BIN" sweep "$2" --jobs 1 --threads-per-job 1 --out-root "$root/$1" >"$root/$1.log" 2>&1
  end=$(date +%s.%N)
  awk "BEGIN { print $end - $start }" >"$root/$1.wall"
}
run_sweep independent experiments/$study/quick.yaml &
independent_pid=$!
run_sweep branched experiments/$study/quick_branched.yaml &
branched_pid=$!
failed=""
wait "$independent_pid" || failed="$failed $root/independent.log"
wait "$branched_pid" || failed="$failed $root/branched.log"
if [ -n "$failed" ]; then echo "compare_branching: a sweep failed; see$failed" >&2; exit 1; fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
for kind in independent branched; do
  "$BIN" fit "$root/$kind" --law $law --bootstrap 200 --out "$root/$kind-fit" >"$root/$kind-fit.log" 2>&1 || true
done
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
"$PYTHON" - "$root" "$commit" "$load_before" "$load_after" "$stamp" "$study" <<'PY'
import glob, json, os, sys
root, commit, load_before, load_after, stamp, study = sys.argv[1:]
def runs(kind):
    out = {}
    for s in glob.glob(f"{root}/{kind}/*/summary.json"):
        j = json.load(open(s))
        if j.get("tags", {}).get("branching") == "trunk":
            continue
        out[j["run_name"]] = j
    return out
def fit_a(kind):
    # chinchilla: approach 2's a; kaplan: the exponents of L(N) and L(D).
    wanted = ({"chinchilla_approach2": "a"} if study == "chinchilla"
              else {"kaplan_n": "alpha_N", "kaplan_d": "alpha_D"})
    out = {}
    try:
        laws = json.load(open(f"{root}/{kind}-fit/fits.json"))["laws"]
    except Exception as e:
        return {"error": str(e)}
    for law, param in wanted.items():
        if law in laws:
            p = laws[law]["params"][param]
            out[param] = {"value": p["value"], "ci95": p.get("ci95")}
    return out
ind, br = runs("independent"), runs("branched")
dry = {k: json.load(open(f"{root}/{k}.dry.json")) for k in ("independent", "branched")}
wall = {k: float(open(f"{root}/{k}.wall").read()) for k in ("independent", "branched")}
flops_ind = sum(r["flops"] for r in dry["independent"]["runs"])
flops_br = dry["branched"]["compute"]["flops_spent"]
rows = []
for name in sorted(ind, key=lambda n: (float(ind[n]["tags"].get("budget", 0)), ind[n]["params"]["total"], ind[n]["tokens"])):
    a, b = ind[name], br.get(name)
    rows.append({"run": name, "N": a["params"]["total"], "D": a["tokens"], "budget": a["tags"].get("budget"),
                 "cosine_val_loss": a["final_val_loss"], "branched_wsd_val_loss": b["final_val_loss"] if b else None})
res = {"bench": f"branching_{study}_quick", "commit": commit, "stamp": stamp, "jobs_each": 1,
       "load_before": load_before, "load_after": load_after, "root": root,
       "flops_independent": flops_ind, "flops_branched": flops_br, "flops_ratio": flops_ind / flops_br,
       "wall_s_independent": wall["independent"], "wall_s_branched": wall["branched"],
       "wall_ratio": wall["independent"] / wall["branched"],
       "a_independent": fit_a("independent"), "a_branched": fit_a("branched"), "rows": rows}
path = f"bench/results/branching_{study}_{stamp}.json"
json.dump(res, open(path, "w"), indent=1)
print(f"FLOPs: independent cosine {flops_ind:.3g}, branched WSD {flops_br:.3g} ({flops_ind / flops_br:.2f}x less)")
print(f"wall: independent {wall['independent']:.0f} s, branched {wall['branched']:.0f} s ({wall['independent'] / wall['branched']:.2f}x)")
print("| run | N | D | cosine val loss | branched WSD val loss | difference |")
print("|---|---|---|---|---|---|")
for r in rows:
    b = r["branched_wsd_val_loss"]
    diff = f"{(b - r['cosine_val_loss']) / r['cosine_val_loss'] * 100:+.2f}%" if b else "-"
    print(f"| {r['run']} | {r['N']:,} | {r['D']:.3g} | {r['cosine_val_loss']:.4f} | {b:.4f} | {diff} |" if b else f"| {r['run']} | ... | missing |")
print(f"fitted exponents: cosine {res['a_independent']}, branched {res['a_branched']}")
print(f"raw: {path}")
PY
