"""Tests of the per-module include roots of cmake/keel_module.cmake: a tiny CMake project of five
one-file modules is configured and built, and a wrong include fails the build, not only the lint.

Each test configures once (about a second) and compiles one or two files.
Run: /usr/bin/python3 -m pytest tests/lint -q -p no:cacheprovider
"""

import shutil
import subprocess

import pytest
from fixture_tree import REPO, write

pytestmark = pytest.mark.skipif(
    not (shutil.which("cmake") and shutil.which("ninja") and shutil.which("g++")),
    reason="cmake, ninja and g++ are needed (scripts/deps installs them)",
)

TOP = f"""cmake_minimum_required(VERSION 3.25)
project(roots CXX)
include({REPO}/cmake/keel_module.cmake)
foreach(module base vrrp check dataplane)
  add_subdirectory(src/${{module}})
endforeach()
"""

# module -> (DEPS, the one source file's text). dataplane/xdp is nested in dataplane.
MODULES = {
    "base": ("", "#include \"base/base.h\"\nint base() { return 1; }\n"),
    "vrrp": ("base", "#include \"base/base.h\"\n#include \"vrrp/vrrp.h\"\nint vrrp() { return 2; }\n"),
    "check": ("base", "#include \"base/base.h\"\nint check() { return 3; }\n"),
    "dataplane": ("base", "#include \"dataplane/dataplane.h\"\nint dataplane() { return 4; }\n"),
    # Reaches base through dataplane: arrows compose.
    "dataplane/xdp": ("dataplane", "#include \"base/base.h\"\n#include \"dataplane/dataplane.h\"\n"
                      "int xdp() { return 5; }\n"),
}


def module_lists(module, deps, extra=""):
    name = module.replace("/", "_")
    text = f"keel_module({name}\n  SOURCES {name}.cc\n"
    text += f"  DEPS {deps})\n" if deps else ")\n"
    return text + extra


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    write(root, "CMakeLists.txt", TOP)
    for module, (deps, source) in MODULES.items():
        name = module.replace("/", "_")
        extra = "add_subdirectory(xdp)\n" if module == "dataplane" else ""
        write(root, f"src/{module}/CMakeLists.txt", module_lists(module, deps, extra))
        write(root, f"src/{module}/{name}.cc", source)
        write(root, f"src/{module}/{name}.h", "#pragma once\n")
    return root


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120)


def configure(root):
    return run("cmake", "-G", "Ninja", "-S", str(root), "-B", str(root / "build"))


def build(root, target):
    return run("cmake", "--build", str(root / "build"), "--target", target)


def configured(root):
    result = configure(root)
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_clean_project_builds_and_arrows_compose(project):
    configured(project)
    for target in ["keel_vrrp", "keel_check", "keel_dataplane", "keel_dataplane_xdp"]:
        result = build(project, target)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("include", ['"vrrp/vrrp.h"', "<vrrp/vrrp.h>"])
def test_an_include_outside_the_arrows_fails_the_build(project, include):
    write(project, "src/check/check.cc", f"#include {include}\nint check() {{ return 3; }}\n")
    configured(project)
    result = build(project, "keel_check")
    assert result.returncode != 0
    assert "vrrp/vrrp.h: No such file or directory" in result.stdout + result.stderr
    # The same include compiles once DEPS links vrrp (which the lint refuses unless drawn).
    write(project, "src/check/CMakeLists.txt", module_lists("check", "base vrrp"))
    result = build(project, "keel_check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_folder_does_not_show_its_nested_modules(project):
    write(project, "src/dataplane/dataplane.cc",
          '#include "dataplane/dataplane.h"\n#include "dataplane/xdp/dataplane_xdp.h"\n')
    configured(project)
    result = build(project, "keel_dataplane")
    assert result.returncode != 0
    assert "dataplane/xdp/dataplane_xdp.h: No such file or directory" in result.stdout


def test_a_new_file_in_a_folder_with_nested_modules_appears_without_reconfiguring(project):
    configured(project)
    assert build(project, "keel_dataplane").returncode == 0
    write(project, "src/dataplane/extra.h", "#pragma once\ninline int extra() { return 6; }\n")
    write(project, "src/dataplane/dataplane.cc",
          '#include "dataplane/extra.h"\nint dataplane() { return extra(); }\n')
    result = build(project, "keel_dataplane")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_module_named_unlike_its_folder_fails_to_configure(project):
    write(project, "src/dataplane/xdp/CMakeLists.txt",
          "keel_module(xdp\n  SOURCES dataplane_xdp.cc\n  DEPS dataplane)\n")
    result = configure(project)
    assert result.returncode != 0
    assert "keel_module(xdp) in src/dataplane/xdp/ must be named dataplane_xdp" in result.stderr


def test_reconfiguring_leaves_the_sources_alone(project):
    configured(project)
    configured(project)  # the roots are removed and staged again; the symlinks' targets stay
    assert (project / "src/dataplane/dataplane.cc").is_file()
    assert (project / "src/vrrp/vrrp.h").is_file()
    root = project / "build/include_roots"
    assert (root / "vrrp/vrrp").is_symlink()
    assert sorted(p.name for p in (root / "dataplane/dataplane").iterdir()) == [
        "CMakeLists.txt", "dataplane.cc", "dataplane.h"
    ]
