"""keeld for operators: the locked pid file, the background start, systemd's notify protocol,
and the dumps keepalived's signals ask for (keel.data, keel.json). keeld runs in a lab
namespace with its own --runtime-dir, so nothing outside the test's directories is touched.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from keel_lab.util import wait_until

CONF = """instance blue
virtual_server 127.0.0.1 8080 {
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 8081 {
    weight 2
  }
}
"""

STARTUP_TIMEOUT = 10.0  # keeld reads a small config and opens no VRRP socket: seconds at most


def keeld_argv(build_dir, run_dir, conf, *extra: str) -> list[str]:
    return [str(build_dir / "src/app/keeld"), "-l", "-G", "--runtime-dir", str(run_dir),
            "-f", str(conf), *extra]


def read_pid(path) -> int:
    return int(path.read_text().strip())


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "keepalived.conf"
    path.write_text(CONF)
    return path


def test_second_keeld_with_the_same_runtime_dir_refuses(lab, keel_build_dir, tmp_path, conf):
    run = tmp_path / "run"
    host = lab.host("director")
    first = host.spawn(keeld_argv(keel_build_dir, run, conf, "-n"))
    pid_file = run / "blue" / "keeld.pid"  # the config's `instance` names the directory
    wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() == str(first.pid),
               timeout=STARTUP_TIMEOUT, what="keeld.pid")
    second = host.run(keeld_argv(keel_build_dir, run, conf, "-n"), check=False, timeout=30)
    assert second.returncode == 0, second.stderr  # keepalived's exit code for this case
    assert f"daemon is already running (pid {first.pid} holds {pid_file})" in second.stderr
    assert first.alive()
    assert first.stop(signal.SIGTERM, timeout=10) == 0
    assert not pid_file.exists()
    assert not (run / "blue").exists()  # the instance directory goes when empty


def test_background_start_reports_after_the_child_runs(lab, keel_build_dir, tmp_path, conf):
    run = tmp_path / "run"
    extra = tmp_path / "checkers.pid"
    host = lab.host("director")
    pid = None
    try:
        out = host.run(keeld_argv(keel_build_dir, run, conf, "-c", str(extra)), check=False,
                       timeout=30)
        assert out.returncode == 0, out.stderr
        pid = read_pid(run / "blue" / "keeld.pid")
        assert alive(pid)
        assert read_pid(extra) == pid
        stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        assert int(stat[3]) == pid, "the daemon leads its own session (setsid)"
        assert os.readlink(f"/proc/{pid}/cwd") == "/"
        os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not alive(pid), timeout=10, what="keeld to stop")
        pid = None
        assert not extra.exists()
    finally:
        if pid is not None and alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_background_start_that_fails_exits_non_zero(lab, keel_build_dir, tmp_path, conf):
    out = lab.host("director").run(
        keeld_argv(keel_build_dir, tmp_path / "run", conf, "-s", "keel-missing-netns"),
        check=False, timeout=30)
    assert out.returncode == 1
    assert "network namespace keel-missing-netns does not exist" in out.stderr


def test_a_runtime_dir_another_user_owns_is_refused(lab, keel_build_dir, tmp_path, conf):
    """Whoever owns the directory could swap keel.sock or read the dumps: keeld refuses it at
    start, with the fix in the message, and writes nothing there."""
    run = tmp_path / "run"
    (run / "blue").mkdir(parents=True, mode=0o700)
    os.chown(run / "blue", 65534, 65534)
    out = lab.host("director").run(keeld_argv(keel_build_dir, run, conf, "-n"), check=False,
                                   timeout=30)
    assert out.returncode == 1
    assert f"runtime directory {run}/blue belongs to uid 65534, not to keeld's uid 0" in out.stderr
    assert list((run / "blue").iterdir()) == []


def test_systemd_notify_ready_reloading_stopping(lab, keel_build_dir, tmp_path, conf):
    path = tmp_path / "notify.sock"  # a path: abstract sockets belong to one network namespace
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(STARTUP_TIMEOUT)
    try:
        proc = lab.host("director").spawn(keeld_argv(keel_build_dir, tmp_path / "run", conf, "-n"),
                                          env={"NOTIFY_SOCKET": str(path)})
        assert sock.recv(64) == b"READY=1"
        proc.send_signal(signal.SIGHUP)
        assert sock.recv(64) == b"RELOADING=1"
        assert sock.recv(64) == b"READY=1"
        proc.send_signal(signal.SIGTERM)
        assert sock.recv(64) == b"STOPPING=1"
        assert proc.stop(signal.SIGTERM, timeout=10) == 0
    finally:
        sock.close()


def test_data_and_json_signals_write_their_files(lab, keel_build_dir, tmp_path, conf):
    run = tmp_path / "run"
    proc = lab.host("director").spawn(keeld_argv(keel_build_dir, run, conf, "-n"))
    wait_until(lambda: (run / "blue" / "keeld.pid").exists(), timeout=STARTUP_TIMEOUT,
               what="keeld.pid")
    data, js = run / "blue" / "keel.data", run / "blue" / "keel.json"
    proc.send_signal(signal.SIGUSR1)
    wait_until(data.exists, timeout=5, what="keel.data")
    text = data.read_text()
    assert "Instance: blue" in text
    assert "Configuration: 0 VRRP instance(s), 0 sync group(s), 0 vrrp_script(s), " \
        "1 virtual server(s), 1 real server(s)" in text
    assert "RS 127.0.0.1:8080/TCP 127.0.0.1:8081 alive=yes" in text
    assert oct(data.stat().st_mode & 0o777) == "0o600"
    proc.send_signal(signal.SIGRTMIN + 2)  # keepalived's JSON signal (keeld --signum=JSON)
    wait_until(js.exists, timeout=5, what="keel.json")
    doc = wait_until(lambda: _json_or_none(js), timeout=5, what="complete keel.json")
    assert doc["instance"] == "blue"
    assert doc["virtual_servers"][0]["service"] == "TCP 127.0.0.1:8080"
    assert doc["virtual_servers"][0]["reals"] == [
        {"real": "127.0.0.1:8081", "weight": 2, "sorry": False}]
    assert proc.stop(signal.SIGTERM, timeout=10) == 0


def test_a_config_path_that_is_not_utf8_survives_the_json_signal(lab, keel_build_dir, tmp_path):
    """A path is bytes: keel.json carries U+FFFD for the byte 0xff instead of keeld dying of an
    uncaught JSON exception with its VIPs and pid file left behind."""
    folder = tmp_path / os.fsdecode(b"conf\xff")
    folder.mkdir()
    path = folder / "keepalived.conf"
    path.write_text(CONF)
    run = tmp_path / "run"
    proc = lab.host("director").spawn(keeld_argv(keel_build_dir, run, path, "-n"))
    wait_until(lambda: (run / "blue" / "keeld.pid").exists(), timeout=STARTUP_TIMEOUT,
               what="keeld.pid")
    js = run / "blue" / "keel.json"
    proc.send_signal(signal.SIGRTMIN + 2)
    wait_until(js.exists, timeout=5, what="keel.json")
    doc = wait_until(lambda: _json_or_none(js), timeout=5, what="complete keel.json")
    assert doc["config_file"] == str(path).replace(os.fsdecode(b"\xff"), "\ufffd")
    assert proc.alive()
    assert proc.stop(signal.SIGTERM, timeout=10) == 0


def test_stats_clear_and_tdump_signals_leave_keeld_running(lab, keel_build_dir, tmp_path, conf):
    """keepalived's STATS_CLEAR writes the statistics file and clears the counters; TDUMP dumps
    what the daemon runs to the log. Neither may kill keeld (both once had no handler)."""
    run = tmp_path / "run"
    proc = lab.host("director").spawn(keeld_argv(keel_build_dir, run, conf, "-n"))
    wait_until(lambda: (run / "blue" / "keeld.pid").exists(), timeout=STARTUP_TIMEOUT,
               what="keeld.pid")
    stats = run / "blue" / "keel.stats"
    proc.send_signal(signal.SIGRTMAX - 1)  # keeld --signum=STATS_CLEAR
    wait_until(stats.exists, timeout=5, what="keel.stats")
    proc.wait_for_output(r"Statistics cleared")
    assert "Callback exceptions: 0" in stats.read_text()
    proc.send_signal(signal.SIGRTMAX)  # keeld --signum=TDUMP
    proc.wait_for_output(r"Thread dump:")
    proc.wait_for_output(r"Children: 0 running")
    out = proc.output()
    assert re.search(r"Event loop: \d+ fd\(s\) watched, 8 signal\(s\) handled", out), out
    assert proc.alive()
    assert proc.stop(signal.SIGTERM, timeout=10) == 0


def _json_or_none(path):
    try:
        return json.loads(path.read_text())
    except ValueError:
        return None


def test_namespace_flag_enters_the_namespace_before_anything_else(lab, keel_build_dir, tmp_path,
                                                                   conf):
    """-s NAME from the root namespace: keeld runs in NAME, so the runtime directory's instance
    is NAME's (the rule's netns fallback; `instance` is dropped from the file here)."""
    host = lab.host("director")
    conf.write_text(CONF.replace("instance blue\n", ""))
    run = tmp_path / "run"
    proc = subprocess.Popen(keeld_argv(keel_build_dir, run, conf, "-n", "-s", host.name),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        pid_file = run / host.name / "keeld.pid"
        wait_until(lambda: pid_file.exists() and pid_file.read_text().strip() == str(proc.pid),
                   timeout=STARTUP_TIMEOUT, what="keeld.pid in the namespace's directory")
        assert os.readlink(f"/proc/{proc.pid}/ns/net") == \
            os.readlink(f"/proc/{_pid_in(host)}/ns/net")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def _pid_in(host) -> int:
    """A process of `host`'s namespace, to compare namespaces with."""
    sleeper = host.spawn(["sleep", "30"])
    wait_until(lambda: os.readlink(f"/proc/{sleeper.pid}/ns/net") != os.readlink(
        "/proc/self/ns/net"), timeout=5, what="sleep in the namespace")
    return sleeper.pid
