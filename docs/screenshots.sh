#!/usr/bin/env bash
# Regenerates the README's pictures of the HTML report with headless Chromium (after ./setup.sh):
#   docs/report-index.png  the team page of a simulated team (benches/simulate_team.py)
#   docs/report-call.png   the page of a real fixture call (en_ulaw8k_crosstalk)
# One command: docs/screenshots.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cargo build --release --locked
bin=./target/release/callgauge
[[ -f out/en_ulaw8k_crosstalk.json ]] || "$bin" analyze fixtures --out out
python3 benches/simulate_team.py --out target/sim
"$bin" report target/sim/calls --metadata target/sim/metadata.csv --out target/sim/report
"$bin" report out --out target/fixtures-report
python3 tests/browser.py shot target/sim/report/index.html docs/report-index.png --height 1650
python3 tests/browser.py shot target/fixtures-report/calls/en_ulaw8k_crosstalk.html docs/report-call.png --height 1250
echo "docs/report-index.png and docs/report-call.png rewritten"
