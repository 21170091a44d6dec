"""pytest integration for keel_lab: fixtures, a per-test time limit, and
signal handling that makes SIGTERM/SIGHUP stop the session cleanly.

tests/e2e/conftest.py re-exports the names below; another session can load
this module with `-p keel_lab.pytest_plugin` (with tests/e2e on PYTHONPATH).

- `lab` fixture: a fresh Lab per test, closed in teardown (also when the
  test failed); skips when root / network namespaces are unavailable.
- `keel_build_dir` fixture: $KEEL_BUILD_DIR or <repo>/build/asan-ubsan;
  skips unless src/app/keeld and src/app/keelctl exist there.
- Time limit (ini `keel_timeout`, seconds, default 120, 0 = off; a test or
  module marked `@pytest.mark.keel_timeout(SECONDS)` gets its own): setup and
  call together must finish within it, and teardown gets the same again.
  It uses SIGALRM and raises pytest's failure exception in the test, so
  the test fails and its teardown (lab cleanup) still runs.
- When a test using `lab` fails, the tail of every lab process log is added
  to its report as a "keel lab process logs" section.
- SIGTERM and SIGHUP raise KeyboardInterrupt (pytest's "stop the session"
  signal), so fixture teardown runs; installed only over SIG_DFL.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from .lab import Lab
from .netns import require_root_netns

REPO_ROOT = Path(__file__).resolve().parents[3]
_DEADLINE = pytest.StashKey[float]()
_SAVED_HANDLERS = pytest.StashKey[dict]()


class Terminated(KeyboardInterrupt):
    """pytest received SIGTERM/SIGHUP; a KeyboardInterrupt so pytest stops and tears down."""


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(f"received {signal.Signals(signum).name}")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("keel_timeout", "per-test time limit in seconds (setup+call; teardown gets "
                  "the same again); 0 disables", default="120")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "keel_timeout(seconds): this test's time limit instead of "
                            "the ini keel_timeout (a module-scoped fixture's setup counts "
                            "against the first test using it)")
    saved = config.stash[_SAVED_HANDLERS] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) == signal.SIG_DFL:
                saved[sig] = signal.signal(sig, _raise_terminated)


def pytest_unconfigure(config: pytest.Config) -> None:
    for sig, previous in config.stash.get(_SAVED_HANDLERS, {}).items():
        if signal.getsignal(sig) is _raise_terminated:
            signal.signal(sig, previous)


def _limit(item: pytest.Item) -> float:
    marker = item.get_closest_marker("keel_timeout")
    return float(marker.args[0] if marker else item.config.getini("keel_timeout"))


@contextmanager
def _time_limit(seconds: float, limit: float) -> Iterator[None]:
    """Fail the running test phase if it is still running after `seconds`."""
    usable = (limit > 0 and threading.current_thread() is threading.main_thread()
              and signal.getsignal(signal.SIGALRM) == signal.SIG_DFL)
    if not usable:  # disabled, or SIGALRM belongs to someone else (e.g. pytest-timeout)
        yield
        return

    def on_alarm(_signum: int, _frame: object) -> None:
        pytest.fail(f"keel: test exceeded its {limit:g}s time limit (keel_timeout)")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    item.stash[_DEADLINE] = time.monotonic() + _limit(item)
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    with _time_limit(item.stash[_DEADLINE] - time.monotonic(), _limit(item)):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    with _time_limit(item.stash[_DEADLINE] - time.monotonic(), _limit(item)):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item):
    with _time_limit(_limit(item), _limit(item)):
        yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    lab = getattr(item, "funcargs", {}).get("lab")
    if report.when == "call" and report.failed and isinstance(lab, Lab):
        report.sections.append(("keel lab process logs", lab.proc_logs() or "(no processes)"))


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A fresh Lab, closed after the test whatever happened."""
    reason = require_root_netns()
    if reason:
        pytest.skip(reason)
    with Lab() as the_lab:
        yield the_lab


@pytest.fixture(scope="session")
def keel_build_dir() -> Path:
    """The keel build tree; keeld/keelctl are <dir>/src/app/keeld and <dir>/src/app/keelctl."""
    build = Path(os.environ.get("KEEL_BUILD_DIR") or REPO_ROOT / "build" / "asan-ubsan")
    missing = [str(build / "src" / "app" / exe) for exe in ("keeld", "keelctl")
               if not os.access(build / "src" / "app" / exe, os.X_OK)]
    if missing:
        pytest.skip(f"keel binaries not built: {', '.join(missing)} "
                    "(build with `cmake --preset asan-ubsan && cmake --build --preset asan-ubsan` "
                    "or set KEEL_BUILD_DIR)")
    return build
