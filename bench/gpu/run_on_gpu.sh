#!/usr/bin/env bash
# Run ON the GPU machine (the device tool's `run`), in the repository root: builds scalelab
# against the image's torch (python3) and nvcc with the C++ libraries that bench/gpu/fetch_debs.sh
# carried, runs the CUDA tests, then the speed benchmark (bench/bench_speed.sh) for a ladder of
# models next to the PyTorch reference (eager and torch.compile) on the same GPU.
#
# Phases (any order; each one builds first if build-gpu/ lacks the binaries, so every call stands
# alone on a fresh machine):
#   build        unpack the debs into $DEPS; use bench/gpu/prebuilt/ when fetch_debs.sh --prebuilt
#                filled it for this torch version (REBUILD=1: never), else configure build-gpu/
#                (Release, Ninja) and build
#   test         tests/test_cuda_e2e (flash backend, CUDA bf16 vs CPU fp32 loss) + the trainer tests
#   bench RUNG.. bench_speed.sh on cuda for the rungs named (default: gpt-1m gpt-10m gpt-50m
#                gpt-124m gpt-350m); raw JSON to bench/results/ and to $OUT. The demo's shapes
#                against eager and torch.compile (issue 29's single-model comparison, on the GPU):
#                bench l1-d16 l2-d32 l4-d128
#   packed       bench/bench_packed.sh on cuda (K runs of the demo's shapes alone vs one pack; K=8
#                unless K is set): issue 29's packed runs where per-call overhead is what packing
#                removes
#
# Here first: cmake --build build-speed -j1 --target scalelab test_cuda_e2e   (the current tree)
#             bench/gpu/fetch_debs.sh --prebuilt build-speed
# One device call runs at most 10 minutes, and a machine idle for 30 s is given back (a fresh one
# rebuilds: ~3-5 minutes without the prebuilt binaries). Split the ladder:
#   run(carry=["bench/gpu/debs", "bench/gpu/prebuilt"], timeout_s=600,
#       command="bench/gpu/run_on_gpu.sh build test bench gpt-1m gpt-10m")
#   run(carry=[...same...], timeout_s=600, command="bench/gpu/run_on_gpu.sh bench gpt-50m gpt-124m")
#   run(carry=[...same...], timeout_s=600, command="bench/gpu/run_on_gpu.sh bench gpt-350m")
#   run(carry=[...same...], timeout_s=600, command="bench/gpu/run_on_gpu.sh bench l1-d16 l2-d32 l4-d128")
#   run(carry=[...same...], timeout_s=600, command="bench/gpu/run_on_gpu.sh packed")
# env: DEPS (default /tmp/scalelab-deps), JOBS (default nproc), STEPS/WARMUP/REPEATS/MODES/CHECK_STEPS
# (passed to bench_speed.sh), TESTS (test binaries to run).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=build-gpu
DEPS="${DEPS:-/tmp/scalelab-deps}"
JOBS="${JOBS:-$(nproc)}"
OUT="${OUT:-}"
TESTS="${TESTS:-test_cuda_e2e test_model test_model_kernels test_trainer test_train_e2e}"
TARGETS=(scalelab test_cuda_e2e test_model test_model_kernels test_trainer test_train_e2e)
log() { echo "[gpu] $*" >&2; }
save() { [ -n "$OUT" ] && cp "$@" "$OUT/" 2>/dev/null; true; }

ARCH_LIB="$DEPS/usr/lib/x86_64-linux-gnu"
export LD_LIBRARY_PATH="$ARCH_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_PATH="$ARCH_LIB/pkgconfig:$DEPS/usr/share/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$DEPS"  # the .pc files say prefix=/usr; this maps them into $DEPS
export PATH="${CUDA_HOME:-/usr/local/cuda}/bin:$PATH"
# The image's LibTorch (prebuilt binaries carry this machine's venv path as their RUNPATH).
TORCH_LIB=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$TORCH_LIB"

unpack() {
  [ -f "$DEPS/.done" ] && return
  ls bench/gpu/debs/*.deb >/dev/null 2>&1 ||
    { log "bench/gpu/debs/ is empty: run bench/gpu/fetch_debs.sh here and carry bench/gpu/debs"; exit 1; }
  mkdir -p "$DEPS"
  for f in bench/gpu/debs/*.deb; do dpkg -x "$f" "$DEPS" || exit 1; done
  touch "$DEPS/.done"
  log "unpacked $(ls bench/gpu/debs/*.deb | wc -l) packages into $DEPS"
}

# Binaries from fetch_debs.sh --prebuilt: same torch wheel, so they run here as built. The tests
# hold absolute paths to the checkout and build folder they were built in; recreate those.
use_prebuilt() {
  local pre=bench/gpu/prebuilt src build want have
  [ "${REBUILD:-0}" != 1 ] && [ -x "$pre/scalelab" ] || return 1
  src=$(cat "$pre/source_dir"); build=$(cat "$pre/build_dir"); want=$(cat "$pre/torch_version")
  have=$(python3 -c 'import torch; print(torch.__version__)')
  [ "$want" = "$have" ] || { log "prebuilt binaries are for torch $want, this image has $have: building"; return 1; }
  if [ "$(cd "$src" 2>/dev/null && pwd -P)" != "$(pwd -P)" ]; then
    [ -e "$src" ] && { log "$src exists and is not this checkout: building"; return 1; }
    mkdir -p "$(dirname "$src")" && ln -s "$(pwd -P)" "$src"
  fi
  mkdir -p "$build/tests" && cp "$pre/scalelab" "$build/" && cp "$pre"/tests/* "$build/tests/" || return 1
  "$build/scalelab" --help >/dev/null 2>&1 || { log "prebuilt scalelab does not start here: building"; return 1; }
  BUILD=$build
  log "using the prebuilt binaries (torch $have) in $BUILD"
}

build() {
  unpack
  [ "$BUILD" != build-gpu ] && return  # prebuilt, already in place
  use_prebuilt && return
  local have=1
  for t in scalelab tests/test_cuda_e2e; do [ -x "$BUILD/$t" ] || have=0; done
  [ "$have" = 1 ] && [ "${1:-}" != force ] && return
  local torch_prefix pkgconf
  torch_prefix=$(python3 -c 'import torch.utils; print(torch.utils.cmake_prefix_path)') || exit 1
  pkgconf=$(command -v pkg-config || echo "$DEPS/usr/bin/pkgconf")
  log "torch $(python3 -c 'import torch; print(torch.__version__)') at $torch_prefix; nvcc: $(command -v nvcc); g++ $(g++ -dumpversion 2>/dev/null || echo missing)"
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$torch_prefix;$DEPS/usr" -DPKG_CONFIG_EXECUTABLE="$pkgconf" \
      -DOPENSSL_ROOT_DIR="$DEPS/usr" -DSCALELAB_PYTHON="$(command -v python3)" \
      -DCMAKE_CUDA_ARCHITECTURES=90 >"$BUILD.configure.log" 2>&1 ||
      { tail -40 "$BUILD.configure.log"; save "$BUILD.configure.log"; exit 1; }
  fi
  local start=$SECONDS
  cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]}" >"$BUILD.build.log" 2>&1 ||
    { grep -E "error|Error" "$BUILD.build.log" | head -30; save "$BUILD.build.log"; exit 1; }
  log "built ${TARGETS[*]} in $((SECONDS - start)) s"
}

run_tests() {
  build
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv >&2 2>/dev/null || true
  local failed=0
  for t in $TESTS; do
    [ -x "$BUILD/tests/$t" ] || { log "$t: not built, skipped"; continue; }
    log "$t"
    (cd "$BUILD" && "./tests/$t" --gtest_brief=1) >"$BUILD.$t.log" 2>&1 || failed=1
    grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[cuda\]|Failure|FAILED|Expected|Which is|gets " "$BUILD.$t.log" | head -40 >&2
  done
  cat "$BUILD".test_*.log >"$BUILD.tests.log"
  save "$BUILD.tests.log"
  if [ "$failed" = 0 ]; then log "tests passed"; else log "SOME TESTS FAILED (full log: $BUILD.tests.log)"; fi
  return $failed
}

run_bench() {
  build
  local before after
  before=$(ls bench/results/speed_*.json 2>/dev/null | sort)
  BUILD="$BUILD" SKIP_BUILD=1 DEVICE=cuda PYTHON=python3 THREADS="${THREADS:-$JOBS}" bash bench/bench_speed.sh "$@" ||
    { log "benchmark failed"; return 1; }
  after=$(ls bench/results/speed_*.json 2>/dev/null | sort)
  for f in $(comm -13 <(echo "$before") <(echo "$after")); do save "$f"; done
}

run_packed() {
  build
  local before after
  before=$(ls bench/results/packed_*.json 2>/dev/null | sort)
  DEVICE=cuda K="${K:-8}" bash bench/bench_packed.sh "$BUILD/scalelab" || { log "packed benchmark failed"; return 1; }
  after=$(ls bench/results/packed_*.json 2>/dev/null | sort)
  for f in $(comm -13 <(echo "$before") <(echo "$after")); do save "$f"; done
}

[ $# -gt 0 ] || set -- build test bench
status=0
while [ $# -gt 0 ]; do
  phase=$1; shift
  case "$phase" in
    build) build force || status=1 ;;
    test) run_tests || status=1 ;;
    bench)
      rungs=()
      while [ $# -gt 0 ] && [[ "$1" != build && "$1" != test && "$1" != bench && "$1" != packed ]]; do rungs+=("$1"); shift; done
      run_bench "${rungs[@]}" || status=1 ;;
    packed) run_packed || status=1 ;;
    *) log "unknown phase '$phase' (build | test | bench [rung ...] | packed)"; exit 1 ;;
  esac
done
exit $status
