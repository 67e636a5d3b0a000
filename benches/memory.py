#!/usr/bin/env python3
"""Memory benchmark: does callgauge's peak RSS stay flat as a batch grows?

One command: `python3 benches/memory.py` (after `./setup.sh`). It copies the real 11 s speech
clip `jfk.wav` (fixtures/fetch_real_speech.py) into batches of 5 and of each --sizes files,
runs `target/release/callgauge analyze -l en` on each batch under /usr/bin/time (2 jobs, the
default), and prints each batch's peak RSS and its ratio to the 5-file peak. Short calls make
the most allocations per second of audio, so they are the hard case for a flat peak. It
benchmarks; it does not fail on a large ratio.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from side_by_side import MODEL, ROOT, timed

BASE = 5


def peak_rss_kb(callgauge, batch, out):
    wall, rss_mib, _ = timed([callgauge, "analyze", batch, "--out", out, "--model", MODEL,
                              "--language", "en"])
    return round(rss_mib * 1024), wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100], help="batch sizes to compare with 5")
    ap.add_argument("--callgauge", type=Path, default=ROOT / "target" / "release" / "callgauge",
                    help="the binary to measure")
    args = ap.parse_args()
    clip = Path(subprocess.run([sys.executable, ROOT / "fixtures" / "fetch_real_speech.py"],
                               check=True, capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory(prefix="callgauge-memory-") as tmp:
        tmp = Path(tmp)
        print("| files | peak RSS KB | vs 5 files | wall s |")
        print("|---|---|---|---|")
        base = None
        for n in [BASE, *args.sizes]:
            batch = tmp / f"in-{n}"
            batch.mkdir()
            for i in range(n):
                shutil.copyfile(clip, batch / f"call-{i:05}.wav")
            kb, wall = peak_rss_kb(args.callgauge, batch, tmp / f"out-{n}")
            base = base or kb
            print(f"| {n} | {kb} | {kb / base:.3f}× | {wall:.1f} |", flush=True)
            shutil.rmtree(batch)


if __name__ == "__main__":
    main()
