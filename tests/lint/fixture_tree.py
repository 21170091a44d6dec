"""A small fake keel tree for the lint tests: docs/design.md with an arrows table, one or two
source files per module and each module's CMakeLists.txt with DEPS equal to its arrows.

The arrows are the final ones of docs/design.md §2 after the data-plane types moved into lb (no
folder-level cycle), so the graph script passes on this tree too.
"""

import shutil
import textwrap
from pathlib import Path

# module -> arrows, in the order of the table.
ARROWS = {
    "app": ["*"],
    "ctl": ["model", "lb", "dataplane", "event"],
    "vrrp": ["model", "net", "event"],
    "check": ["model", "event"],
    "dataplane": ["lb"],
    "dataplane/xdp": ["dataplane", "lb", "net", "event"],
    "dataplane/proxy": ["dataplane", "lb", "event"],
    "lb": ["model"],
    "net": ["base"],
    "event": ["base"],
    "conf": ["model"],
    "model": ["base"],
    "base": [],
}


def cc(text):
    return textwrap.dedent(text).lstrip("\n")


def design_md(arrows=None, extra_rows=""):
    """docs/design.md with the arrows table for `arrows` (default ARROWS)."""
    arrows = ARROWS if arrows is None else arrows
    rows = "".join(
        f"| {module} | {', '.join(targets) or '-'} | what {module} holds |\n"
        for module, targets in arrows.items()
    )
    return (
        "# keel — design\n\n## 2. Layers\n\nAn arrow is \"may include/link\".\n\n"
        "| module | arrows to | what it holds |\n|---|---|---|\n" + rows + extra_rows + "\n"
        "## 3. Threads\n\nOne loop.\n"
    )


def cmake_lists(module, targets):
    name = module.replace("/", "_")
    deps = "" if targets == ["*"] else " ".join(t.replace("/", "_") for t in targets)
    if targets == ["*"]:
        deps = " ".join(m.replace("/", "_") for m in ARROWS if m != module)
    text = f"keel_module({name}\n  SOURCES x.cc\n"
    if deps:
        text += f"  DEPS {deps}\n"
    return text + "  TESTS x_test.cc)\n"


# One or two files per module, each including what its arrows let it (directly or transitively),
# clang-formatted, with the words the lint bans only in comments and string literals, and the one
# allowed clock read in src/base/clock.cc.
SOURCES = {
    "src/base/error.h": cc(
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
    "src/base/clock.h": cc(
        """
        #pragma once

        #include <chrono>

        namespace keel::base {

        std::chrono::steady_clock::time_point monotonicNow();

        }  // namespace keel::base
        """
    ),
    "src/base/clock.cc": cc(
        """
        #include "base/clock.h"

        namespace keel::base {

        // The one place that reads the OS clock.
        std::chrono::steady_clock::time_point monotonicNow() { return std::chrono::steady_clock::now(); }

        }  // namespace keel::base
        """
    ),
    "src/base/clock_test.cc": cc(
        """
        #include "base/clock.h"

        #include <gtest/gtest.h>

        namespace keel::base {

        TEST(ClockTest, Monotonic) { EXPECT_LE(monotonicNow(), monotonicNow()); }

        }  // namespace keel::base
        """
    ),
    "src/event/loop.h": cc(
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
    "src/net/socket.h": cc(
        """
        #pragma once

        #include <net/if.h>

        #include "base/error.h"

        namespace keel::net {

        int openRaw();

        }  // namespace keel::net
        """
    ),
    "src/model/config.h": cc(
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
    "src/conf/parser.cc": cc(
        """
        #include "base/error.h"
        #include "model/config.h"

        namespace keel::conf {

        // Not std::stoi: it throws. Parse with std::from_chars.
        const char* usage() { return "do not throw, do not sleep(1), no atoi( here"; }

        }  // namespace keel::conf
        """
    ),
    "src/lb/sched.h": cc(
        """
        #pragma once

        #include "model/config.h"
        """
    ),
    "src/lb/table.h": cc(
        """
        #pragma once

        #include <model/config.h>
        """
    ),
    "src/dataplane/dataplane.h": cc(
        """
        #pragma once

        #include "base/error.h"
        #include "lb/table.h"

        namespace keel::dataplane {

        class Dataplane {
         public:
          virtual ~Dataplane() = default;
        };

        }  // namespace keel::dataplane
        """
    ),
    "src/dataplane/xdp/loader.cc": cc(
        """
        #include "dataplane/xdp/loader.h"

        #include <bpf/libbpf.h>
        #include <linux/bpf.h>

        #include "base/error.h"
        #include "dataplane/dataplane.h"
        #include "event/loop.h"
        #include "lb/sched.h"
        #include "net/socket.h"
        """
    ),
    "src/dataplane/xdp/loader.h": cc(
        """
        #pragma once

        #include "dataplane/dataplane.h"
        """
    ),
    "src/dataplane/xdp/bpf/lb.bpf.c": cc(
        """
        #include <linux/bpf.h>

        #include "dataplane/xdp/bpf/maps.h"

        int xdp_lb(struct xdp_md* ctx) { return XDP_PASS; }
        """
    ),
    "src/dataplane/xdp/bpf/maps.h": cc(
        """
        #pragma once

        #define KEEL_MAX_BACKENDS 1024
        """
    ),
    "src/dataplane/proxy/proxy.cc": cc(
        """
        #include "dataplane/dataplane.h"
        #include "event/loop.h"
        #include "lb/sched.h"
        #include "model/config.h"
        """
    ),
    "src/vrrp/state.h": cc(
        """
        #pragma once

        #include "base/error.h"
        #include "event/loop.h"
        #include "model/config.h"
        #include "net/socket.h"
        """
    ),
    "src/vrrp/state_test.cc": cc(
        """
        #include "vrrp/state.h"

        #include <gtest/gtest.h>

        TEST(StateTest, Compiles) { SUCCEED(); }
        """
    ),
    "src/check/checker.h": cc(
        """
        #pragma once

        #include "event/loop.h"
        #include "model/config.h"
        """
    ),
    "src/ctl/server.cc": cc(
        """
        #include "dataplane/dataplane.h"
        #include "event/loop.h"
        #include "lb/sched.h"
        #include "model/config.h"
        """
    ),
    "src/app/keeld_main.cc": cc(
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
}

OTHER_FILES = {
    "tests/e2e/test_smoke.py": "def test_smoke():\n    assert True\n",
    "docs/development.md": "# Developing keel\n\nSome text.\n",
    "cmake/keel_module.cmake": "function(keel_module name)\nendfunction()\n",
    "scripts/tool": "#!/usr/bin/env bash\necho hi\n",
    "CMakeLists.txt": "cmake_minimum_required(VERSION 3.25)\nproject(keel)\n",
    "README.md": "# keel\n",
}


def clean_tree():
    """{relative path: text} of the whole clean tree."""
    files = dict(SOURCES)
    files.update(OTHER_FILES)
    files["docs/design.md"] = design_md()
    for module, targets in ARROWS.items():
        files[f"src/{module}/CMakeLists.txt"] = cmake_lists(module, targets)
    return files


def write(root, rel, text, mode="w"):
    path = Path(root) / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, mode, encoding="utf-8", newline="") as f:
        f.write(text)
    return path


REPO = Path(__file__).resolve().parents[2]

# The repo's style (Google, 100 columns); used when the repo's own .clang-format is missing.
CLANG_FORMAT_STYLE = (
    "BasedOnStyle: Google\nColumnLimit: 100\nDerivePointerAlignment: false\n"
    "PointerAlignment: Left\nIncludeBlocks: Preserve\n"
)


def make_tree(root):
    """Writes the clean tree and the repo's .clang-format under `root`; returns `root`."""
    for rel, text in clean_tree().items():
        write(root, rel, text)
    style = REPO / ".clang-format"
    if style.is_file():
        shutil.copy(style, Path(root) / ".clang-format")
    else:
        write(root, ".clang-format", CLANG_FORMAT_STYLE)
    return Path(root)
