#!/usr/bin/python3
"""Health checking at scale: keeld vs HAProxy 2.6 checking the same real servers.

A lab of two namespaces joined by a veth: `rs` runs nginx on port 80 and an nftables rule that
redirects TCP ports 20000..(20000+N-1) to it, so each port is one real server; `dir` runs the
checker under test. Profiles (issue 6's figures):
  tcp:  10,000 real servers, keeld TCP_CHECK vs HAProxy `check` (a connect check)
  http: 1,000 real servers, keeld HTTP_GET /index.html status 200 vs HAProxy
        `option httpchk GET /index.html` + `http-check expect status 200`
both at one check per second per server (keeld `delay_loop 1`, HAProxy `inter 1s`).

Each checker runs alone for SETTLE s (start-up, the first spread of checks), then its CPU
(utime+stime from /proc) and RSS are read over WINDOW s. keeld also runs a VRRP instance
(MASTER, advert_int 1) on the same veth; a raw socket in `rs` timestamps its adverts, and the
jitter of their spacing (|interval - 1 s|) is printed: checker work must not delay adverts.
keepalived's own checker cannot take part: without the IPVS module it exits at start.

Prints a table and writes docs/bench-checks.png. Figures, not a pass/fail test. Needs root.
Usage: bench/check_load.py [BUILD_DIR] [--profiles tcp,http] [--window S] [--tcp-reals N]
       [--http-reals N]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests/e2e"))

RS_ADDR, DIR_ADDR, VIP = "10.77.0.2", "10.77.0.1", "10.77.0.100"
BASE_PORT = 20000
SETTLE = 5.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

NGINX_CONF = """worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {run}; proxy_temp_path {run}; fastcgi_temp_path {run};
  uwsgi_temp_path {run}; scgi_temp_path {run};
  server {{ listen 80 backlog=4096; root {run}/www; }}
}}
"""

KEEL_CONF_HEAD = """global_defs {{
  router_id bench
}}
vrrp_instance VI_1 {{
  state MASTER
  interface {ifname}
  virtual_router_id 77
  priority 150
  advert_int 1
  virtual_ipaddress {{
    {vip}/24
  }}
}}
virtual_server {vip} 80 {{
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
"""

KEEL_TCP_RS = """  real_server {addr} {port} {{
    TCP_CHECK {{
      connect_timeout 3
    }}
  }}
"""

KEEL_HTTP_RS = """  real_server {addr} {port} {{
    HTTP_GET {{
      url {{
        path /index.html
        status_code 200
      }}
      connect_timeout 3
    }}
  }}
"""

HAPROXY_HEAD = """global
  maxconn 4000
defaults
  mode tcp
  timeout connect 3s
  timeout check 3s
  timeout client 10s
  timeout server 10s
frontend f
  bind 127.0.0.1:18080
  default_backend b
backend b
  balance roundrobin
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class AdvertClock:
    """Timestamps VRRP adverts (IP protocol 112) seen in the namespace it is created in."""

    def __init__(self, local: str):
        self.times: list[float] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
        # Adverts go to 224.0.0.18: the interface must be a member for IP to deliver them.
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                             socket.inet_aton("224.0.0.18") + socket.inet_aton(local))
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.sock.recv(2048)
            except socket.timeout:
                continue
            self.times.append(time.monotonic())

    def close(self) -> list[float]:
        self._stop.set()
        self._thread.join()
        self.sock.close()
        return self.times


def setns(fd: int) -> None:
    """setns(2) into the network namespace `fd` (python 3.11 has no os.setns)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns")


def in_netns(name: str) -> int:
    """Moves the calling thread (and what it creates) into netns `name`; returns the old one."""
    old = os.open("/proc/self/ns/net", os.O_RDONLY)
    fd = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    setns(fd)
    os.close(fd)
    return old


def measure(proc, window: float, progress: str) -> tuple[float, int, float, float]:
    pid = proc.pid
    time.sleep(SETTLE)
    if not proc.alive() or "not using it" in proc.output():
        raise RuntimeError(f"{progress}: the checker is not running its config:\n{proc.tail()}")
    c0, t0 = cpu_seconds(pid), time.monotonic()
    steps = max(1, int(window))
    for i in range(steps):
        time.sleep(window / steps)
        print(f"\r  {progress}: {i + 1}/{steps} s", end="", file=sys.stderr, flush=True)
    print("", file=sys.stderr)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    return 100.0 * (c1 - c0) / (t1 - t0), rss_kib(pid), t0, t1


def run_profile(build: Path, kind: str, reals: int, window: float) -> dict:
    from keel_lab import Lab
    out: dict = {"kind": kind, "reals": reals}
    with Lab() as lab:
        rs, d = lab.host("rs"), lab.host("dir")
        link = lab.veth(d, rs, f"{DIR_ADDR}/24", f"{RS_ADDR}/24")
        run = lab.tmpdir / "rs"
        (run / "www").mkdir(parents=True)
        (run / "www/index.html").write_text("keel bench real server\n")
        (run / "nginx.conf").write_text(NGINX_CONF.format(run=run))
        rs.spawn(["nginx", "-g", "daemon off;", "-c", str(run / "nginx.conf")])
        last = BASE_PORT + reals - 1
        nft = lab.tmpdir / "redirect.nft"
        nft.write_text("table ip keelbench {\n chain pre {\n"
                       "  type nat hook prerouting priority dstnat;\n"
                       f"  tcp dport {BASE_PORT}-{last} redirect to :80\n }}\n}}\n")
        rs.run(["nft", "-f", str(nft)])
        time.sleep(0.5)

        rs_block = KEEL_TCP_RS if kind == "tcp" else KEEL_HTTP_RS
        conf = KEEL_CONF_HEAD.format(ifname=link.a_if, vip=VIP) + "".join(
            rs_block.format(addr=RS_ADDR, port=BASE_PORT + i) for i in range(reals)) + "}\n"
        conf_path = lab.tmpdir / "keel.conf"
        conf_path.write_text(conf)

        old = in_netns(rs.name)
        try:
            clock = AdvertClock(RS_ADDR)
        finally:
            setns(old)
            os.close(old)
        keeld = d.spawn([str(build / "src/app/keeld"), "-n", "-l", "-f", str(conf_path),
                         "--runtime-dir", str(lab.tmpdir / "run")])
        t0 = t1 = 0.0
        try:
            out["keel_cpu"], out["keel_rss"], t0, t1 = measure(keeld, window,
                                                               f"keeld {kind} x{reals}")
        finally:
            keeld.stop()
            times = [t for t in clock.close() if t0 <= t <= t1]  # the measured window only
            if os.environ.get("KEEL_BENCH_VERBOSE"):
                print(keeld.output(), file=sys.stderr)
        gaps = [b - a for a, b in zip(times, times[1:])]
        jitter = sorted(abs(g - 1.0) * 1000 for g in gaps)
        out["adverts"] = len(times)
        out["jitter_max_ms"] = max(jitter) if jitter else float("nan")
        out["jitter_p50_ms"] = statistics.median(jitter) if jitter else float("nan")

        if kind == "tcp":
            servers = "".join(f"  server s{i} {RS_ADDR}:{BASE_PORT + i} check inter 1s\n"
                              for i in range(reals))
            hconf = HAPROXY_HEAD + servers
        else:
            servers = "".join(f"  server s{i} {RS_ADDR}:{BASE_PORT + i} check inter 1s\n"
                              for i in range(reals))
            hconf = HAPROXY_HEAD.replace("mode tcp", "mode http") + (
                "  option httpchk GET /index.html\n  http-check expect status 200\n") + servers
        hpath = lab.tmpdir / "haproxy.cfg"
        hpath.write_text(hconf)
        haproxy = d.spawn(["haproxy", "-db", "-f", str(hpath)])
        try:
            out["haproxy_cpu"], out["haproxy_rss"], _, _ = measure(haproxy, window,
                                                                   f"haproxy {kind} x{reals}")
        finally:
            haproxy.stop()
    return out


def plot(results: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['kind'].upper()} x{r['reals']}" for r in results]
    x = range(len(results))
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar([i - 0.2 for i in x], [r["keel_cpu"] for r in results], 0.4, label="keeld")
    ax.bar([i + 0.2 for i in x], [r["haproxy_cpu"] for r in results], 0.4, label="HAProxy 2.6")
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("CPU, % of one core")
    ax.set_title("Health checks at 1/s per real server")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--profiles", default="tcp,http")
    ap.add_argument("--window", type=float, default=20.0)
    ap.add_argument("--tcp-reals", type=int, default=10000)
    ap.add_argument("--http-reals", type=int, default=1000)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/check_load.py: needs root (network namespaces)", file=sys.stderr)
        return 2
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    build = Path(args.build).resolve()
    results = []
    for kind in args.profiles.split(","):
        reals = args.tcp_reals if kind == "tcp" else args.http_reals
        results.append(run_profile(build, kind, reals, args.window))

    print(f"{'profile':<14}{'keeld CPU%':>11}{'HAProxy CPU%':>13}{'ratio':>7}"
          f"{'keeld RSS KiB':>15}{'HAProxy RSS KiB':>17}{'adverts':>9}{'jitter p50/max ms':>19}")
    for r in results:
        ratio = r["keel_cpu"] / r["haproxy_cpu"] if r["haproxy_cpu"] > 0 else float("nan")
        print(f"{r['kind'] + ' x' + str(r['reals']):<14}{r['keel_cpu']:>11.1f}"
              f"{r['haproxy_cpu']:>13.1f}{ratio:>7.2f}{r['keel_rss']:>15}{r['haproxy_rss']:>17}"
              f"{r['adverts']:>9}{r['jitter_p50_ms']:>10.2f}/{r['jitter_max_ms']:.2f}")
    out = REPO / "docs/bench-checks.png"
    plot(results, out)
    print(f"plot: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
