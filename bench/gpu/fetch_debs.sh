#!/usr/bin/env bash
# Run HERE (a Debian 12 machine with apt), before a GPU session: downloads the .debs of the C++
# libraries scalelab builds against that the GPU machine's image lacks (it has nvcc, CMake, ninja
# and torch, but no spdlog, yaml-cpp, CLI11, GoogleTest, nlohmann-json, SentencePiece, OpenSSL
# headers, gloo headers or pkg-config) into bench/gpu/debs/ (git-ignored). The GPU machine reaches
# no package registry, so the device call carries that folder and bench/gpu/run_on_gpu.sh unpacks
# it with `dpkg -x` into a private prefix: nothing is installed into the image's /.
#
# Usage: bench/gpu/fetch_debs.sh      then: run(carry=["bench/gpu/debs"], command="bench/gpu/run_on_gpu.sh ...")
set -euo pipefail
cd "$(dirname "$0")"
# Headers, CMake/pkg-config files and the shared libraries they link (dpkg -x does not follow
# dependencies, so runtime packages are listed too). libgloo-dev: headers only (c10d includes them).
PACKAGES=(libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7
  nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libsentencepiece-dev libsentencepiece0
  libssl-dev libssl3 libgloo-dev liblbfgs-dev liblbfgs0 pkgconf pkgconf-bin libpkgconf3)
rm -rf debs && mkdir -p debs
(cd debs && apt-get download "${PACKAGES[@]}" >&2)
ls debs | sed 's/^/  /' >&2
echo "[fetch_debs] $(ls debs | wc -l) packages, $(du -sh debs | cut -f1) in bench/gpu/debs" >&2
