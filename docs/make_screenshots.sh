#!/usr/bin/env bash
# Regenerates the screenshots in docs/ with headless Chromium (Debian's
# chromium): the HTML report of the README's detect example, and the output
# of a 30-second demo. Run from the repository root: bash docs/make_screenshots.sh
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
shot() { "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size="$2" --screenshot="$3" "file://$1" 2>/dev/null; }

go run ./cmd/driftwatch detect --reference testdata/seattle-weather/2012.csv \
	--current testdata/seattle-weather/2015.csv --output "$tmp/report.html" || true
shot "$tmp/report.html" 1200,1500 docs/report.png

go run ./cmd/driftwatch demo --duration 30s > "$tmp/demo.txt" 2>/dev/null
{
	echo '<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#111;color:#ddd}'
	echo 'pre{font:13px/1.35 "DejaVu Sans Mono",monospace;padding:16px;white-space:pre-wrap}</style><pre>'
	sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' "$tmp/demo.txt"
	echo '</pre>'
} > "$tmp/demo.html"
shot "$tmp/demo.html" 1400,1800 docs/demo.png
ls -l docs/*.png
