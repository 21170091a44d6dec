"""Tests of scripts/lint, run on small trees planted in a tmp dir (tests/lint/fixture_tree.py).

Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

import os
import shutil
import subprocess

import pytest
from fixture_tree import REPO, cc, write

CHECK_LAYERS = REPO / "scripts" / "check_layers.py"
LINT = REPO / "scripts" / "lint"
DESIGN = "see docs/design.md §2"


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
        "lint: graph ok",
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
        "lint: graph ok",
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
        cc(
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
        cc(
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


CHECK_MAY = "(check may include: base, check, event, model; see docs/design.md §2)"


@have_clang_format
@pytest.mark.parametrize(
    "path, text, problem, graph",
    [
        (
            "src/check/probe.cc",
            '#include "vrrp/state.h"\n',
            f'src/check/probe.cc:1: check may not include "vrrp/state.h" {CHECK_MAY}',
            "lint: graph FAILED (1 problem)",
        ),
        (
            "src/check/probe.cc",
            "#include <vrrp/state.h>\n",
            f"src/check/probe.cc:1: check may not include <vrrp/state.h> {CHECK_MAY}",
            "lint: graph FAILED (1 problem)",
        ),
        (
            "src/check/CMakeLists.txt",
            "keel_module(check\n  SOURCES x.cc\n  DEPS model event vrrp)\n",
            f"src/check/CMakeLists.txt:3: check may not link vrrp {CHECK_MAY}",
            "lint: graph ok",
        ),
    ],
    ids=["quoted include", "angle include", "cmake link"],
)
def test_lint_fails_on_each_kind_of_layer_violation(tree, path, text, problem, graph):
    write(tree, path, text)
    result = lint(tree)
    assert result.returncode == 1
    assert status_lines(result)[1:3] == ["lint: layers FAILED (1 problem)", graph]
    assert problem in problems(result)
    assert status_lines(result)[-1] == "lint: FAILED"


@have_clang_format
def test_lint_fails_on_a_folder_level_cycle(tree):
    write(tree, "src/lb/back.h", '#pragma once\n#include "dataplane/dataplane.h"\n')
    result = lint(tree)
    assert result.returncode == 1
    assert status_lines(result)[1:3] == [
        "lint: layers FAILED (1 problem)",
        "lint: graph FAILED (3 problems)",  # the folder cycle, the module cycle, the arrow
    ]
    assert any(p.startswith("src/lb/back.h:2: cycle at folder level: ") for p in problems(result))


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
    assert os.access(REPO / "scripts" / "include_graph.py", os.X_OK)
