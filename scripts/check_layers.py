#!/usr/bin/python3
"""Checks that every module under src/ includes only the modules docs/design.md §2 allows.

Usage: scripts/check_layers.py [--root DIR]    (DIR defaults to the repository root)

Scans every *.h *.hpp *.cc *.c file under DIR/src (tests *_test.cc included, same rules) for
quoted includes `#include "X/..."` whose first path component(s) name a module folder, and
prints one line per forbidden edge:

  src/vrrp/foo.cc:12: vrrp may not include "check/x.h" (vrrp may include: base, event, model,
  net, vrrp; see docs/design.md §2)

(on one line). A file's module is its longest matching module folder, so src/dataplane/xdp/bpf/
x.h belongs to dataplane/xdp. A file under src/ outside every module folder is reported too:
add its module to LAYERS below and to docs/design.md §2 first. Angle-bracket includes and quoted
includes that name no module are ignored. Exit status: 0 clean (prints nothing), 1 problems,
2 usage error.
"""

import argparse
import os
import re
import sys

# The allowed edges, exactly as drawn in docs/design.md §2 (an arrow is "may include/link"; anything
# not drawn is forbidden). A module may include what it points to, transitively, and itself.
# Keep this table and docs/design.md §2 in step.
LAYERS = {
    "app": ["*"],  # keeld, keelctl: the only composition root, may use everything
    "ctl": ["model", "lb", "event"],  # lb: its types only; event: the socket servers
    "vrrp": ["model", "net", "event"],
    "check": ["model", "event"],
    "lb": ["model", "dataplane"],
    "dataplane": ["base"],  # the interface Dataplane and its value types, nothing else
    "dataplane/xdp": ["dataplane", "lb", "net", "event"],  # lb: Maglev and the schedulers
    "dataplane/proxy": ["dataplane", "lb"],  # lb: its scheduler only
    "dataplane/ipvs": ["dataplane"],  # the kernel's IPVS over generic netlink
    "net": ["base"],
    "event": ["base"],
    "conf": ["model"],
    "model": ["base"],
    "base": [],
}

SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".c")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')
DESIGN = "docs/design.md §2"


def allowed_sets(layers):
    """Module -> set of modules it may include: the transitive closure of `layers`, plus itself."""
    everything = set(layers)
    closure = {}

    def visit(module, seen):
        if module in closure:
            return closure[module]
        if module in seen:
            raise ValueError(f"cycle in LAYERS through {module}")
        targets = layers[module]
        result = {module}
        if "*" in targets:
            result |= everything
        else:
            for target in targets:
                if target not in layers:
                    raise ValueError(f"LAYERS: {module} -> unknown module {target}")
                result |= visit(target, seen | {module})
        closure[module] = result
        return result

    for module in layers:
        visit(module, frozenset())
    return closure


def module_of(rel_path, modules):
    """The longest module folder that is a prefix of `rel_path` (relative to src/), or None."""
    best = None
    for module in modules:
        if rel_path.startswith(module + "/") and (best is None or len(module) > len(best)):
            best = module
    return best


def included_module(include, file_dir, modules):
    """The module an include names, or None when it names none (e.g. "version.h")."""
    if include.startswith("./") or include.startswith("../"):
        # Relative to the including file; resolve it so that "../check/x.h" cannot slip through.
        resolved = os.path.normpath(os.path.join(file_dir, include))
        if resolved.startswith(".."):
            return None
        return module_of(resolved, modules)
    return module_of(include, modules)


def source_files(src):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(dirpath, name)


def check(root, layers=LAYERS):
    """Returns the list of problem lines for the tree at `root`."""
    src = os.path.join(root, "src")
    allowed = allowed_sets(layers)
    modules = sorted(layers)
    problems = []
    for path in source_files(src):
        rel_src = os.path.relpath(path, src).replace(os.sep, "/")
        shown = "src/" + rel_src
        module = module_of(rel_src, modules)
        if module is None:
            problems.append(
                f"{shown}:1: not inside a known module folder (known: {', '.join(modules)}); "
                f"add the module to scripts/check_layers.py and {DESIGN}"
            )
            continue
        may = allowed[module]
        file_dir = os.path.dirname(rel_src)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.readlines()
        except OSError as e:  # a file removed while we scan (the tree is edited concurrently)
            if os.path.exists(path):
                problems.append(f"{shown}:1: cannot read: {e.strerror}")
            continue
        for number, line in enumerate(lines, start=1):
            match = INCLUDE_RE.match(line)
            if not match:
                continue
            include = match.group(1)
            target = included_module(include, file_dir, modules)
            if target is None or target in may:
                continue
            problems.append(
                f'{shown}:{number}: {module} may not include "{include}" '
                f"({module} may include: {', '.join(sorted(may))}; see {DESIGN})"
            )
    return problems


def main(argv=None):
    default_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(
        description=f"Check that src/ modules include only what {DESIGN} allows."
    )
    parser.add_argument(
        "--root", default=default_root, help="repository root (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.root, "src")):
        print(f"check_layers: {args.root}/src is not a directory", file=sys.stderr)
        return 2
    try:
        problems = check(args.root)
    except ValueError as e:  # the table itself is wrong (a cycle, an unknown module)
        print(f"check_layers: {e}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
