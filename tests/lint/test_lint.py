"""Tests of scripts/check_layers.py and scripts/lint, run on small trees planted in a tmp dir.

Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHECK_LAYERS = REPO / "scripts" / "check_layers.py"
LINT = REPO / "scripts" / "lint"
PYTHON = sys.executable
DESIGN = "see docs/design.md §2"

# The repo's style (Google, 100 columns); used when the repo's own .clang-format is missing.
CLANG_FORMAT_STYLE = (
    "BasedOnStyle: Google\nColumnLimit: 100\nDerivePointerAlignment: false\n"
    "PointerAlignment: Left\nIncludeBlocks: Preserve\n"
)


def _cc(text):
    return textwrap.dedent(text).lstrip("\n")


# A minimal clean tree: one or two files per module, each including what docs/design.md §2 lets it
# (directly or transitively), clang-formatted, with the words the lint bans only in comments and
# string literals, and the one allowed clock read in src/base/clock.cc.
CLEAN_TREE = {
    "src/base/error.h": _cc(
        """
        // Errors. Project code does not throw; it returns Result<T>.
        #pragma once

        #include <string>

        namespace keel::base {

        struct Error {
          std::string message;
        };

        }  // namespace keel::base
        """
    ),
    "src/base/clock.h": _cc(
        """
        #pragma once

        #include <chrono>

        namespace keel::base {

        std::chrono::steady_clock::time_point monotonicNow();

        }  // namespace keel::base
        """
    ),
    "src/base/clock.cc": _cc(
        """
        #include "base/clock.h"

        namespace keel::base {

        // The one place that reads the OS clock.
        std::chrono::steady_clock::time_point monotonicNow() { return std::chrono::steady_clock::now(); }

        }  // namespace keel::base
        """
    ),
    "src/base/clock_test.cc": _cc(
        """
        #include "base/clock.h"

        #include <gtest/gtest.h>

        namespace keel::base {

        TEST(ClockTest, Monotonic) { EXPECT_LE(monotonicNow(), monotonicNow()); }

        }  // namespace keel::base
        """
    ),
    "src/event/loop.h": _cc(
        """
        #pragma once

        #include "base/clock.h"

        namespace keel::event {

        // Never sleep(): the loop waits in epoll until the next timer.
        class Loop {
         public:
          void run();
        };

        }  // namespace keel::event
        """
    ),
    "src/net/socket.h": _cc(
        """
        #pragma once

        #include "base/error.h"

        namespace keel::net {

        int openRaw();

        }  // namespace keel::net
        """
    ),
    "src/model/config.h": _cc(
        """
        #pragma once

        #include <string>

        #include "base/error.h"

        namespace keel::model {

        struct Config {
          std::string name;
        };

        }  // namespace keel::model
        """
    ),
    "src/conf/parser.cc": _cc(
        """
        #include "base/error.h"
        #include "model/config.h"

        namespace keel::conf {

        // Not std::stoi: it throws. Parse with std::from_chars.
        const char* usage() { return "do not throw, do not sleep(1), no atoi( here"; }

        }  // namespace keel::conf
        """
    ),
    "src/dataplane/dataplane.h": _cc(
        """
        #pragma once

        #include "base/error.h"
        #include "lb/sched.h"

        namespace keel::dataplane {

        class Dataplane {
         public:
          virtual ~Dataplane() = default;
        };

        }  // namespace keel::dataplane
        """
    ),
    "src/dataplane/xdp/loader.cc": _cc(
        """
        #include "dataplane/xdp/loader.h"

        #include <linux/bpf.h>

        #include "base/error.h"
        #include "dataplane/dataplane.h"
        #include "event/loop.h"
        #include "net/socket.h"
        """
    ),
    "src/dataplane/xdp/loader.h": _cc(
        """
        #pragma once

        #include "dataplane/dataplane.h"
        """
    ),
    "src/dataplane/xdp/bpf/lb.bpf.c": _cc(
        """
        #include <linux/bpf.h>

        #include "dataplane/xdp/bpf/maps.h"

        int xdp_lb(struct xdp_md* ctx) { return XDP_PASS; }
        """
    ),
    "src/dataplane/xdp/bpf/maps.h": _cc(
        """
        #pragma once

        #define KEEL_MAX_BACKENDS 1024
        """
    ),
    "src/dataplane/proxy/proxy.cc": _cc(
        """
        #include "dataplane/dataplane.h"
        #include "lb/sched.h"
        #include "model/config.h"
        """
    ),
    "src/lb/sched.h": _cc(
        """
        #pragma once

        #include "model/config.h"
        """
    ),
    "src/vrrp/state.h": _cc(
        """
        #pragma once

        #include "base/error.h"
        #include "event/loop.h"
        #include "model/config.h"
        #include "net/socket.h"
        """
    ),
    "src/vrrp/state_test.cc": _cc(
        """
        #include "vrrp/state.h"

        #include <gtest/gtest.h>

        TEST(StateTest, Compiles) { SUCCEED(); }
        """
    ),
    "src/check/checker.h": _cc(
        """
        #pragma once

        #include "event/loop.h"
        #include "model/config.h"
        """
    ),
    "src/ctl/server.cc": _cc(
        """
        #include "lb/sched.h"
        #include "model/config.h"
        """
    ),
    "src/app/keeld_main.cc": _cc(
        """
        #include "app/version.h"
        #include "check/checker.h"
        #include "conf/parser.h"
        #include "ctl/server.h"
        #include "dataplane/proxy/proxy.h"
        #include "dataplane/xdp/loader.h"
        #include "lb/sched.h"
        #include "version.h"
        #include "vrrp/state.h"

        int main() { return 0; }
        """
    ),
    "src/app/CMakeLists.txt": "keel_module(app)\n",
    "tests/e2e/test_smoke.py": "def test_smoke():\n    assert True\n",
    "docs/development.md": "# Developing keel\n\nSome text.\n",
    "cmake/keel_module.cmake": "function(keel_module name)\nendfunction()\n",
    "scripts/tool": "#!/usr/bin/env bash\necho hi\n",
    "CMakeLists.txt": "cmake_minimum_required(VERSION 3.25)\nproject(keel)\n",
    "README.md": "# keel\n",
}


def write(root, rel, text, mode="w"):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode, encoding="utf-8", newline="") as f:
        f.write(text)
    return path


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "repo"
    for rel, text in CLEAN_TREE.items():
        write(root, rel, text)
    style = REPO / ".clang-format"
    if style.is_file():
        shutil.copy(style, root / ".clang-format")
    else:
        write(root, ".clang-format", CLANG_FORMAT_STYLE)
    return root


def layers(root):
    return subprocess.run(
        [PYTHON, str(CHECK_LAYERS), "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def lint(root):
    return subprocess.run(
        [str(LINT), "--root", str(root)], capture_output=True, text=True, timeout=300
    )


def problems(result):
    return [line for line in result.stdout.splitlines() if line.strip()]


have_clang_format = pytest.mark.skipif(
    not (shutil.which("clang-format-14") or shutil.which("clang-format")),
    reason="clang-format is not installed (scripts/deps installs it)",
)


# --- check_layers.py ---------------------------------------------------------------------------


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


def test_dataplane_may_not_include_its_implementations(tree):
    write(
        tree,
        "src/dataplane/registry.cc",
        '#include "dataplane/dataplane.h"\n#include "dataplane/xdp/loader.h"\n'
        '#include "dataplane/proxy/proxy.h"\n',
    )
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        f'src/dataplane/registry.cc:{n}: dataplane may not include "{inc}" '
        f"(dataplane may include: base, dataplane, lb, model; {DESIGN})"
        for n, inc in [(2, "dataplane/xdp/loader.h"), (3, "dataplane/proxy/proxy.h")]
    ]


def test_xdp_may_include_net_and_lb_and_bpf_files_belong_to_xdp(tree):
    write(tree, "src/dataplane/xdp/iface.cc",
          '#include "net/socket.h"\n#include "event/loop.h"\n#include "lb/sched.h"\n')
    assert layers(tree).returncode == 0
    write(tree, "src/dataplane/xdp/bpf/bad.h", '#pragma once\n#include "vrrp/engine.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result) == [
        'src/dataplane/xdp/bpf/bad.h:2: dataplane/xdp may not include "vrrp/engine.h" '
        "(dataplane/xdp may include: base, dataplane, dataplane/xdp, event, lb, model, net; "
        f"{DESIGN})"
    ]


def test_lb_may_not_include_the_dataplane_that_uses_it(tree):
    write(tree, "src/lb/fast.cc", '#include "dataplane/dataplane.h"\n')
    result = layers(tree)
    assert result.returncode == 1
    assert problems(result)[0].startswith(
        'src/lb/fast.cc:1: lb may not include "dataplane/dataplane.h" '
        "(lb may include: base, lb, model;"
    )


def test_app_may_include_everything(tree):
    includes = "".join(
        f'#include "{m}/x.h"\n'
        for m in ["base", "event", "net", "model", "conf", "vrrp", "check", "lb", "dataplane",
                  "dataplane/xdp", "dataplane/proxy", "ctl", "app"]
    )
    write(tree, "src/app/all.cc", includes)
    result = layers(tree)
    assert result.returncode == 0, result.stdout


def test_transitive_edges_are_allowed(tree):
    # vrrp -> model -> base; dataplane/proxy -> lb -> model; ctl -> lb -> dataplane
    write(tree, "src/vrrp/a.cc", '#include "base/clock.h"\n')
    write(tree, "src/dataplane/proxy/b.cc", '#include "model/config.h"\n')
    write(tree, "src/ctl/c.cc", '#include "dataplane/dataplane.h"\n')
    assert layers(tree).returncode == 0


def test_angle_commented_and_non_module_includes_are_ignored(tree):
    write(
        tree,
        "src/base/y.cc",
        "#include <vrrp/state.h>\n"
        '// #include "vrrp/state.h"\n'
        '#include "version.h"\n'
        '#include "gtest/gtest.h"\n'
        '#include "vrrpx/state.h"\n',
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
    assert problems(result)[0].startswith("src/newmod/x.cc:1: not inside a known module folder")


def test_missing_src_is_a_usage_error(tmp_path):
    result = layers(tmp_path)
    assert result.returncode == 2
    assert "src" in result.stderr


def test_layer_table_is_the_closure_of_the_design():
    spec = importlib.util.spec_from_file_location("check_layers", CHECK_LAYERS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    allowed = module.allowed_sets(module.LAYERS)
    assert allowed["base"] == {"base"}
    assert allowed["vrrp"] == {"vrrp", "model", "net", "event", "base"}
    assert allowed["dataplane"] == {"dataplane", "lb", "model", "base"}
    assert allowed["lb"] == {"lb", "model", "base"}
    assert allowed["dataplane/proxy"] == {"dataplane/proxy", "dataplane", "lb", "model", "event",
                                         "base"}
    assert allowed["app"] == set(module.LAYERS)
    for name, may in allowed.items():
        if name != "app":
            assert "app" not in may, name
    with pytest.raises(ValueError):
        module.allowed_sets({"a": ["b"], "b": ["a"]})


def test_real_repo_layers_are_clean():
    result = layers(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


# --- scripts/lint ------------------------------------------------------------------------------


def status_lines(result):
    return [line for line in result.stdout.splitlines() if line.startswith("lint: ")]


@have_clang_format
def test_lint_passes_on_the_clean_tree(tree):
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert status_lines(result) == [
        "lint: format ok",
        "lint: layers ok",
        "lint: banned ok",
        "lint: whitespace ok",
        "lint: ok",
    ]


@have_clang_format
def test_lint_fails_on_a_badly_formatted_file_and_still_runs_the_rest(tree):
    write(tree, "src/net/bad.cc", "int  f( ){return 1;}\n")
    result = lint(tree)
    assert result.returncode == 1
    assert status_lines(result) == [
        "lint: format FAILED (1 problem)",
        "lint: layers ok",
        "lint: banned ok",
        "lint: whitespace ok",
        "lint: FAILED",
    ]
    bad = "src/net/bad.cc:1: not clang-formatted"
    assert any(line.startswith(bad) for line in problems(result))


@have_clang_format
def test_lint_formats_bpf_c_and_tests_too(tree):
    write(tree, "src/dataplane/xdp/bpf/x.bpf.c", "int  g( ){return 1;}\n")
    write(tree, "tests/unit/x_test.cc", "int  h( ){return 1;}\n")
    result = lint(tree)
    assert result.returncode == 1
    assert "lint: format FAILED (2 problems)" in status_lines(result)


@have_clang_format
def test_lint_fails_on_throw(tree):
    write(
        tree,
        "src/model/m.cc",
        '#include <stdexcept>\n\nvoid f() { throw std::runtime_error("no"); }\n',
    )
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "lint: banned FAILED (1 problem)" in status_lines(result)
    hit = "src/model/m.cc:3: project code does not throw"
    assert any(line.startswith(hit) for line in problems(result))
    assert status_lines(result)[-1] == "lint: FAILED"


@have_clang_format
def test_lint_fails_on_clock_read_outside_base_clock(tree):
    write(
        tree,
        "src/vrrp/timer.cc",
        "#include <chrono>\n\nauto t0 = std::chrono::steady_clock::now();\n"
        "auto t1 = std::chrono::system_clock::now();\n",
    )
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "lint: banned FAILED (2 problems)" in status_lines(result)
    hits = [p for p in problems(result) if p.startswith("src/vrrp/timer.cc:")]
    assert [h.split(":")[1] for h in hits] == ["3", "4"]
    assert all("only base::Clock reads the clock" in h for h in hits)


@have_clang_format
def test_lint_fails_on_unchecked_parsing_and_sleeping(tree):
    write(
        tree,
        "src/conf/num.cc",
        "#include <chrono>\n#include <string>\n#include <thread>\n\n"
        'int a = std::stoi("1");\n'
        "void nap() { std::this_thread::sleep_for(std::chrono::seconds(1)); }\n",
    )
    result = lint(tree)
    assert result.returncode == 1
    lines = [p for p in problems(result) if p.startswith("src/conf/num.cc:")]
    assert [line.split(":")[1] for line in lines] == ["5", "6"]
    assert "unchecked number parsing" in lines[0]
    assert "no sleeping" in lines[1]


CLOEXEC = "every fd is close-on-exec (docs/operations.md)"


@have_clang_format
def test_lint_fails_on_descriptors_made_without_close_on_exec(tree):
    write(
        tree,
        "src/net/fds.cc",
        _cc(
            """
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/socket.h>
            #include <unistd.h>

            int a() { return ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0); }
            int b(const char* a_rather_long_path_name_for_this_test) {
              return ::open(a_rather_long_path_name_for_this_test,
                            O_RDONLY | O_NONBLOCK | O_NOCTTY | O_DIRECTORY);
            }
            int c(int* fds) { return ::pipe(fds); }
            int d(int l) { return ::accept(l, nullptr, nullptr); }
            FILE* e(const char* path) { return fopen(path, "r"); }
            int f(int fd) { return ::dup(fd); }
            int g() { return ::epoll_create1(0); }
            """
        ),
    )
    result = lint(tree)
    assert result.returncode == 1, result.stdout
    assert "lint: banned FAILED (7 problems)" in status_lines(result)
    hits = [p for p in problems(result) if p.startswith("src/net/fds.cc:")]
    assert [(h.split(":")[1], h.split("found ")[1]) for h in hits] == [
        ("6", "'socket(')"), ("8", "'open(')"), ("11", "'pipe(')"), ("12", "'accept(')"),
        ("13", "'fopen(')"), ("14", "'dup(')"), ("15", "'epoll_create1(')")]
    assert all(CLOEXEC in h for h in hits)
    assert "use pipe2(fds, O_CLOEXEC)" in hits[2]


@have_clang_format
def test_lint_accepts_close_on_exec_calls_and_keels_own_open(tree):
    write(
        tree,
        "src/net/fds.cc",
        _cc(
            """
            #include <fcntl.h>
            #include <stdio.h>
            #include <sys/socket.h>
            #include <unistd.h>

            // ::socket(AF_INET, SOCK_STREAM, 0) in a comment is not a call
            struct Link {
              static int open(bool events);
              int reopen() { return open(true); }
            };
            int Link::open(bool events) { return events ? 1 : 0; }
            int open(int a, int b) { return a + b; }
            int a() { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0); }
            int b(const char* a_rather_long_path_name_for_this_test) {
              return ::open(a_rather_long_path_name_for_this_test,
                            O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            }
            int c(int* fds) { return ::pipe2(fds, O_CLOEXEC); }
            int d(Link& l) { return l.open(false) + Link::open(true) + open(1, 2); }
            FILE* e(const char* path) { return fopen(path, "re"); }
            const char* f() { return "socket(AF_INET, SOCK_STREAM, 0)"; }
            """
        ),
    )
    write(tree, "src/app/process_setup.cc",
          "#include <unistd.h>\n\nint g(int fd) { return ::dup2(fd, 0); }\n")
    result = lint(tree)
    assert result.returncode == 0, result.stdout
    assert "lint: banned ok" in status_lines(result)


@have_clang_format
def test_lint_reports_layer_problems(tree):
    write(tree, "src/base/x.cc", '#include "vrrp/state.h"\n')
    result = lint(tree)
    assert result.returncode == 1
    assert "lint: layers FAILED (1 problem)" in status_lines(result)
    edge = 'src/base/x.cc:1: base may not include "vrrp/state.h"'
    assert f"{edge} (base may include: base; {DESIGN})" in problems(result)


@have_clang_format
def test_lint_fails_on_trailing_whitespace_and_missing_newline(tree):
    write(tree, "docs/development.md", "# Developing keel\n\nSome text. \n")
    write(tree, "CMakeLists.txt", "project(keel)")
    result = lint(tree)
    assert result.returncode == 1
    assert "lint: whitespace FAILED (2 problems)" in status_lines(result)
    assert "docs/development.md:3: trailing whitespace" in problems(result)
    assert "CMakeLists.txt:1: no newline at end of file" in problems(result)


@have_clang_format
def test_lint_fails_without_the_style_file(tree):
    (tree / ".clang-format").unlink()
    result = lint(tree)
    assert result.returncode == 1
    assert "lint: format FAILED (1 problem)" in status_lines(result)


@have_clang_format
@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
def test_lint_in_a_git_tree_checks_new_files_but_not_ignored_ones(tree):
    subprocess.run(["git", "init", "-q", str(tree)], check=True, timeout=60)
    write(tree, ".gitignore", "src/base/gen/\n")
    write(tree, "src/base/gen/generated.cc", "int  f( ){return 1;}\n")
    assert lint(tree).returncode == 0
    write(tree, "src/net/new_file.cc", "int  f( ){return 1;}\n")
    result = lint(tree)
    assert result.returncode == 1
    assert any(p.startswith("src/net/new_file.cc:1: not clang-formatted") for p in problems(result))


def test_lint_rejects_a_missing_root(tmp_path):
    result = lint(tmp_path / "nope")
    assert result.returncode == 2
    assert "no such directory" in result.stderr


def test_scripts_are_executable():
    assert os.access(LINT, os.X_OK)
    assert os.access(CHECK_LAYERS, os.X_OK)
