#!/usr/bin/python3
"""Checks that every module under src/ includes and links only what docs/design.md §2 draws.

Usage: scripts/check_layers.py [--root DIR] [--print]    (DIR defaults to the repository root)

The arrows are read from the table in docs/design.md §2, their only copy: the Markdown table whose
header row starts with `| module | arrows to |`. One row per module, named by its folder under src/
(nested modules such as dataplane/xdp are rows of their own); the second cell lists the modules
it points to, comma-separated (backticks allowed), `*` for every module or `-` for none. A cell
this script cannot read is an error (exit 2) naming docs/design.md:LINE.

Arrows compose: a module may include and link itself and every module a chain of arrows reaches
(the transitive closure), because a header of B that includes C must compile wherever B's headers
do. CMake gives each module the same closure of include roots (cmake/keel_module.cmake).

Checked, one problem a line as "path:line: reason":
- includes: every *.h *.hpp *.cc *.c under src/ (tests *_test.cc included, same rules). A file
  belongs to the longest module folder holding it (src/dataplane/xdp/bpf/x.h is dataplane/xdp).
  A quoted include `#include "X/..."` whose leading path names a module is an edge; so is an angle
  include `#include <X/...>` that names a module and a file that exists under src/ (so that
  <net/if.h>, a system header, is not taken for the module net). A relative include ("../x/y.h")
  is resolved against the including file first. Every edge must be in the closure.
- CMake: each src/<module>/CMakeLists.txt. Its `keel_module(NAME ...)` must be named after the
  folder (dataplane/xdp -> dataplane_xdp); its DEPS must be exactly the module's drawn arrows
  (for `*`, any modules); LIBS and TEST_LIBS must name no keel module. Any other
  target_link_libraries() there may name only modules in the closure, and no
  target_include_directories() may point into the source tree's src/ (that would undo the
  per-module include roots). Targets outside src/ (tests/, bench/) are harnesses, not layers: they
  may link any module and get the include roots of what they link.
- The table and the tree agree: a file under src/ outside every module folder, a folder under src/
  with a CMakeLists.txt but no row, and a row without its keel_module() are problems.

--print prints the table as read and each module's closure instead of checking.
Exit status: 0 clean (prints nothing), 1 problems, 2 usage error or unreadable table.
"""

import argparse
import os
import re
import sys

DESIGN_FILE = "docs/design.md"
DESIGN = "docs/design.md §2"
HEADER_RE = re.compile(r"^\|\s*module\s*\|\s*arrows to\s*\|")
ROW_RE = re.compile(r"^\|(.*)\|\s*$")
MODULE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(/[a-z][a-z0-9_]*)*$")
SOURCE_SUFFIXES = (".h", ".hpp", ".cc", ".c")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*(?:"([^"]+)"|<([^>]+)>)')
CMAKE_KEYWORDS = ("SOURCES", "DEPS", "LIBS", "TESTS", "TEST_LIBS")
LINK_SCOPES = ("PRIVATE", "PUBLIC", "INTERFACE", "LINK_PRIVATE", "LINK_PUBLIC")
SOURCE_TREE_RE = re.compile(r"\$\{(PROJECT|CMAKE|CMAKE_CURRENT|keel)_SOURCE_DIR\}(/\.\.)*/src\b")


class DesignError(Exception):
    """The arrows table is missing or unreadable; the message names docs/design.md:LINE."""


# --- the arrows table --------------------------------------------------------------------------


def split_row(line):
    match = ROW_RE.match(line.strip())
    if not match:
        return None
    return [cell.strip() for cell in match.group(1).split("|")]


def parse_targets(cell, where):
    """The second cell of a row: a list of module names, ["*"], or [] for "-"."""
    text = cell.replace("`", "").strip()
    if text in ("-", "—", ""):
        return []
    if text == "*":
        return ["*"]
    targets = [name.strip() for name in text.split(",")]
    for name in targets:
        if not MODULE_NAME_RE.match(name):
            raise DesignError(
                f"{where}: cannot read arrow target {name!r} (the second column lists module "
                "folders, comma-separated, or * or -; notes go in the third column)"
            )
    return targets


def parse_design(text):
    """Returns ({module: [targets]}, {module: line number}) from the arrows table in `text`."""
    lines = text.splitlines()
    starts = [k for k, line in enumerate(lines) if HEADER_RE.match(line.strip())]
    if len(starts) != 1:
        found = "no" if not starts else f"{len(starts)}"
        raise DesignError(
            f"{DESIGN_FILE}:1: {found} arrows table (a Markdown table whose header starts with "
            "'| module | arrows to |') found; exactly one is needed"
        )
    arrows, rows = {}, {}
    for k in range(starts[0] + 2, len(lines)):
        cells = split_row(lines[k])
        if cells is None:
            break
        where = f"{DESIGN_FILE}:{k + 1}"
        module = cells[0].replace("`", "").strip().rstrip("/")
        if not MODULE_NAME_RE.match(module) or len(cells) < 2:
            raise DesignError(f"{where}: cannot read the module cell {cells[0]!r}")
        if module in arrows:
            raise DesignError(f"{where}: {module} has a second row (first at line {rows[module]})")
        arrows[module], rows[module] = parse_targets(cells[1], where), k + 1
    for module, targets in arrows.items():
        for target in targets:
            if target != "*" and target not in arrows:
                raise DesignError(
                    f"{DESIGN_FILE}:{rows[module]}: {module} -> {target}, which has no row"
                )
    return arrows, rows


def read_design(root):
    path = os.path.join(root, DESIGN_FILE)
    try:
        with open(path, encoding="utf-8") as f:
            return parse_design(f.read())
    except OSError as e:
        raise DesignError(f"{DESIGN_FILE}:1: cannot read: {e.strerror}") from e


def allowed_sets(arrows, rows=None):
    """Module -> set of modules it may include: itself and the transitive closure of `arrows`.
    `rows` (module -> line in docs/design.md) only sharpens the error messages."""
    rows = rows or {}
    everything = set(arrows)
    closure = {}

    def visit(module, path):
        if module in closure:
            return closure[module]
        if module in path:
            chain = " -> ".join(path[path.index(module):] + [module])
            line = rows.get(module, 1)
            raise DesignError(f"{DESIGN_FILE}:{line}: the arrows form a cycle: {chain}")
        result = {module}
        if "*" in arrows[module]:
            result |= everything
        else:
            for target in arrows[module]:
                if target not in arrows:
                    line = rows.get(module, 1)
                    raise DesignError(f"{DESIGN_FILE}:{line}: {module} -> unknown module {target}")
                result |= visit(target, path + [module])
        closure[module] = result
        return result

    for module in arrows:
        visit(module, [])
    return closure


# --- includes ----------------------------------------------------------------------------------


def module_of(rel_path, modules):
    """The longest module folder that is a prefix of `rel_path` (relative to src/), or None."""
    best = None
    for module in modules:
        if rel_path.startswith(module + "/") and (best is None or len(module) > len(best)):
            best = module
    return best


def source_files(src):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(SOURCE_SUFFIXES):
                yield os.path.join(dirpath, name)


def read_lines(path):
    """The file's lines, or None when it cannot be read (removed while the tree is edited)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readlines()
    except OSError:
        return None


class Include:
    """One #include of a module: who (file, line, module) includes what (text, target module)."""

    def __init__(self, shown, line, module, text, target):
        self.shown, self.line, self.module = shown, line, module
        self.text, self.target = text, target


def include_target(match, file_dir, src, modules):
    """(spelling as written, module it names) for an include line, or None if it names none."""
    quoted, angle = match.group(1), match.group(2)
    if angle is not None:
        target = module_of(angle, modules)
        if target is None or not os.path.isfile(os.path.join(src, angle)):
            return None  # a system or library header (<net/if.h>, <bpf/libbpf.h>)
        return f"<{angle}>", target
    include = quoted
    if include.startswith("./") or include.startswith("../"):
        # Relative to the including file: resolve it so that "../check/x.h" cannot slip through.
        include = os.path.normpath(os.path.join(file_dir, include)).replace(os.sep, "/")
        if include.startswith(".."):
            return None
    target = module_of(include, modules)
    return None if target is None else (f'"{quoted}"', target)


def scan(root, modules):
    """Yields every module Include under root/src, and (shown, None) for a file outside a module."""
    src = os.path.join(root, "src")
    for path in source_files(src):
        rel_src = os.path.relpath(path, src).replace(os.sep, "/")
        shown = "src/" + rel_src
        module = module_of(rel_src, modules)
        if module is None:
            yield shown, None
            continue
        lines = read_lines(path)
        for number, line in enumerate(lines or [], start=1):
            match = INCLUDE_RE.match(line)
            found = match and include_target(match, os.path.dirname(rel_src), src, modules)
            if found:
                yield shown, Include(shown, number, module, found[0], found[1])


def check_includes(root, arrows, allowed):
    modules = sorted(arrows)
    problems = []
    for shown, inc in scan(root, modules):
        if inc is None:
            problems.append(
                f"{shown}:1: not inside a module folder (modules: {', '.join(modules)}); "
                f"add the module's row to {DESIGN} first"
            )
        elif inc.target not in allowed[inc.module]:
            may = ", ".join(sorted(allowed[inc.module]))
            problems.append(
                f"{inc.shown}:{inc.line}: {inc.module} may not include {inc.text} "
                f"({inc.module} may include: {may}; see {DESIGN})"
            )
    return problems


# --- CMake -------------------------------------------------------------------------------------


def strip_cmake_comments(text):
    """`text` with # comments blanked (outside quoted arguments); lines are kept."""
    out, quoted = [], False
    for line in text.split("\n"):
        kept = []
        for k, c in enumerate(line):
            if c == '"' and (k == 0 or line[k - 1] != "\\"):
                quoted = not quoted
            elif c == "#" and not quoted:
                break
            kept.append(c)
        out.append("".join(kept))
    return "\n".join(out)


def cmake_calls(text, commands):
    """Yields (command, line, [(token, line), ...]) for each call of one of `commands`."""
    text = strip_cmake_comments(text)
    pattern = re.compile(r"\b(" + "|".join(commands) + r")\s*\(")
    for match in pattern.finditer(text):
        depth, k = 1, match.end()
        while k < len(text) and depth:
            depth += {"(": 1, ")": -1}.get(text[k], 0)
            k += 1
        body_start = match.end()
        line0 = text.count("\n", 0, body_start) + 1
        tokens = [
            (tok.group(0), line0 + text.count("\n", body_start, body_start + tok.start()))
            for tok in re.finditer(r"[^\s()]+", text[body_start : k - 1])
        ]
        yield match.group(1), text.count("\n", 0, match.start()) + 1, tokens


def keel_target_module(token, by_name):
    """The module a link item names (keel_dataplane_xdp, keel::lb), or None."""
    for prefix in ("keel::", "keel_"):
        if token.startswith(prefix):
            return by_name.get(token[len(prefix) :])
    return None


def sections(tokens):
    """{keyword: [(token, line)]} of a keel_module() call's arguments after its name."""
    result, current = {}, None
    for token, line in tokens[1:]:
        if token in CMAKE_KEYWORDS:
            current = token
            result.setdefault(current, [])
        elif current:
            result[current].append((token, line))
    return result


def check_keel_module(shown, module, line, tokens, arrows, allowed, by_name):
    problems = []
    expected = module.replace("/", "_")
    name = tokens[0][0] if tokens else ""
    if name != expected:
        problems.append(
            f"{shown}:{line}: keel_module({name}) in src/{module}/ must be named {expected}"
        )
    parts = sections(tokens)
    deps = {}
    for token, at in parts.get("DEPS", []):
        target = by_name.get(token)
        if target is None:
            problems.append(f"{shown}:{at}: DEPS names {token}, which is not a module of {DESIGN}")
        elif target not in allowed[module]:
            may = ", ".join(sorted(allowed[module]))
            problems.append(
                f"{shown}:{at}: {module} may not link {target} "
                f"({module} may include: {may}; see {DESIGN})"
            )
        else:
            deps.setdefault(target, at)
    for part in ("LIBS", "TEST_LIBS"):
        for token, at in parts.get(part, []):
            if keel_target_module(token, by_name):
                problems.append(f"{shown}:{at}: {part} names {token}; keel modules go in DEPS")
    if "*" not in arrows[module]:
        drawn = set(arrows[module])
        for target in sorted(set(deps) - drawn):
            problems.append(
                f"{shown}:{deps[target]}: DEPS {by_name_of(target)} is not an arrow of {module} "
                f"in {DESIGN} ({module} -> {', '.join(arrows[module]) or '-'}); DEPS names exactly "
                "the drawn arrows"
            )
        for target in sorted(drawn - set(deps)):
            problems.append(
                f"{shown}:{line}: {DESIGN} draws {module} -> {target} but DEPS lacks "
                f"{by_name_of(target)}; DEPS names exactly the drawn arrows"
            )
    return problems


def by_name_of(module):
    return module.replace("/", "_")


def check_other_call(shown, module, command, tokens, allowed, by_name):
    problems = []
    if command == "target_link_libraries":
        for token, at in tokens[1:]:
            target = keel_target_module(token, by_name)
            if token not in LINK_SCOPES and target and target not in allowed[module]:
                may = ", ".join(sorted(allowed[module]))
                problems.append(
                    f"{shown}:{at}: {module} may not link {target} ({token}; "
                    f"{module} may include: {may}; see {DESIGN})"
                )
    else:  # target_include_directories
        for token, at in tokens[1:]:
            if SOURCE_TREE_RE.search(token):
                problems.append(
                    f"{shown}:{at}: {token} opens the source tree to {tokens[0][0]}; modules get "
                    "their include roots from keel_module() and DEPS (cmake/keel_module.cmake)"
                )
    return problems


def cmake_files(src):
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames.sort()
        if "CMakeLists.txt" in filenames:
            yield os.path.join(dirpath, "CMakeLists.txt")


def check_cmake(root, arrows, allowed):
    src = os.path.join(root, "src")
    by_name = {by_name_of(module): module for module in arrows}
    problems, seen = [], set()
    commands = ("keel_module", "target_link_libraries", "target_include_directories")
    for path in cmake_files(src):
        folder = os.path.relpath(os.path.dirname(path), src).replace(os.sep, "/")
        shown = f"src/{folder}/CMakeLists.txt"
        if folder not in arrows:
            problems.append(f"{shown}:1: src/{folder}/ has no row in {DESIGN}; add one first")
            continue
        lines = read_lines(path)
        for command, line, tokens in cmake_calls("".join(lines or []), commands):
            if command == "keel_module":
                seen.add(folder)
                problems += check_keel_module(
                    shown, folder, line, tokens, arrows, allowed, by_name
                )
            else:
                problems += check_other_call(shown, folder, command, tokens, allowed, by_name)
    for module in sorted(set(arrows) - seen):
        problems.append(
            f"{DESIGN_FILE}:1: {DESIGN} has a row for {module} but src/{module}/CMakeLists.txt "
            f"has no keel_module({by_name_of(module)})"
        )
    return problems


# --- main --------------------------------------------------------------------------------------


def check(root):
    """Returns the list of problem lines for the tree at `root`; raises DesignError."""
    arrows, rows = read_design(root)
    allowed = allowed_sets(arrows, rows)
    return check_includes(root, arrows, allowed) + check_cmake(root, arrows, allowed)


def print_table(root):
    arrows, rows = read_design(root)
    allowed = allowed_sets(arrows, rows)
    for module in arrows:
        drawn = ", ".join(arrows[module]) or "-"
        reach = ", ".join(sorted(allowed[module] - {module})) or "-"
        print(f"{module} -> {drawn}    (may include: {reach})")


def main(argv=None):
    default_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(
        description=f"Check that src/ modules include and link only what {DESIGN} draws."
    )
    parser.add_argument(
        "--root", default=default_root, help="repository root (default: %(default)s)"
    )
    parser.add_argument("--print", action="store_true", help="print the arrows and closures")
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.root, "src")):
        print(f"check_layers: {args.root}/src is not a directory", file=sys.stderr)
        return 2
    try:
        if args.print:
            print_table(args.root)
            return 0
        problems = check(args.root)
    except DesignError as e:
        print(f"check_layers: {e}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
