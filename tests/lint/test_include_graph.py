"""Tests of scripts/include_graph.py (the include graph drawn from the code; folder-level cycles and
upward arrows fail), run on the fake tree of tests/lint/fixture_tree.py, never on the live tree.

Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

import subprocess
import sys

from fixture_tree import ARROWS, REPO, design_md, write

GRAPH = REPO / "scripts" / "include_graph.py"


def graph(root, *args):
    return subprocess.run(
        [sys.executable, str(GRAPH), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


def test_clean_tree_draws_modules_and_folders_and_passes(tree):
    result = graph(tree)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert "  dataplane/xdp -> base (1), dataplane (2), event (1), lb (1), net (1)" in out
    assert "  lb -> model (2)" in out
    # Folded: dataplane/xdp and dataplane/proxy count as dataplane, their own edge drops out.
    assert "  dataplane -> base (2), event (2), lb (3), model (1), net (1)" in out
    assert result.stderr == ""


def test_drawn_arrows_that_no_include_uses_are_listed(tree):
    assert graph(tree).stdout.splitlines()[-1] == "drawn but not included directly: -"
    write(tree, "src/check/checker.h", '#pragma once\n#include "model/config.h"\n')
    result = graph(tree)
    assert result.returncode == 0  # a note, not a failure
    assert result.stdout.splitlines()[-1] == "drawn but not included directly: check -> event"


def test_folder_level_cycle_fails_although_modules_are_acyclic(tree):
    # The arrows before the table types moved into lb: lb -> dataplane, dataplane/xdp -> lb.
    # Module level is a DAG; folded into folders, dataplane and lb point at each other.
    arrows = dict(ARROWS, dataplane=["base"], lb=["model", "dataplane"])
    write(tree, "docs/design.md", design_md(arrows))
    write(tree, "src/dataplane/dataplane.h", '#pragma once\n#include "base/error.h"\n')
    write(tree, "src/lb/sched.h", '#pragma once\n#include "dataplane/dataplane.h"\n')
    result = graph(tree, "--check")
    assert result.returncode == 1
    assert lines(result.stdout) == [
        "src/lb/sched.h:2: cycle at folder level: dataplane -> lb -> dataplane "
        '(src/dataplane/proxy/proxy.cc:3 includes "lb/sched.h"; '
        'src/lb/sched.h:2 includes "dataplane/dataplane.h")',
        "docs/design.md:16: the arrows table draws a cycle at folder level: dataplane -> lb -> "
        "dataplane (dataplane/proxy -> lb at line 15; lb -> dataplane at line 16)",
    ]


def test_planted_module_cycle_fails_and_names_each_include(tree):
    write(tree, "src/model/bad.h", "#pragma once\n#include <conf/parser.cc>\n")
    result = graph(tree, "--check")
    assert result.returncode == 1
    assert lines(result.stdout) == [
        "src/model/bad.h:2: cycle at folder level: conf -> model -> conf "
        '(src/conf/parser.cc:2 includes "model/config.h"; src/model/bad.h:2 includes '
        "<conf/parser.cc>)",
        "src/model/bad.h:2: cycle at module level: conf -> model -> conf "
        '(src/conf/parser.cc:2 includes "model/config.h"; src/model/bad.h:2 includes '
        "<conf/parser.cc>)",
        "src/model/bad.h:2: upward arrow model -> conf: <conf/parser.cc>; docs/design.md §2 "
        "does not allow it",
    ]


def test_upward_arrow_fails_without_a_cycle(tree):
    write(tree, "src/check/probe.cc", '#include "check/checker.h"\n#include <vrrp/state.h>\n')
    write(tree, "src/check/probe2.cc", '#include "vrrp/state.h"\n')
    result = graph(tree, "--check")
    assert result.returncode == 1
    assert lines(result.stdout) == [
        "src/check/probe.cc:2: upward arrow check -> vrrp: <vrrp/state.h> (and 1 more includes); "
        "docs/design.md §2 does not allow it"
    ]
    # Without --check the graph goes to stdout and the problem to stderr.
    result = graph(tree)
    assert result.returncode == 1
    assert "  check -> event (1), model (1), vrrp (2)" in result.stdout.splitlines()
    assert lines(result.stderr) == ["include_graph: " + lines(graph(tree, "--check").stdout)[0]]


def test_dot_clusters_nested_modules_and_marks_bad_edges(tree):
    write(tree, "src/check/checker.h", '#pragma once\n#include "model/config.h"\n')
    write(tree, "src/check/probe.cc", "#include <vrrp/state.h>\n")
    result = graph(tree, "--dot")
    assert result.returncode == 1
    dot = result.stdout
    assert dot.startswith("digraph keel_includes {")
    assert 'subgraph "cluster_dataplane" { label="dataplane/";' in dot
    assert '  "check" -> "vrrp" [label="1", color=red];' in dot.splitlines()
    assert '  "lb" -> "model" [label="2"];' in dot.splitlines()
    assert '  "check" -> "event" [style=dashed, color=grey];' in dot.splitlines()


def test_an_unreadable_table_is_a_usage_error(tree):
    write(tree, "docs/design.md", "# no table\n")
    result = graph(tree)
    assert result.returncode == 2
    assert "no arrows table" in result.stderr
