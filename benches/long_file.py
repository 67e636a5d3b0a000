#!/usr/bin/env python3
"""Long-file benchmark: peak memory of one very long 8 kHz stereo call.

One command: `python3 benches/long_file.py` (after `./setup.sh`). It writes a µ-law 8 kHz
stereo WAV of --hours hours (default 10) by repeating the data of the fixture
`en_ulaw8k_crosstalk.wav` (a 56 s two-party call with crosstalk, dead air and interruptions),
runs `target/release/callgauge analyze -l en` on it under /usr/bin/time and prints the peak
RSS, the wall time, the real-time factor and what the call JSON holds (duration, speech,
segments, agent share). It measures; it fails only if the call is not analyzed.

A 10-hour file takes about an hour on 2 cores. `--hours 1` is a quick check; `--window-s`
passes callgauge's developers' option (windows of 36000 s = the whole file in memory at once,
the behaviour before windows).
"""

import argparse
import json
import struct
import sys
import tempfile
from pathlib import Path

from side_by_side import MODEL, ROOT, timed

FIXTURE = ROOT / "fixtures" / "en_ulaw8k_crosstalk.wav"


def wav_chunks(data):
    """(fmt chunk body, data chunk body) of a RIFF/WAVE file's bytes."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", "not a WAV file"
    pos, fmt, body = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        chunk = data[pos + 8:pos + 8 + size]
        if cid == b"fmt ":
            fmt = chunk
        elif cid == b"data":
            body = chunk
        pos += 8 + size + (size & 1)
    return fmt, body


def write_long(path, hours):
    fmt, body = wav_chunks(FIXTURE.read_bytes())
    tag, channels, rate = struct.unpack("<HHI", fmt[:8])
    assert (tag, channels, rate) == (7, 2, 8000), f"{FIXTURE} is not µ-law 8 kHz stereo"
    repeats = int(hours * 3600 * rate * channels // len(body)) + 1
    size = len(body) * repeats
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + size) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"data" + struct.pack("<I", size))
        for _ in range(repeats):
            f.write(body)
    return size / (rate * channels)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--window-s", type=float, help="callgauge's window length (default: its own)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--callgauge", type=Path, default=ROOT / "target" / "release" / "callgauge")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="callgauge-long-") as tmp:
        tmp = Path(tmp)
        wav = tmp / "long.wav"
        seconds = write_long(wav, args.hours)
        cmd = [args.callgauge, "analyze", wav, "--out", tmp / "out", "--model", MODEL,
               "--language", "en", "--threads", str(args.threads)]
        if args.window_s:
            cmd += ["--window-s", str(args.window_s)]
        wall, rss_mib, _ = timed(cmd)
        doc = json.loads((tmp / "out" / "long.json").read_text())
        if doc["status"] != "ok":
            sys.exit(f"long_file: the call failed: {doc.get('error')}")
        speech = sum(doc["speakers"][w]["speech_s"] for w in ("agent", "customer"))
        print(json.dumps({
            "audio_s": round(seconds, 1),
            "window_s": args.window_s,
            "peak_rss_mib": round(rss_mib, 1),
            "wall_s": round(wall, 1),
            "x_real_time": round(seconds / wall, 2),
            "duration_s": doc["duration_s"],
            "speech_s": round(speech, 1),
            "segments": len(doc["segments"]),
            "agent_share": doc["rule_60_40"]["agent_share_of_speech"],
            "timings_s": doc["timings_s"],
        }, indent=1))


if __name__ == "__main__":
    main()
