#!/usr/bin/env python3
"""Re-create vendor/whisper-rs-sys: crates.io's whisper-rs-sys (the whisper.cpp it bundles
included), its GPU backends removed, and vendor/whisper-rs-sys.patch applied.

    python3 vendor/whisper_rs_sys.py           # rewrite vendor/whisper-rs-sys
    python3 vendor/whisper_rs_sys.py --check   # exit 1 if vendor/whisper-rs-sys differs

To change the patch: edit vendor/whisper-rs-sys, then regenerate the patch with
    python3 vendor/whisper_rs_sys.py --diff > vendor/whisper-rs-sys.patch
The .crate comes from cargo's download cache when it is there, else from crates.io (the one
network source this project uses anyway), and is checked against the sha256 Cargo.lock held
for it before the [patch] replaced it.
"""

import argparse
import filecmp
import glob
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

VERSION = "0.15.0"
SHA256 = "6986c0fe081241d391f09b9a071fbcbb59720c3563628c3c829057cf69f2a56f"
URL = f"https://static.crates.io/crates/whisper-rs-sys/whisper-rs-sys-{VERSION}.crate"

HERE = os.path.dirname(os.path.abspath(__file__))
DEST = os.path.join(HERE, "whisper-rs-sys")
PATCH = os.path.join(HERE, "whisper-rs-sys.patch")

# ggml backends callgauge never builds (it runs on the CPU; the `openblas` feature's ggml-blas
# stays). ggml's CMake adds a backend's folder only when that backend is switched on.
UNUSED = [
    "whisper.cpp/ggml/src/ggml-" + b
    for b in "cann cuda hexagon hip metal musa opencl rpc sycl vulkan webgpu zdnn zendnn".split()
] + [".cargo_vcs_info.json", "Cargo.toml.orig", ".cargo-ok"]


def fetch_crate():
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    cached = glob.glob(f"{home}/registry/cache/*/whisper-rs-sys-{VERSION}.crate")
    if cached:
        with open(cached[0], "rb") as f:
            data = f.read()
    else:
        with urllib.request.urlopen(URL, timeout=120) as r:
            data = r.read()
    got = hashlib.sha256(data).hexdigest()
    if got != SHA256:
        sys.exit(f"whisper-rs-sys {VERSION}: sha256 {got}, expected {SHA256}")
    return data


def upstream(into, patched):
    """Unpack the trimmed crate into `into`/whisper-rs-sys; apply the patch if `patched`."""
    with tarfile.open(fileobj=io.BytesIO(fetch_crate()), mode="r:gz") as tar:
        tar.extractall(into, filter="data")
    root = os.path.join(into, "whisper-rs-sys")
    os.rename(os.path.join(into, f"whisper-rs-sys-{VERSION}"), root)
    for rel in UNUSED:
        path = os.path.join(root, rel)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    if patched and os.path.getsize(PATCH) > 0:
        subprocess.run(["git", "apply", "--whitespace=nowarn", PATCH], cwd=root, check=True)
    return root


def differences(a, b):
    """Relative paths that differ between trees a and b."""
    out = []

    def walk(cmp, rel):
        out.extend(os.path.join(rel, n) for n in cmp.left_only + cmp.right_only + cmp.diff_files)
        out.extend(os.path.join(rel, n) for n in cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, os.path.join(rel, name))

    walk(filecmp.dircmp(a, b, ignore=[]), "")
    return sorted(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare, do not write")
    mode.add_argument("--diff", action="store_true", help="print vendor/ against upstream as a patch")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.diff:
            os.rename(upstream(tmp, patched=False), os.path.join(tmp, "a"))
            shutil.copytree(DEST, os.path.join(tmp, "b"))
            diff = subprocess.run(
                ["git", "diff", "--no-index", "--no-prefix", "a", "b"],
                cwd=tmp, capture_output=True, text=True,
            )
            sys.stdout.write(diff.stdout)
            return
        root = upstream(tmp, patched=True)
        if args.check:
            diff = differences(root, DEST) if os.path.isdir(DEST) else ["(missing)"]
            for rel in diff:
                print(f"vendor/whisper-rs-sys/{rel}: differs from upstream {VERSION} + the patch")
            sys.exit(1 if diff else 0)
        shutil.rmtree(DEST, ignore_errors=True)
        shutil.copytree(root, DEST)
        print(f"vendor/whisper-rs-sys: whisper-rs-sys {VERSION}, trimmed and patched")


if __name__ == "__main__":
    main()
