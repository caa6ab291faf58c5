#!/usr/bin/env bash
# Installs what scalelab needs, idempotently: Debian packages and torch==2.11.0 in a venv under the
# user's cache (outside the clone, so a fresh clone does not download LibTorch again).
# Prints the venv path on the last line of stdout; everything else goes to stderr.
set -euo pipefail

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/scalelab"
VENV="${SCALELAB_VENV:-$CACHE/venv}"
TORCH_VERSION="2.11.0"
APT_PACKAGES=(cmake ninja-build g++ libspdlog-dev libyaml-cpp-dev libgtest-dev libgmock-dev libcli11-dev
  nlohmann-json3-dev libsentencepiece-dev sentencepiece libssl-dev gnuplot-nox liblbfgs-dev python3-venv
  libgloo-dev clang-format zlib1g-dev)

log() { echo "[setup] $*" >&2; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >&2
fi

torch_ok() { "$VENV/bin/python" -c "import torch,sys; sys.exit(torch.__version__.split('+')[0] != '$TORCH_VERSION')" 2>/dev/null; }
if ! torch_ok; then
  log "creating venv $VENV with torch==$TORCH_VERSION (a few GB, once)"
  mkdir -p "$CACHE"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "torch==$TORCH_VERSION" numpy >&2
  torch_ok || { log "torch==$TORCH_VERSION did not install into $VENV"; exit 1; }
fi
# What the tests check the exports and logs with (transformers, tensorboard...), and what a user
# loads them with: small next to torch, installed once.
PY_PACKAGES=(transformers safetensors sentencepiece protobuf tensorboard)
if ! "$VENV/bin/python" -c 'import transformers, safetensors, sentencepiece, google.protobuf, tensorboard' 2>/dev/null; then
  log "installing into $VENV: ${PY_PACKAGES[*]}"
  "$VENV/bin/pip" install -q "${PY_PACKAGES[@]}" >&2
fi
echo "$VENV"
