#!/usr/bin/env bash
# Data benchmark: `prepare` MB/s (our threads vs SentencePiece's own single-threaded spm_encode on
# the same text with the same model, in the same run) and loader tokens/s. Writes raw JSON to
# bench/results/data_<corpus>_<date>.json with the machine, commit and config.
#
# Usage: bench/bench_data.sh [CORPUS ...]     CORPUS: a name for data/corpora/fetch.sh (default kjv)
#        BUILD=build-data bench/bench_data.sh python
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
REPEATS="${REPEATS:-3}"
corpora=("${@:-kjv}")

cmake --build "$BUILD" --target bench_data -j "$(nproc)" >&2
mkdir -p bench/results
for corpus in "${corpora[@]}"; do
  dir=$(data/corpora/fetch.sh "$corpus" | tail -1)
  work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_bench_data.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "[bench] $corpus: prepare + loader" >&2
  "$BUILD/bench_data" --input "$dir" --work "$work" --repeats "$REPEATS" > "$work/ours.json"

  # spm_encode reads one text stream: the same files, in the same order, concatenated.
  find "$dir" -type f ! -name '.*' -print0 | sort -z | xargs -0 cat > "$work/all.txt"
  bytes=$(stat -c %s "$work/all.txt")
  times=()
  for _ in $(seq "$REPEATS"); do
    start=$(date +%s.%N)
    spm_encode --model "$work/tokenizer.model" --output_format id --minloglevel 1 \
      < "$work/all.txt" > "$work/spm_ids.txt"
    end=$(date +%s.%N)
    times+=("$(awk "BEGIN { print $end - $start }")")
  done
  echo "[bench] $corpus: spm_encode ${times[*]} s" >&2

  out="bench/results/data_${corpus}_$(date -u +%Y%m%dT%H%M%SZ).json"
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
  git diff --quiet HEAD -- data bench 2>/dev/null || commit="$commit+dirty"
  python3 - "$work/ours.json" "$bytes" "$out" "$corpus" "$commit" "${times[@]}" <<'PY'
import json, os, platform, statistics, sys
ours_path, n_bytes, out, corpus, commit, *times = sys.argv[1:]
ours = json.load(open(ours_path))
times = [float(t) for t in times]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((int(l.split()[1]) * 1024 for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
spm = {"tool": "spm_encode (SentencePiece CLI, one thread)", "n_input_bytes": int(n_bytes),
       "seconds_all": times, "mb_per_s_median": int(n_bytes) / 1e6 / statistics.median(times)}
ours_mb_s = ours["prepare_bpe_all_threads"]["encode_mb_per_s_median"]
# The 124M model's appetite at 100% MFU on an H100 (989 TFLOP/s dense bf16, 6N FLOPs per token,
# Kaplan et al. 2020): an upper bound on what one GPU step can consume.
gpu_bound = 989e12 / (6 * 124e6)
result = {
    "benchmark": "data", "corpus": corpus, "commit": commit,
    # Load average at the end: other processes on a shared machine slow every figure down.
    "machine": {"cpu": cpu, "n_cores": os.cpu_count(), "memory_bytes": mem, "os": platform.platform(),
                "loadavg_1_5_15": os.getloadavg()},
    "ours": ours, "spm_encode": spm,
    "summary": {
        "prepare_bpe_mb_per_s": ours_mb_s, "spm_encode_mb_per_s": spm["mb_per_s_median"],
        "prepare_vs_spm_encode": ours_mb_s / spm["mb_per_s_median"],
        "loader_tokens_per_s": ours["loader_uniform"]["tokens_per_s"],
        "gpu_124m_tokens_per_s_bound": gpu_bound,
        "loader_vs_gpu_bound": ours["loader_uniform"]["tokens_per_s"] / gpu_bound,
    },
}
json.dump(result, open(out, "w"), indent=2)
print(json.dumps(result["summary"], indent=2))
print(f"[bench] wrote {out}", file=sys.stderr)
PY
  rm -rf "$work"
  trap - EXIT
done
