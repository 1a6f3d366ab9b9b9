#!/usr/bin/python3
"""Checks that source folders depend on each other one way.

A folder depends on another when one of its files (tests excluded: a test may
reach anything) includes a header of the other. The check fails on any cycle
between folders, and on a lower layer reaching above itself:

  base                         nothing
  platform/*                   base, platform
  storage, control, tuning     base, storage (control's pure logic)
  storage/uring                base, platform, storage
  control/etcd                 base, storage, control, platform (a worker thread)

Usage: scripts/check_layers.py [--print]   (--print lists every folder's edges)
"""
import os
import re
import sys

SOURCE_ROOTS = ["base", "platform", "storage", "control", "dataplane", "cli", "tuning", "bench", "tests"]
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)

# folder (or folder prefix ending in "/") -> the folders (or prefixes) it may use
ALLOWED = {
    "base": [],
    "platform/": ["base", "platform/"],
    "storage": ["base"],
    "storage/testing": ["base", "storage"],
    "storage/uring": ["base", "platform/", "storage"],
    "control": ["base", "storage"],
    "control/etcd": ["base", "storage", "control", "platform/"],
    "tuning": ["base"],
}


def folder_edges(root):
    edges = {}
    for top in SOURCE_ROOTS:
        for here, _, files in os.walk(os.path.join(root, top)):
            for name in files:
                if not name.endswith((".h", ".cc")) or name.endswith("_test.cc"):
                    continue
                path = os.path.join(here, name)
                src = os.path.relpath(here, root)
                with open(path, errors="replace") as f:
                    text = f.read()
                for inc in INCLUDE.findall(text):
                    if not os.path.exists(os.path.join(root, inc)):
                        continue  # a system or generated header
                    dst = os.path.dirname(inc)
                    if dst != src:
                        edges.setdefault(src, set()).add(dst)
    return edges


def matches(folder, pattern):
    return folder.startswith(pattern) if pattern.endswith("/") else folder == pattern


def layer_violations(edges):
    out = []
    for src, dsts in sorted(edges.items()):
        rule = next((p for p in sorted(ALLOWED, key=len, reverse=True) if matches(src, p)), None)
        if rule is None:
            continue
        for dst in sorted(dsts):
            if not any(matches(dst, p) for p in ALLOWED[rule]):
                out.append(f"{src} may not include from {dst} (allowed: {', '.join(ALLOWED[rule]) or 'nothing'})")
    return out


def cycles(edges):
    """Each strongly connected group of two or more folders (Tarjan)."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return groups


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    edges = folder_edges(root)
    if "--print" in sys.argv:
        for src in sorted(edges):
            print(f"{src} -> {', '.join(sorted(edges[src]))}")
    problems = [f"folder cycle: {' <-> '.join(g)}" for g in cycles(edges)] + layer_violations(edges)
    for p in problems:
        print(f"check_layers: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"check_layers: {len(edges)} folders, no cycle, every layer within its rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
