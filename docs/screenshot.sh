#!/usr/bin/env bash
# A screenshot of a scalelab report in headless Chromium, at the width a reader's window has:
#   bash docs/screenshot.sh REPORT_HTML OUT_PNG [HEIGHT]
# e.g. after `build/scalelab study experiments/demo/study.yaml`:
#   bash docs/screenshot.sh runs/demo/study/report/report.html docs/report_screenshot.png
# The window is 1400 px wide (issue 27: every legend legible at that width) and HEIGHT px tall
# (default 3400: the headline, the IsoFLOP profiles and the allocation panels). Needs chromium
# (Debian: sudo apt-get install -y chromium).
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: bash docs/screenshot.sh REPORT_HTML OUT_PNG [HEIGHT]" >&2
  exit 2
fi
html=$1 out=$2 height=${3:-3400}
[[ -f $html ]] || { echo "screenshot: $html: no such report" >&2; exit 1; }
[[ $height =~ ^[0-9]+$ && $height -ge 200 ]] || { echo "screenshot: HEIGHT '$height' must be a whole number of pixels >= 200" >&2; exit 1; }
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[[ -n $browser ]] || { echo "screenshot: no chromium found (sudo apt-get install -y chromium)" >&2; exit 1; }
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
mkdir -p "$(dirname "$out")"
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
url="file://$(cd "$(dirname "$html")" && pwd)/$(basename "$html")"
"$browser" --headless --disable-gpu --no-sandbox --hide-scrollbars --force-device-scale-factor=1 \
  --user-data-dir="$profile" --window-size=1400,"$height" --screenshot="$out_abs" "$url" \
  > "$profile/chromium.log" 2>&1 || { cat "$profile/chromium.log" >&2; exit 1; }
[[ -s $out_abs ]] || { echo "screenshot: chromium wrote no $out_abs" >&2; cat "$profile/chromium.log" >&2; exit 1; }
echo "wrote $out (1400 x $height px) from $html"
