"""Health checks against real nginx real servers, with traffic through the XDP data plane
(issue 6's end-to-end): the seed's HTTP_GET of /index.html decides who gets traffic.

A client, a director running keeld (the VIP on its eth0, DR forwarding) and nginx real servers
on one switch (keel_lab.lb_lab). Bounds come from keepalived's scheduling (docs/reference/keepalived.md §3.2):
a real server that stops answering is noticed at its next run, at most delay_loop after the
fault, and is DOWN after retry + 1 failed attempts, each at most connect_timeout, with
delay_before_retry between them; one that answers again is UP after its next run.
"""

from __future__ import annotations

import hashlib
import os
import re
import time

from keel_lab.lb_lab import LbLab, build_lb_lab
from keel_lab.util import wait_until

VIP = "198.18.0.100"
DELAY_LOOP, CONNECT_TIMEOUT, RETRY, DELAY_BEFORE_RETRY = 2, 2, 1, 1
SLACK = 3.0
DOWN_BOUND = (DELAY_LOOP + (RETRY + 1) * CONNECT_TIMEOUT + RETRY * DELAY_BEFORE_RETRY + SLACK)
UP_BOUND = max(DELAY_LOOP, DELAY_BEFORE_RETRY) + CONNECT_TIMEOUT + SLACK

REAL = """  real_server {addr} 80 {{
    weight 1{extra}
    notify_up "{notify} UP {name}"
    notify_down "{notify} DOWN {name}"
    HTTP_GET {{
      url {{
        path {path}
        digest {digest}
      }}
      connect_timeout {CONNECT_TIMEOUT}
      retry {RETRY}
      delay_before_retry {DELAY_BEFORE_RETRY}
    }}
  }}
"""


class Director:
    def __init__(self, lb: LbLab, keel_build_dir, tmp_path, vs_extra: str = "",
                 rs_extra: str = "", reals: int | None = None,
                 paths: dict[int, str] | None = None, digests: dict[int, str] | None = None):
        self.lb, self.tmp = lb, tmp_path
        self.notify_log = tmp_path / "notify.log"
        notify = tmp_path / "notify.sh"
        notify.write_text(f"#!/bin/sh\necho \"$1 $2\" >> {self.notify_log}\n")
        notify.chmod(0o755)
        self.fifo = tmp_path / "fifo"
        os.mkfifo(self.fifo, 0o600)
        self.reader = os.open(self.fifo, os.O_RDONLY | os.O_NONBLOCK)
        self.fifo_text = ""
        paths, digests = paths or {}, digests or {}
        count = len(lb.reals) if reals is None else reals
        body = "".join(REAL.format(
            addr=lb.real_addr(i), extra=rs_extra, notify=notify, name=f"rs{i + 1}",
            path=paths.get(i, "/index.html"),
            digest=digests.get(i, hashlib.md5(lb.page(i).encode()).hexdigest()),
            CONNECT_TIMEOUT=CONNECT_TIMEOUT, RETRY=RETRY, DELAY_BEFORE_RETRY=DELAY_BEFORE_RETRY)
            for i in range(count))
        conf = tmp_path / "keepalived.conf"
        conf.write_text(f"""global_defs {{
  router_id director
  lvs_notify_fifo {self.fifo}
}}
virtual_server {VIP} 80 {{
  delay_loop {DELAY_LOOP}
  lb_algo rr
  lb_kind DR
  protocol TCP
{vs_extra}
{body}}}
""")
        lb.director.ip("addr", "add", f"{VIP}/32", "dev", "eth0")
        self.proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                       "--runtime-dir", str(tmp_path / "run"), "-f", str(conf)])
        self.proc.wait_for_output(r"XDP program attached to eth0", timeout=15)

    def close(self):
        os.close(self.reader)

    def fifo_lines(self) -> list[str]:
        try:
            self.fifo_text += os.read(self.reader, 65536).decode()
        except BlockingIOError:
            pass
        return self.fifo_text.splitlines()

    def notifies(self) -> list[str]:
        return self.notify_log.read_text().splitlines() if self.notify_log.exists() else []

    def served_by(self, count: int = 20) -> dict[str, int]:
        seen: dict[str, int] = {}
        for r in self.lb.get(VIP, "/index.html", count=count):
            name = r["body"].strip().rsplit(" ", 1)[-1] if r["ok"] else "error"
            seen[name] = seen.get(name, 0) + 1
        return seen


def stop_nginx(lb: LbLab, i: int) -> None:
    lb.nginx[lb.reals[i].short_name].stop()


def start_nginx(lb: LbLab, i: int) -> None:
    real = lb.reals[i]
    conf = lb.lab.tmpdir / f"nginx-{real.short_name}" / "nginx.conf"
    lb.nginx[real.short_name] = real.spawn(["nginx", "-c", str(conf), "-g", "daemon off;"])


def lab_with_nginx(lab, reals: int) -> LbLab:
    lb = build_lb_lab(lab, reals=reals)
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP)
    return lb


def test_stopping_nginx_removes_the_real_in_time_and_starting_it_adds_it_back(
        lab, keel_build_dir, tmp_path):
    lb = lab_with_nginx(lab, reals=2)
    d = Director(lb, keel_build_dir, tmp_path)
    try:
        wait_until(lambda: set(d.served_by()) == {"rs1", "rs2"}, timeout=10,
                   what="both reals serve the VIP")
        stop_nginx(lb, 0)
        stopped = time.monotonic()
        rs1 = f"[{lb.real_addr(0)}]:tcp:80"
        d.proc.wait_for_output(re.escape(f"Removing service {rs1} from VS [{VIP}]:tcp:80"),
                               timeout=DOWN_BOUND)
        assert time.monotonic() - stopped <= DOWN_BOUND
        assert d.served_by() == {"rs2": 20}, "a removed real gets no new connections"

        start_nginx(lb, 0)
        started = time.monotonic()
        d.proc.wait_for_output(re.escape(f"Adding service {rs1} to VS [{VIP}]:tcp:80"),
                               timeout=UP_BOUND)
        assert time.monotonic() - started <= UP_BOUND
        wait_until(lambda: set(d.served_by()) == {"rs1", "rs2"}, timeout=5,
                   what="rs1 serves again")
        time.sleep(DELAY_LOOP)  # one more run each: nothing more may fire
        assert sorted(d.notifies()) == ["DOWN rs1", "UP rs1"]
        lines = d.fifo_lines()
        assert lines.count(f"RS {rs1} [{VIP}]:tcp:80 DOWN") == 1
        assert lines.count(f"RS {rs1} [{VIP}]:tcp:80 UP") == 1
    finally:
        d.close()


def test_inhibit_on_failure_keeps_the_real_with_weight_zero(lab, keel_build_dir, tmp_path):
    lb = lab_with_nginx(lab, reals=2)
    d = Director(lb, keel_build_dir, tmp_path, rs_extra="\n    inhibit_on_failure")
    try:
        wait_until(lambda: set(d.served_by()) == {"rs1", "rs2"}, timeout=10,
                   what="both reals serve the VIP")
        stop_nginx(lb, 0)
        rs1 = f"[{lb.real_addr(0)}]:tcp:80"
        d.proc.wait_for_output(re.escape(f"Disabling service {rs1} from VS [{VIP}]:tcp:80"),
                               timeout=DOWN_BOUND)
        assert "Removing service" not in d.proc.output()
        assert d.served_by() == {"rs2": 20}, "weight 0: no new connections"
    finally:
        d.close()


def test_losing_quorum_installs_the_sorry_server(lab, keel_build_dir, tmp_path):
    lb = lab_with_nginx(lab, reals=3)  # rs1, rs2 real servers; rs3 the sorry server
    d = Director(lb, keel_build_dir, tmp_path, reals=2, vs_extra=f"""  quorum 2
  sorry_server {lb.real_addr(2)} 80""")
    try:
        wait_until(lambda: set(d.served_by()) == {"rs1", "rs2"}, timeout=10,
                   what="both reals serve the VIP")
        stop_nginx(lb, 0)
        d.proc.wait_for_output(re.escape(f"Lost quorum 2-0=2 > 1 for VS [{VIP}]:tcp:80"),
                               timeout=DOWN_BOUND)
        wait_until(lambda: d.served_by() == {"rs3": 20}, timeout=5,
                   what="the sorry server serves everything")
        assert f"VS [{VIP}]:tcp:80 DOWN" in d.fifo_lines()
        start_nginx(lb, 0)
        d.proc.wait_for_output(re.escape(f"Gained quorum 2+0=2 <= 2 for VS [{VIP}]:tcp:80"),
                               timeout=UP_BOUND)
        wait_until(lambda: set(d.served_by()) == {"rs1", "rs2"}, timeout=5,
                   what="the reals serve again")
        assert f"VS [{VIP}]:tcp:80 UP" in d.fifo_lines()
    finally:
        d.close()


def test_a_wrong_digest_or_status_marks_the_real_down(lab, keel_build_dir, tmp_path):
    lb = lab_with_nginx(lab, reals=3)
    d = Director(lb, keel_build_dir, tmp_path, paths={1: "/missing.html"},
                 digests={0: hashlib.md5(b"another page\n").hexdigest()})
    try:
        # Start-up: checkers start UP and one failure is enough (1 s + warmup, then a probe).
        bound = 1 + DELAY_LOOP + CONNECT_TIMEOUT + SLACK
        for i in (0, 1):
            rs = f"[{lb.real_addr(i)}]:tcp:80"
            d.proc.wait_for_output(re.escape(f"Removing service {rs} from VS"), timeout=bound)
        time.sleep(DELAY_LOOP)
        assert d.served_by() == {"rs3": 20}
        assert sorted(d.notifies()) == ["DOWN rs1", "DOWN rs2"]
    finally:
        d.close()
