#!/usr/bin/python3
"""The proxy data plane on loopback, side by side in one run: keel's proxy vs HAProxy 2.6 in TCP
mode vs nginx's stream proxy vs wrk straight to the nginx backend (the baseline).

Everything on 127.0.0.1, ports chosen free at run time: two nginx http backends (one worker
each) serving a 1 KiB file; each proxy balances over both with round robin and two workers or
threads. Load: `wrk -t2 -c50 -d{seconds}s --latency`, keep-alive and with `Connection: close`
(a new connection per request), variants interleaved per repetition. Per variant: requests/s,
p50 and p99 latency, the proxy's CPU per request (utime+stime from /proc/PID/stat of the proxy
and its children, over the run) and its RSS at the end. Prints a table with req/s ratios to the
baseline and writes docs/bench-proxy.png. Figures, not a pass/fail test.
Usage: bench/proxy_forward.py [BUILD_DIR] [--reps N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from peer_configs import haproxy_tcp
from ratio_plot import plot_ratios

REPO = Path(__file__).resolve().parent.parent
LO = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")
STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")

NGINX_HTTP = """daemon off; master_process off; worker_processes 1; pid {dir}/http.pid;
error_log {dir}/http.err;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen {lo}:{p1}; listen {lo}:{p2}; root {dir}/www; }} }}
"""
NGINX_STREAM = """{load}daemon off; worker_processes 2; pid {dir}/stream.pid;
error_log {dir}/stream.err;
events {{ worker_connections 4096; }}
stream {{ upstream b {{ server {lo}:{p1}; server {lo}:{p2}; }}
  server {{ listen {lo}:{port}; proxy_pass b; }} }}
"""
KEEL = """global_defs {{
  router_id bench
  keel_dataplane proxy
  keel_proxy_workers 2
}}
virtual_server {lo} {port} {{
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server {lo} {p1} {{
  }}
  real_server {lo} {p2} {{
  }}
}}
"""
VARIANTS = ["direct", "keel-proxy", "haproxy", "nginx-stream"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LO, 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((LO, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {port}")


def tree(pid: int) -> list[int]:
    """pid and its children."""
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                kids.append(int(d.name))
    return [pid, *kids]


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def rss_mib(pid: int) -> float:
    kib = 0
    for p in tree(pid):
        try:
            m = re.search(r"VmRSS:\s+(\d+)", Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
        kib += int(m.group(1)) if m else 0
    return kib / 1024


def wrk(port: int, seconds: int, close: bool) -> tuple[float, float, float, int]:
    argv = ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", f"http://{LO}:{port}/f"]
    if close:
        argv[1:1] = ["-H", "Connection: close"]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))

    def pct(p: str) -> float:
        m = re.search(rf"{p}%\s+([\d.]+)(us|ms|s)", out)
        return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return rps, pct("50"), pct("99"), reqs


def start(name: str, build: Path, d: Path, ports: dict) -> subprocess.Popen | None:
    fmt = {"lo": LO, "dir": d, "p1": ports["b1"], "p2": ports["b2"], "port": ports[name]}
    if name == "direct":
        return None
    if name == "keel-proxy":
        (d / "keel.conf").write_text(KEEL.format(**fmt))
        argv = [str(build / "src/app/keeld"), "-n", "-f", str(d / "keel.conf"),
                "--runtime-dir", str(d / "run")]
    elif name == "haproxy":
        (d / "haproxy.cfg").write_text(
            haproxy_tcp(f"{LO}:{ports[name]}", [f"{LO}:{ports['b1']}", f"{LO}:{ports['b2']}"]))
        argv = ["haproxy", "-db", "-f", str(d / "haproxy.cfg")]
    else:
        load = f"load_module {STREAM_MODULE};\n" if STREAM_MODULE.exists() else ""
        (d / "stream.conf").write_text(NGINX_STREAM.format(load=load, **fmt))
        argv = ["nginx", "-p", str(d), "-c", str(d / "stream.conf")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    wait_port(ports[name])
    return proc


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def plot(rows: list, reps: int) -> Path:
    ratios = {mode: [r["ratio"] for r in rows if r["mode"] == mode]
              for mode in ("keep-alive", "conn/req")}
    return plot_ratios(ratios, list(VARIANTS), "req/s ÷ direct",
                       f"wrk -c50 on loopback through each proxy (median of {reps})",
                       REPO / "docs/bench-proxy.png")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    build = Path(args.build).resolve()
    d = Path(tempfile.mkdtemp(prefix="keel-bench-proxy-"))
    (d / "www").mkdir()
    (d / "www/f").write_bytes(b"x" * 1024)
    ports = {n: free_port() for n in ("b1", "b2", "keel-proxy", "haproxy", "nginx-stream")}
    ports["direct"] = ports["b1"]
    (d / "http.conf").write_text(NGINX_HTTP.format(lo=LO, dir=d, p1=ports["b1"], p2=ports["b2"]))
    backends = subprocess.Popen(["nginx", "-p", str(d), "-c", str(d / "http.conf")],
                                start_new_session=True, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    results: dict[tuple[str, bool], list[tuple]] = {}
    try:
        wait_port(ports["b1"])
        for rep in range(args.reps):
            for close in (False, True):
                for name in VARIANTS:
                    print(f"\r  rep {rep + 1}: {name}{' conn/req' if close else ''}        ",
                          end="", file=sys.stderr, flush=True)
                    proc = start(name, build, d, ports)
                    pid = proc.pid if proc else backends.pid
                    cpu0 = cpu_seconds(pid)
                    rps, p50, p99, reqs = wrk(ports[name], args.seconds, close)
                    cpu = cpu_seconds(pid) - cpu0
                    results.setdefault((name, close), []).append(
                        (rps, p50, p99, cpu * 1e6 / max(reqs, 1), rss_mib(pid)))
                    stop(proc)
        print("", file=sys.stderr)
    finally:
        stop(backends)
        shutil.rmtree(d, ignore_errors=True)
    rows = []
    print(f"{'variant':<14}{'mode':<11}{'req/s':>9}{'÷direct':>9}{'p50 ms':>8}{'p99 ms':>8}"
          f"{'CPU µs/req':>11}{'RSS MiB':>9}")
    for close in (False, True):
        base = statistics.median(r[0] for r in results[("direct", close)])
        for name in VARIANTS:
            med = [statistics.median(r[i] for r in results[(name, close)]) for i in range(5)]
            row = {"name": name, "mode": "conn/req" if close else "keep-alive",
                   "ratio": med[0] / base}
            rows.append(row)
            print(f"{name:<14}{row['mode']:<11}{med[0]:>9.0f}{row['ratio']:>9.2f}{med[1]:>8.2f}"
                  f"{med[2]:>8.2f}{med[3]:>11.1f}{med[4]:>9.1f}")
    print("(CPU and RSS of 'direct' are the nginx backends')")
    print(f"plot: {plot(rows, args.reps).relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
