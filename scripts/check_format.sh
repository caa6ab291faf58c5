#!/usr/bin/env bash
# Fails when any C++ file differs from what .clang-format makes of it (run `make format` to fix).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "check_format: clang-format is missing (apt-get install clang-format)" >&2; exit 1; }
files=$(git ls-files '*.cpp' '*.h' '*.cu')
if ! clang-format --dry-run --Werror $files; then
  echo "check_format: the files above are not formatted; run \`make format\` and commit" >&2
  exit 1
fi
echo "check_format: $(echo "$files" | wc -w) files formatted ($(clang-format --version))"
