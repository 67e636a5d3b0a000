#!/usr/bin/env python3
"""The library's module graph: which top-level module of src/ uses which.

Fails (exit 1) if the graph has a cycle, or if the README's module table (between the
`<!-- modules -->` and `<!-- /modules -->` markers) is not the one this script generates.
`--write` puts the generated table into the README. A use is any `crate::<module>` path in a
module's files (comments and doc comments excluded; `#[cfg(test)]` code included, since test
code must not create cycles either). The binary (main.rs, cli.rs) is not part of the graph.

Usage: python3 .ci/modgraph.py [--write] [--dot]
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"
README = ROOT / "README.md"
BINARY = {"main", "cli"}


def modules():
    """Top-level modules declared in lib.rs, with their `//!` first line."""
    lib = (SRC / "lib.rs").read_text()
    names = re.findall(r"^pub mod (\w+);", lib, re.M)
    out = {}
    for name in names:
        path = SRC / f"{name}.rs"
        if not path.exists():
            path = SRC / name / "mod.rs"
        para = []
        for line in path.read_text().splitlines():
            if not line.startswith("//!") or (para and not line[3:].strip()):
                break
            para.append(line[3:].strip())
        text = " ".join(para)
        out[name] = re.split(r"(?<=[.])\s", text, maxsplit=1)[0]
    return out


def files_of(name):
    single = SRC / f"{name}.rs"
    return [single] if single.exists() else sorted((SRC / name).rglob("*.rs"))


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(l.split("//", 1)[0] for l in text.splitlines())


def graph(names):
    deps = {}
    for name in names:
        used = set()
        for f in files_of(name):
            code = strip_comments(f.read_text())
            used |= set(re.findall(r"\bcrate::(\w+)", code))
            # `use crate::{a, b::c}` groups
            for group in re.findall(r"\bcrate::\{([^}]*)\}", code):
                used |= {g.strip().split("::")[0] for g in group.split(",") if g.strip()}
        deps[name] = sorted(u for u in used if u in names and u != name)
    return deps


def cycles(deps):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in deps[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in deps:
        if v not in index:
            visit(v)
    return out


def layers(deps):
    """Each module's depth: 0 uses nothing, otherwise one more than its deepest dependency."""
    depth = {}

    def d(v):
        if v not in depth:
            depth[v] = 0
            depth[v] = 1 + max((d(w) for w in deps[v]), default=-1)
        return depth[v]

    for v in deps:
        d(v)
    return depth


def table(docs, deps):
    depth = layers(deps)
    rows = ["| module | what it is | uses |", "|---|---|---|"]
    for name in sorted(deps, key=lambda n: (depth[n], n)):
        doc = docs[name].replace("|", "\\|")
        uses = ", ".join(f"`{u}`" for u in deps[name]) or "–"
        rows.append(f"| `{name}` | {doc} | {uses} |")
    return "\n".join(rows)


def main():
    docs = modules()
    deps = graph(list(docs))
    if "--dot" in sys.argv:
        print("digraph callgauge {")
        for v, ws in deps.items():
            for w in ws:
                print(f'  "{v}" -> "{w}";')
        print("}")
        return 0
    found = cycles(deps)
    for comp in found:
        print(f"modgraph: import cycle between {', '.join(comp)}", file=sys.stderr)
    want = table(docs, deps) + "\n"
    readme = README.read_text()
    m = re.search(r"(<!-- modules -->\n)(.*?)(<!-- /modules -->)", readme, re.S)
    if "--write" in sys.argv:
        if not m:
            sys.exit("modgraph: README.md has no <!-- modules --> … <!-- /modules --> markers")
        README.write_text(readme[: m.start(2)] + want + readme[m.end(2):])
        print("modgraph: README.md module table written", file=sys.stderr)
    elif not m or m.group(2) != want:
        print("modgraph: the README's module table differs from the code; run "
              "`python3 .ci/modgraph.py --write`", file=sys.stderr)
        return 1
    print(f"modgraph: {len(deps)} modules, {sum(map(len, deps.values()))} uses, "
          f"{len(found)} cycles", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
