#!/usr/bin/env bash
# Times one study's quick sweep from scratch on this machine and records the result: trains
# experiments/<study>/quick.yaml into a fresh folder, fits the study's law, prints the study's
# table (experiments/quick_report.py) and writes raw JSON to bench/results/sweep_<study>_<date>.json
# (machine, load, torch version, commit, the sweep file, every run's N, D, loss and time).
#
# Usage: bash experiments/time_quick.sh STUDY [BUILD_DIR] [JOBS]     e.g. chinchilla build 2
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:?usage: experiments/time_quick.sh chinchilla|kaplan|deepnarrow|transfer [BUILD_DIR] [JOBS]}
build=${2:-build}
jobs=${3:-2}
sweep=experiments/$study/quick.yaml
[ -f "$sweep" ] || { echo "no $sweep" >&2; exit 1; }
stamp=$(date -u +%Y%m%dT%H%M%SZ)
root=runs/timing/$study-$stamp
mkdir -p bench/results "$root"

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
start=$(date +%s.%N)
status=0
"$build/scalelab" sweep "$sweep" --jobs "$jobs" --out-root "$root" 2> >(tee "$root/sweep.log" >&2) || status=$?
end=$(date +%s.%N)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

fits=""
case $study in
  chinchilla) law=approach2 ;;
  kaplan) law=kaplan ;;
  transfer) law=transfer ;;
  *) law="" ;;
esac
if [ -n "$law" ]; then
  "$build/scalelab" fit "$root" --law "$law" --out "$root/fit" --skip-unfinished >&2 && fits="$root/fit/fits.json" || true
fi
commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- experiments 2>/dev/null || commit="$commit+dirty"
out=bench/results/sweep_${study}_$stamp.json
python3 experiments/quick_report.py "$study" "$root" --fits "$fits" --out "$out" --sweep "$sweep" \
  --jobs "$jobs" --wall-s "$(awk "BEGIN { print $end - $start }")" --commit "$commit" \
  --load-before "$load_before" --load-after "$load_after" --sweep-status "$status"
echo "wrote $out" >&2
