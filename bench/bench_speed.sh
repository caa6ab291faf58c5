#!/usr/bin/env bash
# Speed benchmark: `scalelab train` next to a PyTorch reference of the identical model
# (bench/reference_gpt.py, eager and torch.compile) in the same call, on the same device, batch,
# T and thread count, on the same random-token dataset. Per rung of a model ladder it
#   1. checks that the two trainers are the same computation: from the same seed both start from
#      identical weights, and on a periodic dataset every batch is the same rows, so their loss
#      traces over CHECK_STEPS steps must agree (fp32: ~1e-5; bf16: a few 1e-2);
#   2. times WARMUP untimed then STEPS timed steps of each implementation, REPEATS times,
#      interleaved in ABBA order (ours eager compile, compile eager ours, ...), and keeps the
#      median tokens/s.
# MFU is PaLM's 6N + 12LHQT training FLOPs per token (`scalelab flops`, convention palm) times
# tokens/s over the device's table peak (GPUs in model/hardware.h) and over the matmul peak that
# `scalelab train --measure-peak` measures on the device itself. On CPU, where other load moves
# wall-clock figures, each run is also measured in CPU seconds per timed step: ours as the
# difference of a full run and a WARMUP-step twin, the reference's by its own clock over its timed
# steps (free of compilation time).
# Raw results: bench/results/speed_<device>_<UTC date>.json; a table is printed last.
#
# Usage: bench/bench_speed.sh [rung ...]        rungs: l1-d16 l2-d32 l4-d128 (the demo's shapes, byte
#        vocabulary, T = 128, B = 8) debug tiny gpt-1m gpt-10m gpt-50m gpt-124m gpt-350m
#   The single-model comparison with torch.compile (issue 29), one thread each:
#        MODES="eager compile" THREADS=1 bench/bench_speed.sh l1-d16 l2-d32 l4-d128
#   env: DEVICE=cpu|cuda (default: cuda when torch sees one), BUILD=build, THREADS (default: nproc),
#        WARMUP, STEPS, REPEATS, CHECK_STEPS (0 = skip the check), MODES ("eager compile"; CPU:
#        "eager"), PYTHON (default: the venv in $BUILD/venv_path, else python3), SKIP_BUILD=1,
#        RESULTS_DIR (default bench/results), OURS_ENV (VAR=value ... set for the timed `scalelab train`
#        runs only: tries a setting before it goes into the code, e.g. glibc's malloc tunables).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
if [ -z "${PYTHON:-}" ]; then
  PYTHON=python3
  [ -f "$BUILD/venv_path" ] && [ -x "$(tail -1 "$BUILD/venv_path")/bin/python" ] && PYTHON="$(tail -1 "$BUILD/venv_path")/bin/python"
fi
if [ -z "${DEVICE:-}" ]; then
  DEVICE=$("$PYTHON" -c 'import torch; print("cuda" if torch.cuda.is_available() else "cpu")')
fi
THREADS="${THREADS:-$(nproc)}"
if [ "$DEVICE" = cpu ]; then
  default_rungs="debug tiny gpt-1m"; WARMUP="${WARMUP:-5}"; STEPS="${STEPS:-30}"; REPEATS="${REPEATS:-3}"
  MODES="${MODES:-eager}"
else
  default_rungs="gpt-1m gpt-10m gpt-50m gpt-124m gpt-350m"; WARMUP="${WARMUP:-10}"; STEPS="${STEPS:-50}"
  REPEATS="${REPEATS:-1}"; MODES="${MODES:-eager compile}"
fi
CHECK_STEPS="${CHECK_STEPS:-10}"
read -r -a ours_env <<<"${OURS_ENV:-}"
LOG_EVERY=5  # ours' metrics lines (and the reference's loss read-backs) come every LOG_EVERY steps
RESULTS_DIR="${RESULTS_DIR:-bench/results}"
rungs=("$@")
[ ${#rungs[@]} -gt 0 ] || read -r -a rungs <<<"$default_rungs"
STEPS0=$STEPS
((WARMUP % LOG_EVERY == 0 && STEPS % LOG_EVERY == 0 && WARMUP > 0)) ||
  { echo "bench_speed: WARMUP and STEPS must be positive multiples of $LOG_EVERY" >&2; exit 1; }

# rung -> "config batch_size(cpu) batch_size(cuda) cpu_steps_factor [key=value ...]"; ~N total
# parameters in the comment. On CPU, small models take factor x STEPS timed steps, so that the timed
# steps' CPU time stands well above the noise of process start-up (see the CPU-time pairs below).
# key=value pairs are --set overrides of the config (ours; the reference reads ours' summary.json).
declare -A ladder=(
  [l1-d16]="configs/tiny.yaml 8 8 10 model.n_layer=1 model.n_embd=16 model.n_head=2"   # 7.5K
  [l2-d32]="configs/tiny.yaml 8 8 4 model.n_layer=2 model.n_embd=32 model.n_head=4"    # 35K
  [l4-d128]="configs/tiny.yaml 8 8 1 model.n_layer=4 model.n_embd=128 model.n_head=4"  # 0.84M
  [debug]="configs/debug.yaml 8 8 10"              # 10.8K
  [tiny]="configs/tiny.yaml 16 16 2"               # 0.2M
  [gpt-1m]="configs/ladder/gpt-1m.yaml 8 32 1"     # 1.3M (0.8M non-embedding)
  [gpt-10m]="configs/ladder/gpt-10m.yaml 4 32 1"   # 12M
  [gpt-50m]="configs/ladder/gpt-50m.yaml 2 16 1"   # 63M
  [gpt-124m]="configs/ladder/gpt-124m.yaml 1 16 1" # 124M, T = 1024
  [gpt-350m]="configs/ladder/gpt-350m.yaml 1 8 1"  # 355M, T = 1024
)
for r in "${rungs[@]}"; do [ -n "${ladder[$r]:-}" ] || { echo "bench_speed: unknown rung '$r'" >&2; exit 1; }; done

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  [ -f "$BUILD/build.ninja" ] || make configure BUILD="$BUILD" >&2
  cmake --build "$BUILD" -j "${JOBS:-1}" --target scalelab >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/scalelab_bench_speed.XXXXXX")
trap 'rm -rf "$work"' EXIT
ref=(bench/reference_gpt.py)
cpu_run() {  # cpu_run FILE COMMAND...: runs COMMAND; writes its user + system CPU seconds to FILE
  "$PYTHON" -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime + r.ru_stime}\n")
sys.exit(rc)' "$@"
}
echo "[bench] device $DEVICE, threads $THREADS, warmup $WARMUP, steps $STEPS, repeats $REPEATS, modes: ours $MODES" >&2

entries=()
for rung in "${rungs[@]}"; do
  read -r config b_cpu b_cuda factor overrides <<<"${ladder[$rung]}"
  B=$b_cpu; STEPS=$STEPS0; [ "$DEVICE" = cpu ] && STEPS=$((STEPS0 * factor)) || B=$b_cuda
  common=()
  for kv in $overrides; do common+=(--set "$kv"); done
  common+=(--set train.batch_size="$B" --set train.micro_batch_size=0 --set train.device="$DEVICE"
    --set train.threads="$THREADS" --set eval.every=0 --set eval.n_batches=1 --set checkpoint.every=0
    --set train.tokens=0 --set train.flops=0)
  T=$(grep -E '^\s+block_size:' "$config" | awk '{print $2}')
  vocab=$(grep -E '^\s+vocab_size:' "$config" | awk '{print $2}')
  dir="$work/$rung"; mkdir -p "$dir"
  "$BUILD/scalelab" flops --config "$config" "${common[@]}" --json >"$dir/flops.json"

  if ((CHECK_STEPS > 0)); then
    echo "[bench] $rung: equivalence check over $CHECK_STEPS steps" >&2
    "$PYTHON" "${ref[@]}" make-data --out "$dir/periodic" --vocab-size "$vocab" --period "$T" \
      --train-tokens $((T * 64 + 1)) >/dev/null
    "$BUILD/scalelab" train "$config" "${common[@]}" --set data.path="$dir/periodic" \
      --set train.steps="$CHECK_STEPS" --set log.every=1 --out "$dir/check-ours" >"$dir/check-ours.log" 2>&1 ||
      { cat "$dir/check-ours.log" >&2; exit 1; }
    "$PYTHON" "${ref[@]}" train --config "$dir/check-ours/summary.json" --data "$dir/periodic" \
      --warmup 0 --steps "$CHECK_STEPS" --log-every 1 --json "$dir/check-ref.json" 2>"$dir/check-ref.log" ||
      { tail -30 "$dir/check-ref.log" >&2; exit 1; }
  fi

  # Enough random tokens that no timed row repeats: (WARMUP + STEPS) * B rows of T + 1.
  "$PYTHON" "${ref[@]}" make-data --out "$dir/data" --vocab-size "$vocab" \
    --train-tokens $(((WARMUP + STEPS) * B * (T + 1) + T + 1)) >/dev/null
  echo "$STEPS" >"$dir/steps"
  # The device's matmul peak, once per rung, in a run of its own: its time-bounded loop would
  # otherwise add a load-dependent amount of CPU time to the timed runs below.
  "$BUILD/scalelab" train "$config" "${common[@]}" --set data.path="$dir/data" --set train.steps=$LOG_EVERY \
    --set log.every=$LOG_EVERY --measure-peak --out "$dir/peak" >"$dir/peak.log" 2>&1 || { cat "$dir/peak.log" >&2; exit 1; }
  for rep in $(seq 1 "$REPEATS"); do
    order=(ours $MODES)
    ((rep % 2)) || order=($(printf '%s\n' "${order[@]}" | tac))  # ABBA: drifting load hits both alike
    for impl in "${order[@]}"; do
      echo "[bench] $rung: $impl (repeat $rep of $REPEATS), B = $B, T = $T" >&2
      # On CPU ours is paired with a short run of WARMUP steps: their CPU-time difference is the
      # CPU seconds of the timed steps alone, a figure that other load on the machine moves less
      # than wall-clock tokens/s (the reference times its CPU seconds itself).
      for len in full short; do
        [ "$len" = short ] && { [ "$DEVICE" != cpu ] || [ "$impl" != ours ]; } && continue
        name="$impl-$rep"; n_steps=$((WARMUP + STEPS)); ref_warmup=$WARMUP; ref_steps=$STEPS
        if [ "$len" = short ]; then
          name="short-$name"; n_steps=$WARMUP; ref_warmup=$((WARMUP - LOG_EVERY)); ref_steps=$LOG_EVERY
        fi
        if [ "$impl" = ours ]; then
          cpu_run "$dir/$name.cpu" env "${ours_env[@]}" "$BUILD/scalelab" train "$config" "${common[@]}" --set data.path="$dir/data" \
            --set train.steps=$n_steps --set log.every=$LOG_EVERY \
            --out "$dir/$name" >"$dir/$name.log" 2>&1 || { cat "$dir/$name.log" >&2; exit 1; }
        else
          cpu_run "$dir/$name.cpu" "$PYTHON" "${ref[@]}" train --config "$dir/ours-1/summary.json" \
            --set train.steps=$n_steps --mode "$impl" --data "$dir/data" --warmup $ref_warmup --steps $ref_steps \
            --log-every $LOG_EVERY --json "$dir/$name.json" 2>"$dir/$name.log" || { tail -30 "$dir/$name.log" >&2; exit 1; }
        fi
      done
    done
  done
  entries+=("$rung=$dir")
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo none)
git diff --quiet HEAD -- model trainer data bench 2>/dev/null || commit="$commit+dirty"
mkdir -p "$RESULTS_DIR"
OURS_ENV="${OURS_ENV:-}" "$PYTHON" - "$RESULTS_DIR" "$commit" "$DEVICE" "$THREADS" "$WARMUP" "$STEPS" "$REPEATS" "$CHECK_STEPS" "$MODES" \
  "${entries[@]}" <<'PY'
import glob, json, os, platform, re, statistics, sys, time
import torch

out_dir, commit, device, threads, warmup, steps, repeats, check_steps, modes, *entries = sys.argv[1:]
warmup, steps, check_steps = int(warmup), int(steps), int(check_steps)
modes = modes.split()


def ours_tokens_per_s(run):
    # metrics.jsonl lines after the warm-up: equal token intervals, so the harmonic mean of their
    # rates is timed tokens over timed seconds. Final eval and checkpoint fall outside them.
    lines = [json.loads(l) for l in open(os.path.join(run, "metrics.jsonl"))]
    rates = [l["tokens_per_s"] for l in lines if l.get("kind") == "train" and l["step"] > warmup]
    return len(rates) / sum(1.0 / r for r in rates)


rows = []
for entry in entries:
    rung, d = entry.split("=", 1)
    steps = int(open(os.path.join(d, "steps")).read())
    flops = json.load(open(os.path.join(d, "flops.json")))
    palm = flops["training_flops"]["palm"]["per_token"]
    summary = json.load(open(os.path.join(d, "ours-1", "summary.json")))
    peak = json.load(open(os.path.join(d, "peak", "summary.json")))
    peak_table, peak_measured = peak["peak_flops"], peak["measured_peak_flops"]
    row = {"model": rung, "timed_steps": steps, "params_total": flops["params"]["total"],
           "params_non_embedding": flops["params"]["non_embedding"], "palm_flops_per_token": palm,
           "batch_size": summary["config"]["train"]["batch_size"],
           "block_size": summary["config"]["model"]["block_size"], "precision": summary["precision"],
           "peak_flops_table": peak_table, "peak_flops_measured": peak_measured,
           "config": summary["config"], "impl": {}}
    samples = {"ours": [ours_tokens_per_s(r) for r in sorted(glob.glob(os.path.join(d, "ours-*"))) if os.path.isdir(r)]}
    extra = {}
    for mode in modes:
        results = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(d, f"{mode}-*.json")))]
        samples[mode] = [r["tokens_per_s"] for r in results]
        extra[mode] = {"warmup_seconds": [r["warmup_seconds"] for r in results],
                       "peak_memory_bytes": [r["peak_memory_bytes"] for r in results],
                       # the process's own CPU time over its timed steps: free of compilation, which
                       # the twin difference below is not when the FX cache serves one twin only
                       "cpu_seconds_per_step_in_loop": [r["timed_cpu_seconds"] / r["timed_steps"] for r in results]}
    for impl, s in samples.items():
        tps = statistics.median(s)
        # CPU: CPU seconds of the full run minus those of its WARMUP-step twin, per timed step.
        cpu = [(float(open(f).read()) - float(open(os.path.join(d, "short-" + os.path.basename(f))).read())) / steps
               for f in sorted(glob.glob(os.path.join(d, f"{impl}-*.cpu")))
               if os.path.exists(os.path.join(d, "short-" + os.path.basename(f)))]
        if impl in extra:
            cpu = extra[impl]["cpu_seconds_per_step_in_loop"]
        row["impl"][impl] = {"tokens_per_s": tps, "samples": s,
                             "mfu_table": tps * palm / peak_table if peak_table else None,
                             "mfu_measured_peak": tps * palm / peak_measured if peak_measured else None,
                             # <= 0 when start-up noise swamps the timed steps: no figure then
                             "cpu_seconds_per_step": statistics.median(cpu) if cpu and min(cpu) > 0 else None,
                             "cpu_seconds_per_step_samples": cpu, **extra.get(impl, {})}
    for mode in modes:
        ours, other = row["impl"]["ours"], row["impl"][mode]
        row[f"ours_over_{mode}"] = ours["tokens_per_s"] / other["tokens_per_s"]
        if ours["cpu_seconds_per_step"] and other["cpu_seconds_per_step"]:
            row[f"ours_over_{mode}_cpu_time"] = other["cpu_seconds_per_step"] / ours["cpu_seconds_per_step"]
    if check_steps:
        ours_loss = [json.loads(l)["loss"] for l in open(os.path.join(d, "check-ours", "metrics.jsonl"))
                     if json.loads(l).get("kind") == "train"]
        ref_loss = [l for _, l in json.load(open(os.path.join(d, "check-ref.json")))["losses"]]
        diff = max(abs(a - b) for a, b in zip(ours_loss, ref_loss))
        tol = 1e-3 if summary["precision"] == "fp32" else 5e-2
        row["equivalence"] = {"steps": check_steps, "ours": ours_loss, "reference": ref_loss,
                              "max_abs_diff": diff, "tolerance": tol, "pass": diff <= tol and len(ours_loss) == len(ref_loss)}
    rows.append(row)

dev_name = summary["device"]
tag = "cpu" if dev_name == "cpu" else re.sub(r"[^a-z0-9]+", "-", dev_name.lower()).strip("-")
cpu_name = platform.processor() or platform.machine()
if os.path.exists("/proc/cpuinfo"):
    names = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")]
    cpu_name = names[0] if names else cpu_name
result = {"benchmark": "speed", "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
          "machine": platform.node(), "cpu": cpu_name, "nproc": os.cpu_count(),
          "loadavg_1_5_15": os.getloadavg(), "device": dev_name, "threads": int(threads),
          "torch_version_ours": summary["torch_version"], "torch_version_python": torch.__version__,
          "cuda_version_python": torch.version.cuda, "commit": commit, "warmup_steps": warmup,
          "repeats": int(repeats), "tokens_per_s": "median over repeats", "ours_env": os.environ.get("OURS_ENV", ""),
          "results": rows}
path = os.path.join(out_dir, f"speed_{tag}_{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json")
json.dump(result, open(path, "w"), indent=1)

pct = lambda x: f"{100 * x:.1f}%" if x is not None else "n/a"
head = (f"{'model':9} {'N':>10} {'B x T':>10} {'impl':8} {'tokens/s':>11} {'MFU table':>10} {'MFU meas.':>10} "
        f"{'ours/impl':>9} {'CPU ms/step':>12} {'ours/impl CPU':>13}")
print(f"device {dev_name}, threads {threads}, torch {summary['torch_version']} (ours) / {torch.__version__} (Python), "
      f"commit {commit}, load {os.getloadavg()[0]:.1f}")
print(head)
for r in rows:
    for impl, v in r["impl"].items():
        ratio = "" if impl == "ours" else f"{r[f'ours_over_{impl}']:.2f}x"
        cpu = f"{1e3 * v['cpu_seconds_per_step']:.1f}" if v["cpu_seconds_per_step"] else "n/a"
        cpu_ratio = f"{r[f'ours_over_{impl}_cpu_time']:.2f}x" if f"ours_over_{impl}_cpu_time" in r else ""
        print(f"{r['model']:9} {r['params_total']:>10} {str(r['batch_size']) + 'x' + str(r['block_size']):>10} {impl:8} "
              f"{v['tokens_per_s']:>11.0f} {pct(v['mfu_table']):>10} {pct(v['mfu_measured_peak']):>10} {ratio:>9} "
              f"{cpu:>12} {cpu_ratio:>13}")
    if "equivalence" in r:
        e = r["equivalence"]
        print(f"{'':9} loss traces ours vs reference over {e['steps']} steps: max |diff| {e['max_abs_diff']:.2e} "
              f"(tolerance {e['tolerance']:g}) {'ok' if e['pass'] else 'MISMATCH'}")
print(f"raw results: {path}")
PY
