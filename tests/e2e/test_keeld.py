"""keeld as a process: its command line, and the daemon's life cycle inside a
network namespace (start, SIGHUP, orderly stop on SIGTERM/SIGINT).

These grow with keeld: today keeld has no engines wired, so what is tested is
what exists — keepalived's flags and signals.
"""

from __future__ import annotations

import signal
import subprocess

import pytest


def keeld(build_dir, *args: str) -> subprocess.CompletedProcess:
    """Runs keeld outside any namespace with a short deadline."""
    return subprocess.run([str(build_dir / "src/app/keeld"), *args], capture_output=True,
                          text=True, timeout=30)


def test_help_lists_keepalived_flags_and_marks_missing_ones(keel_build_dir):
    out = keeld(keel_build_dir, "--help")
    assert out.returncode == 0
    assert "-f, --use-file=FILE" in out.stdout
    assert "-n, --dont-fork" in out.stdout
    vrrp = next(line for line in out.stdout.splitlines() if "--vrrp" in line)
    assert vrrp.endswith("(not implemented yet)")


def test_version(keel_build_dir):
    out = keeld(keel_build_dir, "-v")
    assert out.returncode == 0
    assert out.stdout.startswith("keeld (keel) v")


@pytest.mark.parametrize("args, message", [
    (["-P"], "keeld: option -P (--vrrp) is not implemented by keel yet"),
    (["--bogus"], "keeld: Unknown option --bogus"),
    (["-f"], "keeld: option requires an argument -- 'f'"),
    ([], "keeld: running in the background is not implemented by keel yet; run with -n "
         "(--dont-fork)"),
])
def test_refused_command_lines_exit_1_with_a_message(keel_build_dir, args, message):
    out = keeld(keel_build_dir, *args)
    assert out.returncode == 1
    assert out.stderr.strip() == message


def test_signum_prints_keepalived_numbers(keel_build_dir):
    assert keeld(keel_build_dir, "--signum=STOP").stdout.strip() == str(int(signal.SIGTERM))
    assert keeld(keel_build_dir, "--signum=RELOAD").stdout.strip() == str(int(signal.SIGHUP))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_in_a_namespace_stops_in_order_on_signal(lab, keel_build_dir, sig):
    director = lab.host("director")
    proc = director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                           "-f", "/nonexistent/keepalived.conf"])
    proc.wait_for_output(r"Starting keel v\d+\.\d+\.\d+")
    proc.wait_for_output(r"Unable to open configuration file /nonexistent/keepalived.conf")

    proc.send_signal(signal.SIGHUP)
    proc.wait_for_output(r"Reloading")
    assert proc.alive(), "SIGHUP must not stop keeld"

    assert proc.stop(sig, timeout=10) == 0
    out = proc.output()
    assert f"Stopping ({sig.name})" in out
    assert out.rstrip().endswith(f"Stopped keel v{out.split('Starting keel v')[1].split()[0]}")
