"""Self-tests of keel_lab cleanup when the program using it is interrupted:
Ctrl-C and SIGTERM to a plain script, the pytest per-test time limit and
SIGTERM to a pytest session, plus the `keel_build_dir` fixture's skip logic.

Each case runs the lab in a child process, reads back what the child
created (namespaces, pids, link prefix, temp dir) and checks with `ip` and
/proc that all of it is gone. Whatever a broken child leaves is purged here.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from keel_lab import pid_alive, require_root_netns, wait_until
from keel_lab.netns import delete_netns, kill_netns_pids, netns_exists

E2E_DIR = Path(__file__).resolve().parent

BUILD_AND_REPORT = """
def build_and_report(lab, report_to=None):
    a, sw = lab.host("a"), lab.switch("sw")
    lab.connect(a, sw, "198.18.0.1/24")
    sleeper = a.spawn(["sh", "-c", "echo keel-log-marker; exec sleep 60"])
    sleeper.wait_for_output("keel-log-marker", timeout=5)
    report = json.dumps({"netns": [a.name, sw.name], "procs": [[sleeper.pid, sleeper.starttime]],
                         "link_prefix": lab.link_prefix, "tmpdir": str(lab.tmpdir)})
    if report_to:  # write-then-rename so the reader never sees half a file
        Path(report_to + ".tmp").write_text(report)
        os.replace(report_to + ".tmp", report_to)
    else:
        print(report, flush=True)
    time.sleep(60)
"""

SCRIPT = "import json, os, sys, time\nfrom pathlib import Path\nfrom keel_lab import Lab\n" \
    + BUILD_AND_REPORT + """
if sys.argv[1] == "with":
    with Lab() as lab:
        build_and_report(lab)
else:
    build_and_report(Lab())  # never closed here: only the signal handler + atexit clean up
"""

SESSION_LAB_TEST = "import json, os, time\nfrom pathlib import Path\n" + BUILD_AND_REPORT + """
def test_outlives_its_time_limit(lab):
    build_and_report(lab, os.environ["KEEL_REPORT"])
"""

SESSION_BUILD_TEST = """
import os
from pathlib import Path

def test_build_dir(keel_build_dir):
    assert keel_build_dir == Path(os.environ["KEEL_BUILD_DIR"])
"""


@pytest.fixture
def netns_ok() -> None:
    """Skip when namespaces are unavailable."""
    reason = require_root_netns()
    if reason:
        pytest.skip(reason)


def _default_signals() -> None:
    """preexec: give the child default dispositions, as an interactive shell would,
    even if this test run inherited SIG_IGN (e.g. started in the background)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


@contextmanager
def child(argv: list[str], cwd: Path | None = None, env: dict | None = None) -> Iterator[subprocess.Popen]:
    """Run a python child with keel_lab importable; it is killed if still running at the end."""
    full_env = {**os.environ, "PYTHONPATH": str(E2E_DIR), "PYTHONDONTWRITEBYTECODE": "1", **(env or {})}
    proc = subprocess.Popen(argv, cwd=cwd, env=full_env, text=True, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            preexec_fn=_default_signals)
    try:
        yield proc
    finally:
        if proc.poll() is None:  # the test failed: let the child clean up, then insist
            proc.terminate()
            try:
                proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        proc.communicate(timeout=10)


def read_report_line(proc: subprocess.Popen, timeout: float) -> dict:
    """The JSON line the child prints once its lab is built."""
    if not select.select([proc.stdout], [], [], timeout)[0]:
        raise TimeoutError(f"child printed nothing within {timeout}s")
    line = proc.stdout.readline()
    rest = proc.stdout.read() if proc.poll() is not None else ""
    assert line.startswith("{"), f"child failed: {line}{rest}"
    return json.loads(line)


def leftovers(report: dict) -> list[str]:
    """What the child reported that still exists, checked with `ip` and /proc."""
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, timeout=10).stdout
    found = [ns for ns in report["netns"] if re.search(rf"^{re.escape(ns)}\b", listed, re.M)]
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, timeout=10).stdout
    found += re.findall(rf"^\d+: ({re.escape(report['link_prefix'])}\w*)", links, re.M)
    found += [f"pid {pid}" for pid, start in report["procs"] if pid_alive(pid, start)]
    found += [report["tmpdir"]] if os.path.exists(report["tmpdir"]) else []
    return found


def purge(report: dict | None) -> None:
    """Remove whatever a misbehaving child left (so a failing test still leaks nothing)."""
    if not report:
        return
    for pid, start in report["procs"]:
        if pid_alive(pid, start):
            os.kill(pid, signal.SIGKILL)
    for ns in report["netns"]:
        if netns_exists(ns):
            kill_netns_pids(ns)
            delete_netns(ns)
    shutil.rmtree(report["tmpdir"], ignore_errors=True)


@pytest.mark.parametrize("sig, mode, expected_rc", [
    (signal.SIGINT, "with", -signal.SIGINT),  # uncaught KeyboardInterrupt re-raises SIGINT
    (signal.SIGTERM, "with", 128 + signal.SIGTERM),
    (signal.SIGTERM, "atexit", 128 + signal.SIGTERM),
], ids=["sigint-with", "sigterm-with", "sigterm-atexit"])
def test_script_cleans_up_on_signal(netns_ok, sig, mode, expected_rc):
    report = None
    try:
        with child([sys.executable, "-c", SCRIPT, mode]) as proc:
            report = read_report_line(proc, timeout=30)
            assert leftovers(report), "the child's lab should exist before the signal"
            proc.send_signal(sig)
            start = time.monotonic()
            output = proc.communicate(timeout=15)[0]
            assert time.monotonic() - start < 5, output
            assert proc.returncode == expected_rc, output
            assert "cleanup" not in output, output
        assert leftovers(report) == []
    finally:
        purge(report)


def start_session(tmp_path: Path, source: str, keel_timeout: float, env: dict | None = None):
    """A pytest session (as a `child`) on one generated test file, using keel_lab's plugin."""
    (tmp_path / "pytest.ini").write_text(f"[pytest]\nkeel_timeout = {keel_timeout}\n")
    (tmp_path / "test_generated.py").write_text(source)
    argv = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "keel_lab.pytest_plugin",
            "-q", "-rs", "test_generated.py"]
    return child(argv, cwd=tmp_path, env=env)


def wait_for_report(path: Path) -> dict:
    """The JSON the generated test writes once its lab is built."""
    return json.loads(wait_until(lambda: path.exists() and path.read_text(), 30, what=f"{path}"))


def test_time_limit_fails_the_test_and_cleanup_still_runs(netns_ok, tmp_path):
    report_path = tmp_path / "report.json"
    report = None
    try:
        with start_session(tmp_path, SESSION_LAB_TEST, 3, {"KEEL_REPORT": str(report_path)}) as proc:
            start = time.monotonic()
            report = wait_for_report(report_path)
            output = proc.communicate(timeout=30)[0]
        assert time.monotonic() - start < 15, output
        assert proc.returncode == pytest.ExitCode.TESTS_FAILED, output
        assert re.search(r"^1 failed in ", output, re.M), output
        assert "keel: test exceeded its 3s time limit" in output
        assert "keel lab process logs" in output and "keel-log-marker" in output
        assert leftovers(report) == []
    finally:
        purge(report)


def test_sigterm_stops_a_pytest_session_and_cleanup_runs(netns_ok, tmp_path):
    report_path = tmp_path / "report.json"
    report = None
    try:
        with start_session(tmp_path, SESSION_LAB_TEST, 60, {"KEEL_REPORT": str(report_path)}) as proc:
            report = wait_for_report(report_path)
            assert leftovers(report), "the session's lab should exist before SIGTERM"
            proc.send_signal(signal.SIGTERM)
            output = proc.communicate(timeout=15)[0]
        assert proc.returncode == pytest.ExitCode.INTERRUPTED, output
        assert "Terminated: received SIGTERM" in output, output
        assert leftovers(report) == []
    finally:
        purge(report)


@pytest.mark.parametrize("built", [True, False], ids=["built", "keelctl-missing"])
def test_keel_build_dir_fixture(tmp_path, built):
    app = tmp_path / "build" / "src" / "app"
    app.mkdir(parents=True)
    for exe in ("keeld", "keelctl") if built else ("keeld",):
        (app / exe).write_text("#!/bin/sh\n")
        (app / exe).chmod(0o755)
    with start_session(tmp_path, SESSION_BUILD_TEST, 30, {"KEEL_BUILD_DIR": str(tmp_path / "build")}) as proc:
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == pytest.ExitCode.OK, output
    if built:
        assert re.search(r"^1 passed in ", output, re.M), output
    else:
        assert re.search(r"^1 skipped in ", output, re.M), output
        assert f"keel binaries not built: {app / 'keelctl'} (" in output, output
