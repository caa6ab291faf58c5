#!/usr/bin/env bash
# Fails when any of the given binaries loads LibTorch (libtorch*.so or libc10*.so): the sweep
# runner, the run-folder contract, the core and the analysis are torch-free by design.
set -euo pipefail
status=0
for binary in "$@"; do
  if ldd "$binary" | grep -E 'libtorch|libc10' >/dev/null; then
    echo "FAIL: $binary links LibTorch:"; ldd "$binary" | grep -E 'libtorch|libc10'
    status=1
  else
    echo "ok: $binary does not link LibTorch"
  fi
done
exit $status
