#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks the source tree's shape (README "Architecture"):

1. no include cycle between modules (a module is NAME.c with NAME.h);
2. the daemon's layers depend one way: util <- read <- record <- act <- core <- api, with systemd/
   beside act, and nothing below api/ includes api/;
3. no front end (api/) includes the manager's internals (core/manager-internal.h), and the policy
   library includes nothing of the daemon or oomctl;
4. no source file is longer than MAX_LINES;
5. no macro is defined in two files: a constant has one definition, so two cannot disagree.

Usage: check-layers.py [SOURCE_ROOT]. Prints every violation, one per line, and exits 1 if any.
"""

import os
import re
import sys

MAX_LINES = 900
TREES = ("daemon", "policy", "oomctl")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
DEFINE = re.compile(r'^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)', re.M)

# What each daemon layer may include besides itself. main.c (the composition root) may include all.
LAYERS = {
    "util": set(),
    "read": {"util"},
    "record": {"util", "read"},
    "act": {"util", "read", "record", "systemd"},
    "systemd": {"util", "read", "record"},
    "core": {"util", "read", "record", "act", "systemd"},
    "api": {"util", "read", "record", "act", "systemd", "core"},
}
PRIVATE = {"daemon/core/manager-internal.h": {"core"}}


def sources(root):
    for tree in TREES:
        for d, _, files in os.walk(os.path.join(root, tree)):
            for f in sorted(files):
                if f.endswith((".c", ".h")):
                    yield os.path.relpath(os.path.join(d, f), root)


def resolve(root, src, inc):
    """The tree file an include names, or None for a system or generated header."""
    here = os.path.dirname(src)
    for base in (here, "", "daemon", "policy", "oomctl"):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def module(path):
    return os.path.splitext(path)[0]


def layer(path):
    parts = path.split("/")
    if parts[0] == "daemon" and len(parts) > 2:
        return parts[1]
    return None


def cycles(graph):
    """Tarjan's strongly connected components of more than one module (or a module on itself)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
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

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    root = os.path.abspath(root)
    problems = []
    graph = {}
    edges = {}
    defined = {}
    for src in sources(root):
        with open(os.path.join(root, src), encoding="utf-8") as f:
            text = f.read()
        lines = text.count("\n")
        if lines > MAX_LINES:
            problems.append(f"{src}: {lines} lines, over {MAX_LINES}: split it at its own sections")
        me = module(src)
        graph.setdefault(me, set())
        for name in sorted(set(DEFINE.findall(text))):
            defined.setdefault(name, []).append(src)
        for inc in INCLUDE.findall(text):
            target = resolve(root, src, inc)
            if target is None:
                continue
            them = module(target)
            if them != me:
                graph[me].add(them)
                edges.setdefault((me, them), (src, inc))
            if src.startswith("policy/") and not target.startswith("policy/"):
                problems.append(f'{src}: includes "{inc}": the policy library stands alone')
            mine, theirs = layer(src), layer(target)
            if target in PRIVATE and mine not in PRIVATE[target]:
                problems.append(f'{src}: includes "{inc}", the manager\'s internals: use core/query.h')
            if mine and theirs and mine != theirs and theirs not in LAYERS.get(mine, set()):
                problems.append(f'{src}: includes "{inc}": layer {mine}/ may not depend on {theirs}/')
    for name, where in sorted(defined.items()):
        if len(where) > 1:
            problems.append(f"{name} is defined in {len(where)} files ({', '.join(where)}): keep one definition "
                            "where it belongs and include that header")
    for comp in cycles(graph):
        links = [f"{edges[(a, b)][0]} -> \"{edges[(a, b)][1]}\""
                 for a in comp for b in comp if (a, b) in edges]
        problems.append("include cycle between " + ", ".join(comp) + ": " + "; ".join(links))
    for p in problems:
        print(p)
    n = len(graph)
    if problems:
        print(f"check-layers: {len(problems)} problem(s) in {n} modules under {root}")
        return 1
    print(f"check-layers: {n} modules, no include cycle, layers one way, no file over {MAX_LINES} lines, "
          "no macro defined twice")
    return 0


if __name__ == "__main__":
    sys.exit(main())
