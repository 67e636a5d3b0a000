#!/usr/bin/env python3
"""Team-report benchmark: `callgauge report` over 10,000 call JSONs of realistic size.

One command: `python3 benches/report_scale.py` (after `./setup.sh`, which leaves real
`analyze` output of the fixtures in out/). Each of the --calls documents is a copy of one of
those real call JSONs with its transcript repeated --scale times (default 4: a 4-minute call,
about 100 KB, the size of a typical sales call), a new call id, and a row in a metadata CSV
(40 agents in 4 teams, 2 script variants, 8 weeks, outcomes and amounts). It runs
`target/release/callgauge report` under /usr/bin/time with `--by agent,week`, once with
`--no-html` and once with the HTML pages, and prints the wall time and peak RSS of both, the
size of index.html and of the call pages, and how long index.html takes to open in headless
Chromium (tests/browser.py: navigation to the load event, the calls table drawn; median of 3),
checking that nothing sticks out of an A4 page in print.
It measures; it fails only if the report fails.

    python3 benches/report_scale.py --calls 5000     # the HTML report's benchmark
"""

import argparse
import copy
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from side_by_side import ROOT, timed


def stretched(doc, scale):
    """The call with its transcript repeated `scale` times, one call length apart."""
    doc = copy.deepcopy(doc)
    length = doc.get("duration_s") or 60.0
    segments = doc.get("segments", [])
    out = []
    for k in range(scale):
        for s in segments:
            s = copy.deepcopy(s)
            s["start_s"] += k * length
            s["end_s"] += k * length
            for w in s.get("words", []):
                w["start_s"] += k * length
                w["end_s"] += k * length
            out.append(s)
    doc["segments"] = out
    doc["duration_s"] = length * scale
    return doc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=10000)
    ap.add_argument("--scale", type=int, default=4)
    ap.add_argument("--source", type=Path, default=ROOT / "out", help="analyze output to copy")
    ap.add_argument("--callgauge", type=Path, default=ROOT / "target" / "release" / "callgauge")
    args = ap.parse_args()
    real = [json.loads(p.read_text()) for p in sorted(args.source.glob("*.json"))
            if p.name != "callgauge-batch.json"]
    real = [stretched(d, args.scale) for d in real if d.get("status") == "ok"]
    assert real, f"no call JSON in {args.source}: run ./setup.sh first"
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="callgauge-report-") as tmp:
        tmp = Path(tmp)
        calls = tmp / "calls"
        calls.mkdir()
        rows = ["call_id,agent_id,team,customer_id,started_at,variant,outcome,amount"]
        size = 0
        for i in range(args.calls):
            doc = dict(real[i % len(real)])
            doc["call_id"] = f"call{i:05}"
            text = json.dumps(doc, ensure_ascii=False, indent=2)  # as analyze writes it
            size += len(text)
            (calls / f"call{i:05}.json").write_text(text)
            agent = rng.randrange(40)
            won = rng.random() < 0.25
            rows.append(",".join([
                f"call{i:05}", f"agent{agent:02}", f"team{agent % 4}", f"c{rng.randrange(6000)}",
                f"2026-10-{5 + rng.randrange(26):02} {9 + rng.randrange(9):02}:00",
                "AB"[agent % 2], "won" if won else "lost", f"{rng.randrange(500, 5000)}" if won else "",
            ]))
        (tmp / "meta.csv").write_text("\n".join(rows) + "\n")
        cmd = [args.callgauge, "report", calls, "--metadata", tmp / "meta.csv", "--by", "agent,week"]
        wall_plain, rss_plain, _ = timed(cmd + ["--out", tmp / "plain", "--no-html"])
        out = tmp / "report"
        wall, rss, _ = timed(cmd + ["--out", out])
        report = json.loads((out / "report.json").read_text())
        pages = list((out / "calls").glob("*.html"))
        loads = []
        for _ in range(3):
            seen = json.loads(subprocess.run(
                [sys.executable, ROOT / "tests" / "browser.py", "check", out / "index.html",
                 "--eval", "document.querySelectorAll('#calls tbody tr').length",
                 "--print-width", "717"],
                check=True, capture_output=True, text=True).stdout)
            assert seen["value"] == 100 and not seen["console"] and not seen["exceptions"], seen
            assert not seen["print"]["overflowing"], f"cut off in print: {seen['print']}"
            loads.append(seen["load_ms"])
        print(json.dumps({
            "calls": args.calls,
            "mean_json_kb": round(size / args.calls / 1024, 1),
            "total_json_mb": round(size / 2**20),
            "no_html": {"wall_s": round(wall_plain, 2), "peak_rss_mib": round(rss_plain, 1)},
            "with_html": {"wall_s": round(wall, 2), "peak_rss_mib": round(rss, 1)},
            "index_html_kb": round((out / "index.html").stat().st_size / 1024),
            "call_pages": len(pages),
            "call_pages_mb": round(sum(p.stat().st_size for p in pages) / 2**20),
            "index_load_ms_median": statistics.median(loads),
            "index_load_ms": loads,
            "agents": len(report["agents"]),
            "groups": len(report["groups"]),
        }, indent=1))


if __name__ == "__main__":
    main()
