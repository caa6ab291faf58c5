#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with apt), before a GPU session: downloads the .debs of the C++
# libraries scalelab builds against that the GPU machine's image lacks (it has nvcc, CMake, ninja
# and torch, but no spdlog, yaml-cpp, CLI11, GoogleTest, nlohmann-json, SentencePiece, OpenSSL
# headers, gloo headers or pkg-config) into bench/gpu/debs/ (git-ignored). The GPU machine reaches
# no package registry, so the device call carries that folder and bench/gpu/run_on_gpu.sh unpacks
# it with `dpkg -x` into a private prefix: nothing is installed into the image's /.
#
# With --prebuilt BUILD_DIR it also copies that build's scalelab and test binaries into
# bench/gpu/prebuilt/ (git-ignored): this machine's venv holds the same torch wheel as the GPU
# image (2.11.0+cu130, CUDA code paths on), so run_on_gpu.sh can skip its own build and keep the
# device minutes for measuring. It builds there anyway when the torch versions differ.
#
# Usage: bench/gpu/fetch_debs.sh [--prebuilt build-speed]
#   then: run(carry=["bench/gpu/debs", "bench/gpu/prebuilt"], command="bench/gpu/run_on_gpu.sh ...")
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = --prebuilt ]; then
  build=$(cd "../../${2:?--prebuilt needs a build folder}" && pwd -P)
  [ -x "$build/scalelab" ] || { echo "fetch_debs: $build/scalelab is not built" >&2; exit 1; }
  rm -rf prebuilt && mkdir -p prebuilt/tests
  cp "$build/scalelab" prebuilt/
  for t in test_cuda_e2e test_model test_model_kernels test_trainer test_train_e2e; do
    [ -x "$build/tests/$t" ] && cp "$build/tests/$t" prebuilt/tests/
  done
  # The tests carry these absolute paths (SCALELAB_SOURCE_DIR, SCALELAB_BINARY_DIR).
  (cd ../.. && pwd -P) >prebuilt/source_dir
  echo "$build" >prebuilt/build_dir
  "$(tail -1 "$build/venv_path")/bin/python" -c 'import torch; print(torch.__version__)' >prebuilt/torch_version
  echo "[fetch_debs] prebuilt: $(ls prebuilt prebuilt/tests | tr '\n' ' ')(torch $(cat prebuilt/torch_version))" >&2
fi
# Headers, CMake/pkg-config files and the shared libraries they link (dpkg -x does not follow
# dependencies, so runtime packages are listed too). libgloo-dev: headers only (c10d includes them).
PACKAGES=(libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libsentencepiece-dev libsentencepiece0
  libssl-dev libssl3 libgloo-dev liblbfgs-dev liblbfgs0 pkgconf pkgconf-bin libpkgconf3)
rm -rf debs && mkdir -p debs
(cd debs && apt-get download "${PACKAGES[@]}" >&2)
ls debs | sed 's/^/  /' >&2
echo "[fetch_debs] $(ls debs | wc -l) packages, $(du -sh debs | cut -f1) in bench/gpu/debs" >&2
