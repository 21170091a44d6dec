"""Tests of scripts/check_layers.py (the layer rule: includes and CMake links against the arrows
table of docs/design.md §2), run on small trees planted in a tmp dir (tests/lint/fixture_tree.py).

Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

import importlib.util
import subprocess
import sys

import pytest
from fixture_tree import ARROWS, REPO, design_md, write

CHECK_LAYERS = REPO / "scripts" / "check_layers.py"
PYTHON = sys.executable
DESIGN = "see docs/design.md §2"


def layers(root, *args):
    return subprocess.run(
        [PYTHON, str(CHECK_LAYERS), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def problems(result):
    return [line for line in result.stdout.splitlines() if line.strip()]


def load_check_layers():
    spec = importlib.util.spec_from_file_location("check_layers", CHECK_LAYERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- check_layers.py: includes -----------------------------------------------------------------


def test_clean_tree_passes_layers(tree):
    result = layers(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_upward_include_fails_with_file_line_and_edge(tree):
    write(tree, "src/base/x.cc", '// x\n#include "base/error.h"\n#include "vrrp/state.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        f'src/base/x.cc:3: base may not include "vrrp/state.h" (base may include: base; {DESIGN})'
    ]


def test_sideways_include_fails(tree):
    write(tree, "src/check/probe.cc", '#include "check/checker.h"\n#include "vrrp/state.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        'src/check/probe.cc:2: check may not include "vrrp/state.h" '
        f"(check may include: base, check, event, model; {DESIGN})"
    ]


def test_angle_include_of_a_module_fails(tree):
    write(tree, "src/check/probe.cc", "#include <vrrp/state.h>\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/check/probe.cc:1: check may not include <vrrp/state.h> "
        f"(check may include: base, check, event, model; {DESIGN})"
    ]


def test_angle_include_is_a_module_edge_only_when_the_file_is_in_src(tree):
    # <net/if.h> is the system header while src/net/ has no if.h; once it has one, the compiler
    # would pick the module's file, and so does the lint.
    write(tree, "src/base/sys.cc", "#include <net/if.h>\n#include <bpf/libbpf.h>\n")
    assert layers(tree).returncode == 0
    write(tree, "src/net/if.h", "#pragma once\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        f"src/base/sys.cc:1: base may not include <net/if.h> (base may include: base; {DESIGN})"
    ]


def test_dataplane_may_not_include_its_implementations(tree):
    write(
        tree,
        "src/dataplane/registry.cc",
        '#include "dataplane/dataplane.h"\n#include "dataplane/xdp/loader.h"\n'
        "#include <dataplane/proxy/proxy.cc>\n",
    )
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        f"src/dataplane/registry.cc:{n}: dataplane may not include {inc} "
        f"(dataplane may include: base, dataplane, lb, model; {DESIGN})"
        for n, inc in [(2, '"dataplane/xdp/loader.h"'), (3, "<dataplane/proxy/proxy.cc>")]
    ]


def test_bpf_files_belong_to_xdp(tree):
    write(tree, "src/dataplane/xdp/bpf/bad.h", '#pragma once\n#include "vrrp/engine.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        'src/dataplane/xdp/bpf/bad.h:2: dataplane/xdp may not include "vrrp/engine.h" '
        "(dataplane/xdp may include: base, dataplane, dataplane/xdp, event, lb, model, net; "
        f"{DESIGN})"
    ]


def test_a_module_may_not_include_what_points_at_it(tree):
    write(tree, "src/lb/fast.cc", '#include "dataplane/dataplane.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        'src/lb/fast.cc:1: lb may not include "dataplane/dataplane.h" '
        f"(lb may include: base, lb, model; {DESIGN})"
    ]


def test_app_may_include_everything(tree):
    includes = "".join(f'#include "{m}/x.h"\n' for m in ARROWS)
    write(tree, "src/app/all.cc", includes)
    result = layers(tree)
    assert result.returncode == 0, result.stdout


def test_transitive_edges_are_allowed(tree):
    # vrrp -> model -> base; dataplane/proxy -> lb -> model; ctl -> lb -> model -> base
    write(tree, "src/vrrp/a.cc", '#include "base/clock.h"\n')
    write(tree, "src/dataplane/proxy/b.cc", '#include "model/config.h"\n')
    write(tree, "src/ctl/c.cc", "#include <base/clock.h>\n")
    assert layers(tree).returncode == 0


def test_commented_and_non_module_includes_are_ignored(tree):
    write(
        tree,
        "src/base/y.cc",
        '// #include "vrrp/state.h"\n'
        '#include "version.h"\n'
        '#include "gtest/gtest.h"\n'
        '#include "vrrpx/state.h"\n'
        "#include <vrrpx/state.h>\n",
    )
    assert layers(tree).returncode == 0


def test_relative_include_cannot_escape_the_rules(tree):
    write(tree, "src/base/z.cc", '#include "../vrrp/state.h"\n#include "./error.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        f'src/base/z.cc:1: base may not include "../vrrp/state.h" (base may include: base; {DESIGN})'
    ]


def test_tests_beside_the_code_follow_the_same_rules(tree):
    write(tree, "src/net/socket_test.cc", '#include "net/socket.h"\n#include "event/loop.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result)[0].startswith('src/net/socket_test.cc:2: net may not include "event/')


def test_every_problem_is_reported_with_its_line(tree):
    write(tree, "src/model/m.h", '#pragma once\n\n#include "conf/a.h"\n#  include "lb/b.h"\n')
    write(tree, "src/event/e.cc", '#include "net/socket.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert [p.split(" ")[0] for p in problems(result)] == [
        "src/event/e.cc:1:",
        "src/model/m.h:3:",
        "src/model/m.h:4:",
    ]


def test_file_outside_every_module_is_reported(tree):
    write(tree, "src/newmod/x.cc", "int x;\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result)[0].startswith("src/newmod/x.cc:1: not inside a module folder")


def test_missing_src_is_a_usage_error(tmp_path):
    result = layers(tmp_path)
    assert result.returncode == 2
    assert "src" in result.stderr


# --- check_layers.py: the table in docs/design.md is the only copy of the arrows ---------------


def test_the_arrows_come_from_the_design_table(tree):
    write(tree, "src/check/probe.cc", '#include "vrrp/state.h"\n')
    assert layers(tree).returncode == 1
    arrows = dict(ARROWS, check=["model", "event", "vrrp"])
    write(tree, "docs/design.md", design_md(arrows))
    write(tree, "src/check/CMakeLists.txt", "keel_module(check\n  DEPS model event vrrp)\n")
    result = layers(tree)
    assert result.returncode == 0, result.stdout


def test_print_shows_the_table_and_closures(tree):
    result = layers(tree, "--print")
    assert result.returncode == 0
    assert "dataplane/proxy -> dataplane, lb, event    (may include: base, dataplane, event, " \
        "lb, model)" in result.stdout.splitlines()


@pytest.mark.parametrize(
    "table_change, message",
    [
        (lambda d: d.replace("| module | arrows to |", "| module | edges |"), "no arrows table"),
        (lambda d: d.replace("| check | model, event |", "| check | model, sched (lb) |"),
         "cannot read arrow target 'sched (lb)'"),
        (lambda d: d.replace("| check | model, event |", "| check | model, evnt |"),
         "check -> evnt, which has no row"),
        (lambda d: d.replace("| model | base |", "| model | conf |"),
         "the arrows form a cycle: model -> conf -> model"),
        (lambda d: d.replace("| base | - |", "| base | - |\n| base | model |"),
         "base has a second row"),
    ],
)
def test_an_unreadable_table_is_an_error_naming_the_doc(tree, table_change, message):
    write(tree, "docs/design.md", table_change(design_md()))
    result = layers(tree)
    assert result.returncode == 2
    assert result.stderr.startswith("check_layers: docs/design.md:"), result.stderr
    assert message in result.stderr


def test_the_real_design_table_parses_and_only_app_reaches_app():
    module = load_check_layers()
    arrows, _ = module.read_design(str(REPO))
    allowed = module.allowed_sets(arrows)
    assert allowed["base"] == {"base"}
    assert allowed["app"] == set(arrows)
    for name, may in allowed.items():
        if name != "app":
            assert "app" not in may, name
    assert "LAYERS" not in CHECK_LAYERS.read_text(), "the arrows live in docs/design.md only"


# --- check_layers.py: CMake --------------------------------------------------------------------


def test_deps_naming_a_module_not_drawn_fail(tree):
    write(tree, "src/check/CMakeLists.txt", "keel_module(check\n  SOURCES a.cc\n"
          "  DEPS model event vrrp  # the planted link\n  TESTS a_test.cc)\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/check/CMakeLists.txt:3: check may not link vrrp "
        f"(check may include: base, check, event, model; {DESIGN})"
    ]


def test_deps_are_exactly_the_drawn_arrows(tree):
    # base is reachable (model -> base) but not drawn; event is drawn but missing.
    write(tree, "src/check/CMakeLists.txt", "keel_module(check\n  DEPS model base)\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/check/CMakeLists.txt:2: DEPS base is not an arrow of check in docs/design.md §2 "
        "(check -> model, event); DEPS names exactly the drawn arrows",
        "src/check/CMakeLists.txt:1: docs/design.md §2 draws check -> event but DEPS lacks "
        "event; DEPS names exactly the drawn arrows",
    ]


def test_nested_modules_are_spelled_with_underscores(tree):
    write(tree, "src/dataplane/xdp/CMakeLists.txt",
          "keel_module(xdp\n  DEPS dataplane lb net event dataplane_proxy)\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/dataplane/xdp/CMakeLists.txt:1: keel_module(xdp) in src/dataplane/xdp/ must be "
        "named dataplane_xdp",
        "src/dataplane/xdp/CMakeLists.txt:2: dataplane/xdp may not link dataplane/proxy "
        "(dataplane/xdp may include: base, dataplane, dataplane/xdp, event, lb, model, net; "
        f"{DESIGN})",
    ]


def test_keel_modules_in_libs_and_other_links_are_checked(tree):
    write(
        tree,
        "src/vrrp/CMakeLists.txt",
        "keel_module(vrrp\n  DEPS model net event\n  LIBS keel::check\n  TEST_LIBS keel_ctl)\n"
        "add_executable(vrrp_tool tool.cc)\n"
        "target_link_libraries(vrrp_tool PRIVATE keel_vrrp keel::model)\n"
        "target_link_libraries(vrrp_tool PRIVATE keel_lb)\n",
    )
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/vrrp/CMakeLists.txt:3: LIBS names keel::check; keel modules go in DEPS",
        "src/vrrp/CMakeLists.txt:4: TEST_LIBS names keel_ctl; keel modules go in DEPS",
        "src/vrrp/CMakeLists.txt:7: vrrp may not link lb (keel_lb; vrrp may include: base, "
        f"event, model, net, vrrp; {DESIGN})",
    ]


def test_opening_the_source_tree_to_a_module_fails(tree):
    write(tree, "src/check/CMakeLists.txt",
          "keel_module(check DEPS model event)\n"
          "target_include_directories(keel_check PUBLIC ${PROJECT_SOURCE_DIR}/src)\n")
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result)[0].startswith(
        "src/check/CMakeLists.txt:2: ${PROJECT_SOURCE_DIR}/src opens the source tree to keel_check"
    )


def test_harnesses_outside_src_may_link_any_module(tree):
    write(tree, "tests/fuzz/CMakeLists.txt",
          "add_executable(f f.cc)\ntarget_link_libraries(f PRIVATE keel_vrrp keel_check)\n")
    assert layers(tree).returncode == 0


def test_the_table_and_the_cmake_modules_agree(tree):
    write(tree, "src/lvs/CMakeLists.txt", "keel_module(lvs DEPS lb)\n")
    (tree / "src/conf/CMakeLists.txt").unlink()
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        "src/lvs/CMakeLists.txt:1: src/lvs/ has no row in docs/design.md §2; add one first",
        "docs/design.md:1: docs/design.md §2 has a row for conf but src/conf/CMakeLists.txt has "
        "no keel_module(conf)",
    ]


def test_commented_out_links_are_ignored(tree):
    write(tree, "src/check/CMakeLists.txt",
          "# keel_module(check DEPS vrrp)\nkeel_module(check\n  DEPS model event)  # not vrrp\n")
    assert layers(tree).returncode == 0


def test_real_repo_layers_are_clean():
    result = layers(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
