"""keelctl and keeld's operations side end to end (docs/keelctl.md, docs/metrics.md): a director
running keeld (VRRP MASTER for the VIP, a DR service on XDP with two nginx reals) in a lab
namespace; keelctl run in the same namespace finds keeld without flags (/run/keel/<netns>/), and
the metrics are scraped over HTTP inside it. Then hostile control clients, each refused while
the VRRP adverts keep their interval.

Bounds: adverts every advert_int = 1 s (RFC 3768 §6.3); a gap between two adverts seen on the
wire may exceed it by the 0.5 s slack of reliability.md §1.5 for a 2-vCPU VM, never more. The
control socket cuts a peer that has not finished a request within its timeout (5 s, control.cc's
ServerLimits default), so a slow client sees EOF within 5 s + 1 s.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keel_lab.lb_lab import LbLab, build_lb_lab
from keel_lab.util import wait_until

VIP = "198.18.0.100"
ADVERT_INT = 1.0
SLACK = 0.5
CONTROL_TIMEOUT = 5.0
METRICS = "127.0.0.1:9100"

CONF = """global_defs {{
  router_id director
  keel_metrics_listen {metrics}
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 100
  advert_int 1
  virtual_ipaddress {{
    {vip}/24
  }}
}}
virtual_server {vip} 80 {{
  delay_loop 1
  lb_algo rr
  lb_kind DR
  persistence_timeout 50
  protocol TCP
{reals}
}}
"""
REAL = """  real_server {addr} 80 {{
    weight 1
    TCP_CHECK {{
      connect_timeout 1
    }}
  }}"""

# Records the arrival time of every VRRP advert (IP protocol 112) seen on eth0 of the host it
# runs in, for `seconds`, then prints them as a JSON list.
ADVERT_CLOCK = """
import json, socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 112)
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("224.0.0.18"), socket.inet_aton(sys.argv[2])))
end = time.monotonic() + float(sys.argv[1])
seen = []
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        s.recv(2048)
    except socket.timeout:
        break
    seen.append(time.monotonic())
print(json.dumps(seen), flush=True)
"""


@pytest.fixture
def director(lab, keel_build_dir, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    lb = build_lb_lab(lab, reals=2)
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP)
    reals = "\n".join(REAL.format(addr=lb.real_addr(i)) for i in range(2))
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF.format(vip=VIP, metrics=METRICS, reals=reals))
    run_dir = Path("/run/keel") / lb.director.name
    proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-D",
                              "-f", str(conf)])
    try:
        proc.wait_for_output(r"Control socket ", timeout=15)
        proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
        yield lb, proc, conf, run_dir
    finally:
        proc.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


def keelctl(lb: LbLab, build_dir, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return lb.director.run([str(build_dir / "src/app/keelctl"), *args], check=check)


def scrape(lb: LbLab) -> dict[str, float]:
    out = lb.director.run(["curl", "-sS", "--max-time", "5", f"http://{METRICS}/metrics"]).stdout
    samples = {}
    for line in out.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def wait_master(lb: LbLab, build_dir) -> None:
    def master() -> bool:
        out = json.loads(keelctl(lb, build_dir, "vrrp", "--json").stdout)
        return out["instances"][0]["state"] == "MASTER"
    # state MASTER starts as master; the bound is the longest a BACKUP start could take:
    # Master_Down_Interval = 3 * 1 s + (256 - 100) / 256 s.
    wait_until(master, timeout=3 * ADVERT_INT + (256 - 100) / 256 + SLACK, what="MASTER")


def test_views_reload_and_metrics(director, keel_build_dir):
    lb, proc, conf, run_dir = director
    wait_master(lb, keel_build_dir)
    wait_until(lambda: all(r["alive"] for r in json.loads(
        keelctl(lb, keel_build_dir, "checks", "--json").stdout)["reals"]), timeout=10,
        what="both reals checked up")
    rs = [lb.real_addr(i) for i in range(2)]
    out = keelctl(lb, keel_build_dir, "-Ln").stdout
    assert out == (
        "IP Virtual Server version 1.2.1 (size=4096)\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        f"TCP  {VIP}:80 rr persistent 50\n"
        + "".join(f"  -> {f'{a}:80':<28} Route   1      0          0         \n" for a in rs))
    listed = json.loads(keelctl(lb, keel_build_dir, "-Ln", "--json").stdout)
    assert listed["dataplane"] == "xdp"
    service = listed["services"][0]
    assert service["service"] == f"TCP {VIP}:80" and service["scheduler"] == "rr"
    assert [r["address"] for r in service["reals"]] == rs
    assert keelctl(lb, keel_build_dir, "-Ln", "--stats").stdout.splitlines()[1].split() == [
        "Prot", "LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"]

    vrrp = keelctl(lb, keel_build_dir, "vrrp").stdout.splitlines()
    assert vrrp[1].split()[:6] == ["VI_1", "MASTER", "eth0", "51", "100", "100"]
    checks = keelctl(lb, keel_build_dir, "checks").stdout
    assert f"-> {rs[0]}:80: UP [TCP_CHECK up]" in checks

    where = keelctl(lb, keel_build_dir, "whereis", f"{VIP}:80", "198.18.0.10").stdout
    assert where.startswith(f"TCP {VIP}:80 <- 198.18.0.10") and any(a in where for a in rs)
    bad = keelctl(lb, keel_build_dir, "whereis", f"{VIP}:81", "198.18.0.10", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("keelctl: ")

    # Traffic through the VIP shows in the counters and the metrics.
    assert all(r["ok"] for r in lb.get(VIP, "/index.html", count=5))
    m = scrape(lb)
    assert m['keel_vrrp_state{instance="VI_1"}'] == 2
    assert m['keel_vrrp_adverts_sent_total{instance="VI_1"}'] >= 1
    for a in rs:
        assert [v for k, v in m.items()
                if k.startswith("keel_check_up{") and f'real_server="{a}:80"' in k] == [1]
        assert m[f'keel_real_weight{{service="TCP {VIP}:80",real_server="{a}:80"}}'] == 1
    # An attempt ends by its connect_timeout (1 s), or is abandoned kDeadlineGrace (3 s) later.
    durations = [v for k, v in m.items() if k.startswith("keel_check_duration_seconds{")]
    assert len(durations) == 2 and all(0 <= d <= 1 + 3 for d in durations), durations
    conns = m[f'keel_service_connections_total{{service="TCP {VIP}:80"}}']
    assert conns >= 5
    per_real = sum(v for k, v in m.items()
                   if k.startswith("keel_real_connections_total{") and f"TCP {VIP}:80" in k)
    assert per_real == conns
    assert any(k.startswith("keel_dataplane_drops_total{") for k in m)

    # -Lnc: the XDP connection table holds the client's flows to the VIP, on the reals.
    conns = keelctl(lb, keel_build_dir, "-Lnc").stdout.splitlines()
    assert conns[:2] == ["IPVS connection entries",
                         "pro expire state       source             virtual            destination"]
    client = lb.client.addr("eth0")
    rows = [line.split() for line in conns[2:]]
    assert len(rows) >= 5, conns
    for row in rows:
        assert row[0] == "TCP" and row[2] == "NONE" and row[3].startswith(f"{client}:")
        assert row[4] == f"{VIP}:80" and row[5] in {f"{a}:80" for a in rs}

    # reload: keeld answers with the outcome.
    conf.write_text(conf.read_text().replace("persistence_timeout 50", "persistence_timeout 60"))
    assert keelctl(lb, keel_build_dir, "reload").stdout == "reloaded\n"
    wait_until(lambda: "rr persistent 60" in keelctl(lb, keel_build_dir, "-Ln").stdout,
               timeout=5, what="the reloaded table")
    conf.write_text(conf.read_text().replace("lb_algo rr", "lb_algo rr\n  bogus {"))
    failed = keelctl(lb, keel_build_dir, "reload", check=False)
    assert failed.returncode == 1 and "reload failed" in failed.stderr
    assert "rr persistent 60" in keelctl(lb, keel_build_dir, "-Ln").stdout


def connect_unix(path: str, timeout: float) -> socket.socket:
    """A connected socket; a full listen backlog (EAGAIN) is waited out until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            s.settimeout(timeout)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.001)


def request(path: str, payload: bytes, timeout: float = 5.0) -> bytes:
    with connect_unix(path, timeout) as s:
        s.sendall(payload)
        out = b""
        while not out.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
        return out


def hostile_clients(lb: LbLab, build_dir, sock: str) -> None:
    # Oversized: 70 KiB without a newline -> an error line, then the connection is closed.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(sock)
        try:
            s.sendall(b"x" * (70 * 1024))
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = s.recv(65536)
        assert json.loads(answer) == {"ok": False, "error": "request too large"}
        try:
            assert s.recv(65536) == b""
        except ConnectionResetError:
            pass  # closed with our unread bytes in its buffer: a reset, as closed
    # Malformed JSON and shell metacharacters: a reason each, nothing run.
    assert json.loads(request(sock, b"{not json\n"))["error"] == "request is not valid JSON"
    marker = Path("/tmp") / f"keel-pwned-{os.getpid()}"
    for cmd in [f"list; touch {marker}", f"$(touch {marker})", f"`touch {marker}`"]:
        reply = json.loads(request(sock, json.dumps({"cmd": cmd}).encode() + b"\n"))
        assert reply == {"ok": False, "error": "bad command name"}
    reply = json.loads(request(sock, json.dumps(
        {"cmd": "whereis", "service": f"$(touch {marker})", "client": "1.2.3.4"}).encode() + b"\n"))
    assert reply["ok"] is False and "bad VIP:PORT" in reply["error"]
    assert not marker.exists()
    # A non-root peer: the 0700 directory and 0600 socket refuse it at connect.
    nobody = subprocess.run(["ip", "netns", "exec", lb.director.name, "setpriv", "--reuid",
                             "nobody", "--regid", "nogroup", "--clear-groups",
                             str(build_dir / "src/app/keelctl"), "--socket", sock, "-Ln"],
                            capture_output=True, text=True, timeout=10)
    assert nobody.returncode == 1 and "refused" in nobody.stderr, nobody.stderr
    # A slow client, 1 byte per second, is cut at the control timeout.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(sock)
        s.settimeout(0.05)
        start = time.monotonic()
        closed = False
        for byte in b'{"cmd": "list"}':
            try:
                s.send(bytes([byte]))
                if s.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.95)
        assert closed and time.monotonic() - start <= CONTROL_TIMEOUT + 1.0
    # 1000 idle connections: a good client is still answered promptly.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    idle = []
    try:
        for _ in range(1000):
            idle.append(connect_unix(sock, timeout=5.0))
        start = time.monotonic()
        good = json.loads(request(sock, b'{"cmd": "ping"}\n', timeout=2.0))
        assert good == {"ok": True} and time.monotonic() - start < 1.0
        out = keelctl(lb, build_dir, "-Ln")
        assert out.stdout.startswith("IP Virtual Server")
    finally:
        for s in idle:
            s.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_hostile_clients_are_refused_and_adverts_keep_their_interval(director, keel_build_dir):
    lb, proc, conf, run_dir = director
    wait_master(lb, keel_build_dir)
    sock = str(run_dir / "keel.sock")
    clock = lb.client.spawn([sys.executable, "-c", ADVERT_CLOCK, "20", lb.client.addr("eth0")])
    time.sleep(0.5)
    started = time.monotonic()
    hostile_clients(lb, keel_build_dir, sock)
    elapsed = time.monotonic() - started
    assert elapsed < 18, "the hostile phase must fit in the advert recording"
    wait_until(lambda: not clock.alive(), timeout=25, what="the advert clock")
    seen = json.loads(clock.output().strip().splitlines()[-1])
    gaps = [b - a for a, b in zip(seen, seen[1:])]
    assert len(seen) >= 18, seen
    assert max(gaps) <= ADVERT_INT + SLACK, gaps
    m = scrape(lb)
    refused = {k: v for k, v in m.items() if k.startswith("keel_control_refused_total")}
    assert refused['keel_control_refused_total{reason="oversized"}'] >= 1
    assert refused['keel_control_refused_total{reason="timeout"}'] >= 1
    assert proc.alive()
