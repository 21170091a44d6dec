#!/usr/bin/python3
"""Draws keel's include graph from the code and checks it against docs/design.md §2.

Usage: scripts/include_graph.py [--root DIR] [--dot]    (DIR defaults to the repository root)

Reads every #include under src/ that names a module, as scripts/check_layers.py does (quoted, and
angle includes of a file under src/), and draws two graphs:
- modules: one node per module of the arrows table (nested modules such as dataplane/xdp are
  nodes of their own), one edge per pair with the number of include lines behind it;
- folders: the same with each module folded into its top folder under src/ (dataplane/xdp and
  dataplane/proxy into dataplane), edges inside one folder dropped.
Without --dot it prints both as text ("ctl -> dataplane (2), event (1)"); --dot prints a Graphviz
graph instead (nested modules clustered in their folder; arrows the table does not allow in red,
cycle edges bold; arrows the table draws but no include uses, dashed grey). To draw it:
`scripts/include_graph.py --dot | dot -Tpng -o graph.png` (Debian's graphviz; not a dependency).

It exits 1, printing one "path:line: problem" line each on stderr (on stdout, and nothing else,
with --check, which scripts/lint uses), when the code's graph has
- a cycle at folder level (or at module level), naming one include behind each edge; or
- an upward arrow: an edge that no chain of arrows in docs/design.md §2 allows;
and when the table itself draws a cycle at folder level. Exit status 2: usage error or an
unreadable table.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_layers  # noqa: E402  (the table reader and the include scanner)

DESIGN = check_layers.DESIGN


def folder_of(module):
    return module.split("/")[0]


def code_edges(root, modules):
    """{(from, to): [(file:line, include text), ...]} between distinct modules, in scan order."""
    edges = {}
    for _, inc in check_layers.scan(root, modules):
        if inc is not None and inc.target != inc.module:
            edges.setdefault((inc.module, inc.target), []).append(
                (f"{inc.shown}:{inc.line}", inc.text)
            )
    return edges


def fold(edges):
    """The folder-level graph of module-level `edges` (same value shape, self edges dropped)."""
    folded = {}
    for (a, b), where in edges.items():
        fa, fb = folder_of(a), folder_of(b)
        if fa != fb:
            folded.setdefault((fa, fb), []).extend(where)
    return folded


def cycles(nodes, edges):
    """One cycle (a list of nodes, first repeated last, starting at the component's first node by
    name) per strongly connected component that has more than one node (Tarjan's algorithm; self
    edges are never in `edges`)."""
    succ = {n: sorted(b for (a, b) in edges if a == n) for n in nodes}
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def strongconnect(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(cycle_through(min(component), component, succ))

    for v in sorted(nodes):
        if v not in index:
            strongconnect(v)
    return found


def cycle_through(start, component, succ):
    """A shortest path start -> ... -> start inside `component` (breadth first)."""
    parent, queue = {}, [start]
    while queue:
        v = queue.pop(0)
        for w in succ[v]:
            if w not in component:
                continue
            if w == start:
                path = [v]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return list(reversed(path)) + [start]
            if w not in parent:
                parent[w] = v
                queue.append(w)
    return [start, start]  # unreachable for a component of two or more nodes


def drawn_edges(arrows):
    """The table's arrows as an edge set ('*' expanded)."""
    edges = set()
    for module, targets in arrows.items():
        for target in arrows if "*" in targets else targets:
            if target != module:
                edges.add((module, target))
    return edges


def cycle_problems(kind, chains, edges):
    """One "path:line: cycle ..." line per chain, placed at the include that closes the cycle."""
    problems = []
    for chain in chains:
        hops = [edges[(a, b)][0] for a, b in zip(chain, chain[1:])]
        text = "; ".join(f"{where} includes {include}" for where, include in hops)
        problems.append(f"{hops[-1][0]}: cycle at {kind} level: {' -> '.join(chain)} ({text})")
    return problems


def problems_of(arrows, rows, allowed, edges):
    """The code's cycles and upward arrows, then the table's folder-level cycles."""
    modules = sorted(arrows)
    folders = sorted({folder_of(m) for m in modules})
    problems = cycle_problems("folder", cycles(folders, fold(edges)), fold(edges))
    problems += cycle_problems("module", cycles(modules, edges), edges)
    for (a, b), where in sorted(edges.items()):
        if b not in allowed[a]:
            more = f" (and {len(where) - 1} more includes)" if len(where) > 1 else ""
            problems.append(
                f"{where[0][0]}: upward arrow {a} -> {b}: {where[0][1]}{more}; "
                f"{DESIGN} does not allow it"
            )
    drawn = {
        (a, b): [(f"{check_layers.DESIGN_FILE}:{rows.get(a, 1)}", f"{a} -> {b}")]
        for a, b in sorted(drawn_edges(arrows))
    }
    for chain in cycles(folders, fold(drawn)):
        hops = [fold(drawn)[(a, b)][0] for a, b in zip(chain, chain[1:])]
        text = "; ".join(f"{arrow} at line {where.split(':')[1]}" for where, arrow in hops)
        problems.append(
            f"{hops[-1][0]}: the arrows table draws a cycle at folder level: "
            f"{' -> '.join(chain)} ({text})"
        )
    return problems


def text_graph(title, nodes, edges):
    lines = [f"{title}:"]
    for node in nodes:
        out = sorted((b, len(w)) for (a, b), w in edges.items() if a == node)
        targets = ", ".join(f"{b} ({n})" for b, n in out) or "-"
        lines.append(f"  {node} -> {targets}")
    return lines


def dot_graph(arrows, allowed, edges):
    modules = list(arrows)
    in_cycle = set()
    for chain in cycles(modules, edges) + cycles(
        sorted({folder_of(m) for m in modules}), fold(edges)
    ):
        in_cycle |= set(zip(chain, chain[1:]))
    lines = ["digraph keel_includes {", "  rankdir=TB;", "  node [shape=box, fontname=monospace];"]
    by_folder = {}
    for module in modules:
        by_folder.setdefault(folder_of(module), []).append(module)
    for folder, members in by_folder.items():
        if len(members) == 1:
            lines.append(f'  "{members[0]}";')
            continue
        lines.append(f'  subgraph "cluster_{folder}" {{ label="{folder}/";')
        lines += [f'    "{m}";' for m in members]
        lines.append("  }")
    for (a, b), where in sorted(edges.items()):
        style = [f'label="{len(where)}"']
        if b not in allowed[a]:
            style.append("color=red")
        if (a, b) in in_cycle or (folder_of(a), folder_of(b)) in in_cycle:
            style += ["color=red", "penwidth=2"]
        lines.append(f'  "{a}" -> "{b}" [{", ".join(dict.fromkeys(style))}];')
    for a, b in sorted(drawn_edges(arrows) - set(edges)):
        if "*" not in arrows[a]:
            lines.append(f'  "{a}" -> "{b}" [style=dashed, color=grey];')
    lines.append("}")
    return lines


def main(argv=None):
    default_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description="Draw and check keel's include graph.")
    parser.add_argument(
        "--root", default=default_root, help="repository root (default: %(default)s)"
    )
    parser.add_argument("--dot", action="store_true", help="print Graphviz dot instead of text")
    parser.add_argument(
        "--check", action="store_true", help="print only the problems, on stdout (scripts/lint)"
    )
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.root, "src")):
        print(f"include_graph: {args.root}/src is not a directory", file=sys.stderr)
        return 2
    try:
        arrows, rows = check_layers.read_design(args.root)
        allowed = check_layers.allowed_sets(arrows, rows)
    except check_layers.DesignError as e:
        print(f"include_graph: {e}", file=sys.stderr)
        return 2
    edges = code_edges(args.root, sorted(arrows))
    problems = problems_of(arrows, rows, allowed, edges)
    if args.check:
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    if args.dot:
        out = dot_graph(arrows, allowed, edges)
    else:
        folders = sorted({folder_of(m) for m in arrows})
        out = text_graph("modules", list(arrows), edges)
        out += text_graph("folders", folders, fold(edges))
        unused = sorted(drawn_edges(arrows) - set(edges))
        unused = [f"{a} -> {b}" for a, b in unused if "*" not in arrows[a]]
        out.append(f"drawn but not included directly: {', '.join(unused) or '-'}")
    print("\n".join(out))
    for problem in problems:
        print(f"include_graph: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
