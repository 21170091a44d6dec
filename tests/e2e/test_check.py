"""Health checkers in keeld (issue 6): a TCP_CHECK against a real server in another
namespace. Stopping the real server's listener runs notify_down once and writes the
keepalived FIFO lines; starting it again runs notify_up once. With alpha the real server
starts down and one success brings it up. Addresses are inside the lab's namespaces only
(198.18.0.0/15).

Timing bounds follow keepalived's checker rules (docs/reference/keepalived.md §3.2): a checker that was UP
goes DOWN after retry + 1 consecutive failures, the first one at most delay_loop after the
last success and the others delay_before_retry apart, each taking at most connect_timeout;
a DOWN checker retries at most max(delay_loop, delay_before_retry) apart.
"""

from __future__ import annotations

import os
import signal
import time

from keel_lab.netprobe import probe_cmd
from keel_lab.util import wait_until

VIP = "198.18.0.100"
RS = "198.18.0.2"
PORT = 8080
DELAY_LOOP = 1
RETRY = 2
DELAY_BEFORE_RETRY = 1
CONNECT_TIMEOUT = 1
SLACK = 3.0  # seconds on top of each bound, for a loaded machine

DOWN_BOUND = (DELAY_LOOP + RETRY * DELAY_BEFORE_RETRY + (RETRY + 1) * CONNECT_TIMEOUT + SLACK)
UP_BOUND = max(DELAY_LOOP, DELAY_BEFORE_RETRY) + CONNECT_TIMEOUT + SLACK
START_BOUND = 1 + CONNECT_TIMEOUT + SLACK  # bootstrap delay 1 s, warmup 0

CONF = """global_defs {{
  router_id d1
  notify_fifo {fifo}
}}
virtual_server {vip} {port} {{
  delay_loop {delay_loop}
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server {rs} {port} {{
    weight 1
    notify_up "{notify} up"
    notify_down "{notify} down"
    TCP_CHECK {{
      connect_timeout {connect_timeout}
      retry {retry}
      delay_before_retry {delay_before_retry}
      warmup 0
      {alpha}
    }}
  }}
}}
"""

NOTIFY = """#!/bin/sh
echo "$1" >> {log}
"""

RS_LINE = f"RS [{RS}]:tcp:{PORT} [{VIP}]:tcp:{PORT}"
VS_LINE = f"VS [{VIP}]:tcp:{PORT}"


class Fifo:
    """The notify FIFO, read without blocking; lines accumulate in `lines`."""

    def __init__(self, path):
        os.mkfifo(path, 0o600)
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.buf = b""
        self.lines: list[str] = []

    def read(self) -> list[str]:
        while True:
            try:
                chunk = os.read(self.fd, 4096)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.buf += chunk
        *done, self.buf = self.buf.split(b"\n")
        self.lines += [line.decode() for line in done]
        return self.lines

    def close(self):
        os.close(self.fd)


def notifies(log) -> list[str]:
    return log.read_text().split() if log.exists() else []


def start(lab, keel_build_dir, tmp_path, alpha: bool, listening: bool):
    switch = lab.switch("sw")
    d1, r1 = lab.host("d1"), lab.host("r1")
    lab.connect(d1, switch, "198.18.0.1/24")
    lab.connect(r1, switch, f"{RS}/24")
    log = tmp_path / "notify.log"
    script = tmp_path / "notify.sh"
    script.write_text(NOTIFY.format(log=log))
    script.chmod(0o755)
    fifo = Fifo(str(tmp_path / "fifo"))
    conf = tmp_path / "keel.conf"
    conf.write_text(CONF.format(fifo=tmp_path / "fifo", vip=VIP, port=PORT, rs=RS,
                                delay_loop=DELAY_LOOP, notify=script,
                                connect_timeout=CONNECT_TIMEOUT, retry=RETRY,
                                delay_before_retry=DELAY_BEFORE_RETRY,
                                alpha="alpha" if alpha else ""))
    server = listen(r1) if listening else None
    keeld = d1.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-f", str(conf)])
    return r1, keeld, server, fifo, log


def listen(r1):
    server = r1.spawn(probe_cmd("serve", RS, str(PORT)))
    server.wait_for_output(r"listening")
    return server


def test_listener_stop_and_start_run_notify_down_then_up_once(lab, keel_build_dir, tmp_path):
    r1, keeld, server, fifo, log = start(lab, keel_build_dir, tmp_path, alpha=False,
                                         listening=True)
    try:
        keeld.wait_for_output(rf"TCP connection to \[{RS}\]:tcp:{PORT} success\.",
                              timeout=START_BOUND)
        assert notifies(log) == [], "no notify for a real server that starts alive"

        server.stop(signal.SIGKILL)
        stopped = time.monotonic()
        wait_until(lambda: notifies(log) == ["down"], timeout=DOWN_BOUND,
                   what="notify_down after the listener stopped")
        assert time.monotonic() - stopped <= DOWN_BOUND
        keeld.wait_for_output(
            rf"TCP_CHECK on service \[{RS}\]:tcp:{PORT} failed after {RETRY} retries\.")
        keeld.wait_for_output(rf"Removing service \[{RS}\]:tcp:{PORT} from VS \[{VIP}\]:tcp:{PORT}")
        wait_until(lambda: f"{RS_LINE} DOWN" in fifo.read(), timeout=2, what="RS DOWN FIFO line")
        assert f"{VS_LINE} DOWN" in fifo.read(), "the only real server down: quorum lost"

        listen(r1)
        restarted = time.monotonic()
        wait_until(lambda: notifies(log) == ["down", "up"], timeout=UP_BOUND,
                   what="notify_up after the listener came back")
        assert time.monotonic() - restarted <= UP_BOUND
        keeld.wait_for_output(rf"Adding service \[{RS}\]:tcp:{PORT} to VS \[{VIP}\]:tcp:{PORT}")
        wait_until(lambda: f"{RS_LINE} UP" in fifo.read(), timeout=2, what="RS UP FIFO line")
        assert f"{VS_LINE} UP" in fifo.read()

        time.sleep(DELAY_LOOP * 3)  # more successful checks: nothing more fires
        assert notifies(log) == ["down", "up"]
        assert fifo.read().count(f"{RS_LINE} DOWN") == 1
        assert fifo.read().count(f"{RS_LINE} UP") == 1
        assert keeld.alive()
    finally:
        fifo.close()


def test_alpha_starts_down_and_one_success_brings_it_up(lab, keel_build_dir, tmp_path):
    r1, keeld, _, fifo, log = start(lab, keel_build_dir, tmp_path, alpha=True, listening=False)
    try:
        # Already DOWN: the first failure is logged but changes nothing.
        keeld.wait_for_output(rf"TCP_CHECK on service \[{RS}\]:tcp:{PORT} failed\.",
                              timeout=START_BOUND)
        assert notifies(log) == []
        assert not any(line.startswith("RS ") for line in fifo.read())

        listen(r1)
        started = time.monotonic()
        wait_until(lambda: notifies(log) == ["up"], timeout=UP_BOUND,
                   what="notify_up after the first success")
        assert time.monotonic() - started <= UP_BOUND
        wait_until(lambda: f"{RS_LINE} UP" in fifo.read(), timeout=2, what="RS UP FIFO line")
        time.sleep(DELAY_LOOP * 2)
        assert notifies(log) == ["up"]
    finally:
        fifo.close()


def test_reload_keeps_a_down_real_server_down(lab, keel_build_dir, tmp_path):
    _, keeld, _, fifo, log = start(lab, keel_build_dir, tmp_path, alpha=False, listening=False)
    try:
        # Without alpha the real server starts alive and one failure takes it down.
        wait_until(lambda: notifies(log) == ["down"], timeout=START_BOUND,
                   what="notify_down after the first failure")
        keeld.send_signal(signal.SIGHUP)
        keeld.wait_for_output(r"Reload: no changes")
        time.sleep(UP_BOUND)  # a checker restarted as at boot would report UP meanwhile
        assert notifies(log) == ["down"]
        assert fifo.read().count(f"{RS_LINE} DOWN") == 1
        assert f"{RS_LINE} UP" not in fifo.read()
        assert keeld.alive()
    finally:
        fifo.close()


# FILE_CHECK (docs/health-checks.md): the track file is read once a second, so a write shows in
# keelctl within that second plus the slack.
FILE_CONF = """track_file gate {{
  file {gate}
  weight 0
  init_file 0
}}
track_file boost {{
  file {boost}
}}
virtual_server {vip} {port} {{
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server {rs1} {port} {{
    weight 1
    FILE_CHECK {{
      track_file gate
    }}
  }}
  real_server {rs2} {port} {{
    weight 3
    FILE_CHECK {{
      track_file boost
      weight 2
    }}
  }}
}}
"""
FILE_BOUND = 1 + SLACK


def test_file_check_takes_reals_out_and_back_and_sets_weights(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    d1, r1, r2 = lab.host("d1"), lab.host("r1"), lab.host("r2")
    lab.connect(d1, switch, "198.18.0.1/24")
    rs1, rs2 = RS, "198.18.0.3"
    lab.connect(r1, switch, f"{rs1}/24")
    lab.connect(r2, switch, f"{rs2}/24")
    gate, boost = tmp_path / "gate", tmp_path / "boost"
    boost.write_text("5\n")
    conf = tmp_path / "keel.conf"
    conf.write_text(FILE_CONF.format(gate=gate, boost=boost, vip=VIP, port=PORT, rs1=rs1,
                                     rs2=rs2))
    keeld = d1.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-f", str(conf)])

    def reals() -> dict[str, str]:
        """The -Ln table's reals: address:port -> weight."""
        out = d1.run([str(keel_build_dir / "src/app/keelctl"), "-Ln"], check=False).stdout
        return {f[1]: f[3] for f in (line.split() for line in out.splitlines())
                if len(f) >= 4 and f[0] == "->" and f[1] != "RemoteAddress:Port"}

    one, two = f"{rs1}:{PORT}", f"{rs2}:{PORT}"
    # init_file wrote 0 to gate: rs1 in service; rs2 at 3 + 5 * 2.
    wait_until(lambda: reals() == {one: "1", two: "13"}, timeout=10, what="both reals listed")
    assert gate.read_text() == "0\n"

    gate.write_text("1\n")
    wait_until(lambda: one not in reals(), timeout=FILE_BOUND, what="rs1 out after gate=1")
    keeld.wait_for_output(rf"FILE_CHECK on service \[{rs1}\]:tcp:{PORT} failed")
    boost.write_text("-1\n")
    wait_until(lambda: reals().get(two) == "1", timeout=FILE_BOUND, what="rs2 at 3 - 2")

    gate.write_text("0\n")
    wait_until(lambda: reals().get(one) == "1", timeout=FILE_BOUND, what="rs1 back after gate=0")
    checks = d1.run([str(keel_build_dir / "src/app/keelctl"), "checks"]).stdout
    assert f"-> {rs1}:{PORT}: UP [FILE_CHECK up" in checks, checks
    assert keeld.alive()
