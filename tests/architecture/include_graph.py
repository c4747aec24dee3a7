#!/usr/bin/env python3
"""The project's include graph, read from the sources: the folder DAG and which files reach LibTorch.

  include_graph.py check ROOT [--core-sources FILE]   fails (exit 1) when
      - a folder includes a folder above it in LEVELS (or one not in LEVELS);
      - docs/architecture.md's folder graph (the mermaid block between the `folder-graph` markers) differs from
        the folder edges the sources have;
      - a source of the LibTorch-free library (FILE: one path per line, from CMake) reaches a LibTorch header
        through any chain of project includes.
  include_graph.py mermaid ROOT                        prints the folder graph as the doc's mermaid block.
  include_graph.py torch-free ROOT FOLDER...          lists the .cpp files of FOLDERs that never reach LibTorch.
"""
import argparse
import pathlib
import re
import sys

# Lower levels first. A folder may include its own level's leaves only where listed in SAME_LEVEL_ALLOWED.
LEVELS = [["common"], ["config"], ["data", "comm"], ["model"], ["trainer"], ["eval", "monitoring"], ["launch"]]
FOLDERS = [f for level in LEVELS for f in level]
LEVEL_OF = {f: i for i, level in enumerate(LEVELS) for f in level}
TORCH = re.compile(r'^\s*#\s*include\s*<(torch|ATen|c10)/')
PROJECT = re.compile(r'^\s*#\s*include\s*"([a-z_]+)/([^"]+)"')
MAX_DEPTH = 64  # include chains deeper than this are reported, not followed


def sources(root):
    for folder in FOLDERS:
        base = root / folder
        if base.is_dir():
            yield from sorted(p for p in base.rglob("*") if p.suffix in (".hpp", ".cpp", ".in"))


def includes(path):
    """(project includes as repo-relative paths, reaches torch directly)."""
    project, torch = [], False
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if TORCH.match(line):
            torch = True
        m = PROJECT.match(line)
        if m:
            project.append(f"{m.group(1)}/{m.group(2)}")
    return project, torch


def folder_edges(root):
    edges = {}
    for path in sources(root):
        rel = path.relative_to(root)
        source_folder = rel.parts[0]
        for inc in includes(path)[0]:
            target = inc.split("/")[0]
            if target != source_folder:
                edges.setdefault((source_folder, target), []).append(f"{rel} -> {inc}")
    return edges


def upward_edges(edges):
    bad = []
    for (src, dst), where in sorted(edges.items()):
        if dst not in LEVEL_OF:
            bad.append(f"{src} includes {dst}/, which is not a source folder ({where[0]})")
        elif LEVEL_OF[dst] >= LEVEL_OF[src]:
            bad.append(f"{src} includes {dst}/, which is not below it: {'; '.join(where[:3])}")
    return bad


def mermaid(edges):
    lines = ["flowchart TD"]
    for src, dst in sorted(edges):
        lines.append(f"  {src} --> {dst}")
    return "\n".join(lines)


def doc_graph(doc):
    text = doc.read_text(encoding="utf-8")
    m = re.search(r"<!-- folder-graph -->\s*```mermaid\n(.*?)```\s*<!-- /folder-graph -->", text, re.S)
    if not m:
        return None
    return set(re.findall(r"^\s*([a-z_]+)\s*-->\s*([a-z_]+)\s*$", m.group(1), re.M))


class TorchReach:
    def __init__(self, root):
        self.root, self.memo = root, {}

    def chain(self, rel, depth=0, seen=None):
        """A list of files from rel to one that includes LibTorch, or None."""
        if rel in self.memo:
            return self.memo[rel]
        seen = seen or set()
        if depth > MAX_DEPTH or rel in seen:
            return None
        seen.add(rel)
        path = self.root / rel
        if not path.is_file():
            return None
        project, torch = includes(path)
        result = [rel] if torch else None
        for inc in project:
            if result:
                break
            sub = self.chain(inc, depth + 1, seen)
            if sub:
                result = [rel] + sub
        self.memo[rel] = result
        return result


def check(root, core_sources):
    failures = []
    edges = folder_edges(root)
    failures += upward_edges(edges)
    drawn = doc_graph(root / "docs" / "architecture.md")
    actual = set(edges)
    if drawn is None:
        failures.append("docs/architecture.md: no mermaid block between <!-- folder-graph --> markers")
    elif drawn != actual:
        for e in sorted(actual - drawn):
            failures.append(f"docs/architecture.md lacks the edge {e[0]} --> {e[1]} (e.g. {edges[e][0]})")
        for e in sorted(drawn - actual):
            failures.append(f"docs/architecture.md draws {e[0]} --> {e[1]}, which no include makes")
    if core_sources:
        reach = TorchReach(root)
        for line in core_sources.read_text().split():
            rel = str(pathlib.Path(line).resolve().relative_to(root.resolve()))
            chain = reach.chain(rel)
            if chain:
                failures.append(f"{rel} is in the LibTorch-free library but reaches LibTorch: {' -> '.join(chain)}")
    for f in failures:
        print("FAIL:", f)
    print(f"include graph: {len(edges)} folder edges, {len(failures)} problem(s)")
    return 1 if failures else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["check", "mermaid", "torch-free"])
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--core-sources", type=pathlib.Path)
    args = parser.parse_args()
    if args.command == "check":
        return check(args.root, args.core_sources)
    if args.command == "mermaid":
        print(mermaid(folder_edges(args.root)))
        return 0
    reach = TorchReach(args.root)
    for folder in args.folders:
        for path in sorted((args.root / folder).rglob("*.cpp")):
            rel = str(path.relative_to(args.root))
            if not reach.chain(rel):
                print(rel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
