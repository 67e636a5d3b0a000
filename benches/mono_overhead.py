#!/usr/bin/env python3
"""What diarization adds to a mono call's wall time, side by side.

One command: `python3 benches/mono_overhead.py` (after `./setup.sh`; needs sox). It mixes the
stereo fixtures (`fixtures/*_pcm16k.wav`, `*_ulaw8k_crosstalk.wav`; add more with --inputs,
e.g. the variants of `fixtures/generate.py --variants 3 --out target/corpus`) down to mono,
then runs `target/release/callgauge analyze` over them at its defaults and with
`--no-diarize`, alternating, --rounds times each, and prints the batch wall times, their ratio
and the per-call share of `timings_s.diarize`. It measures; it fails only if a run fails.
Run it with nothing else on the machine.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "callgauge"


def mix(src, dst):
    subprocess.run(["sox", str(src), "-b", "16", "-e", "signed-integer", str(dst),
                    "remix", "1v0.5,2v0.5"], check=True)


def run(inputs, out, extra):
    t = time.monotonic()
    p = subprocess.run([str(BIN), "analyze", str(inputs), "--out", str(out), "--force", *extra],
                       capture_output=True, text=True)
    wall = time.monotonic() - t
    if p.returncode != 0:
        sys.exit(f"mono_overhead: callgauge failed:\n{p.stderr}")
    return wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inputs", type=Path, nargs="*", default=[])
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    stereo = sorted((ROOT / "fixtures").glob("*_pcm16k.wav")) \
        + sorted((ROOT / "fixtures").glob("*_ulaw8k_crosstalk.wav")) + args.inputs
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inputs = tmp / "in"
        inputs.mkdir()
        for f in stereo:
            mix(f, inputs / f.name)
        walls = {"diarized": [], "no-diarize": []}
        for _ in range(args.rounds):
            walls["no-diarize"].append(run(inputs, tmp / "plain", ["--no-diarize"]))
            walls["diarized"].append(run(inputs, tmp / "diarized", []))
        shares = []
        for doc in sorted((tmp / "diarized").glob("*.json")):
            d = json.loads(doc.read_text())
            if "timings_s" in d and d.get("mode") == "mono":
                t = d["timings_s"]
                shares.append(t["diarize"] / (t["total"] - t["diarize"]))
    plain, diar = statistics.median(walls["no-diarize"]), statistics.median(walls["diarized"])
    print(json.dumps({
        "calls": len(stereo),
        "wall_s_no_diarize": [round(w, 2) for w in walls["no-diarize"]],
        "wall_s_diarized": [round(w, 2) for w in walls["diarized"]],
        "added_wall_share": round(diar / plain - 1, 3),
        "diarize_share_per_call": {"min": round(min(shares), 3), "median": round(statistics.median(shares), 3),
                                   "max": round(max(shares), 3)},
    }, indent=1))


if __name__ == "__main__":
    main()
