#!/usr/bin/env bash
# A newcomer's first hour on a CPU, timed: fetch the KJV corpus (into an empty cache), prepare it
# byte-level, train configs/tiny.yaml, sample from it, and fit an existing grid of runs. Each step
# runs under /usr/bin/time -v; its wall seconds, peak memory and the load average before and after
# go to bench/results/first_hour_<UTC>.json with the exact command, for the README's "What to
# expect on a CPU". Everything is written under WORK (default a fresh /tmp folder), never datasets/.
#
#   bash bench/first_hour.sh [BINARY] [RUNS_TO_FIT]
#     BINARY       scalelab binary (default build/scalelab)
#     RUNS_TO_FIT  a folder of finished runs for the fit step (default: skipped), e.g. runs/demo/study
set -euo pipefail
BIN="${1:-build/scalelab}"
FIT_RUNS="${2:-}"
WORK="${WORK:-$(mktemp -d /tmp/first_hour.XXXXXX)}"
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT="bench/results/first_hour_${STAMP}.json"
[ -x "$BIN" ] || { echo "first_hour: no binary at $BIN (run make build)" >&2; exit 1; }
steps=()

timed() {  # timed NAME COMMAND... : runs it under /usr/bin/time -v, appends a JSON record
  local name=$1; shift
  local load_before; load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  echo "[first_hour] $name: $*" >&2
  local rc=0
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
  [ "$rc" = 0 ] || echo "[first_hour] $name exited $rc: $(tail -n1 "$WORK/$name.err")" >&2
  local load_after; load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$name.time")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/$name.time")
  echo "[first_hour] $name: ${wall} s (load before: $load_before, after: $load_after)" >&2
  local cmd; cmd=$(printf '%q ' "$@")
  steps+=("$(python3 -c 'import json,sys; print(json.dumps({"step":sys.argv[1],"command":sys.argv[2],"wall_s":float(sys.argv[3]),"max_rss_kb":int(sys.argv[4]),"loadavg_before":sys.argv[5],"loadavg_after":sys.argv[6],"exit_status":int(sys.argv[7])}))' \
    "$name" "${cmd% }" "$wall" "$rss" "$load_before" "$load_after" "$rc")")
}

# A newcomer's fetch: into an empty cache under WORK, so the download and extraction are timed.
timed fetch env XDG_CACHE_HOME="$WORK/cache" data/corpora/fetch.sh kjv
CORPUS=$(tail -n1 "$WORK/fetch.out")
[ -d "$CORPUS" ] || { echo "first_hour: the fetch gave no corpus folder (see $WORK/fetch.err)" >&2; exit 1; }
timed prepare "$BIN" prepare --input "$CORPUS" --out "$WORK/kjv-byte" --tokenizer byte
timed train "$BIN" train configs/tiny.yaml --set data.path="$WORK/kjv-byte" --out "$WORK/tiny"
timed sample "$BIN" sample "$WORK/tiny" --prompt 'And God said' --tokens 200 --temperature 0.8 --top-k 50
if [ -n "$FIT_RUNS" ]; then
  timed fit "$BIN" fit "$FIT_RUNS" --law all --flop-convention chinchilla --bootstrap 500 --seed 0 --skip-unfinished \
    --out "$WORK/fit"
fi

mkdir -p bench/results
python3 - "$OUT" "$BIN" "$WORK" "${steps[@]}" <<'PY'
import json, os, platform, subprocess, sys
out, binary, work, *steps = sys.argv[1:]
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
record = {
    "bench": "first_hour",
    "binary": binary,
    "commit": commit,
    "work_dir": work,
    "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                "mem_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)},
    "note": "wall seconds under /usr/bin/time -v; the load average (1, 5, 15 min) is the machine's, other work included",
    "steps": [json.loads(s) for s in steps],
}
with open(out, "w") as f:
    json.dump(record, f, indent=2)
    f.write("\n")
print(out)
PY
