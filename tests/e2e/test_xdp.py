"""The XDP data plane end to end (issue 7): a client, a director running keeld, and real
servers running nginx, in namespaces on one switch (keel_lab.lb_lab). keeld loads the XDP
program on the director's eth0 (the interface whose subnet holds the VIP) and forwards by the
keepalived.conf's virtual_server.

Spread bounds come from the binomial distribution: with N new connections hashed over R equal
reals, each real's count has mean N/R and standard deviation sqrt(N (1/R) (1 - 1/R)); a bound
of 5 standard deviations fails by chance with probability below 1e-6.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
import os
import signal

import pytest

from keel_lab.httpget import pattern
from keel_lab.lb_lab import LbLab, build_lb_lab, xdp_pass_object
from keel_lab.util import wait_until

VIP4 = "198.18.0.100"
VIP6 = "2001:db8:18::100"

CONF = """global_defs {{
  router_id director
}}
virtual_server {vip} 80 {{
  delay_loop 1
  lb_algo {algo}
  lb_kind {kind}
  protocol TCP
{extra}
{reals}
}}
"""
REAL = """  real_server {addr} 80 {{
    weight {weight}{check}
  }}"""
TCP_CHECK = """
    TCP_CHECK {
      connect_timeout 1
      delay_before_retry 1
      retry 0
    }"""


def real_name(result: dict) -> str:
    return result["body"].strip().rsplit(" ", 1)[-1] if result["ok"] else f"error {result['error']}"


def start_keeld(lb: LbLab, keel_build_dir, tmp_path, vip: str, kind: str = "DR", algo: str = "rr",
                weights: list[int] | None = None, extra: str = "", v6: bool = False):
    weights = weights or [1] * len(lb.reals)
    plen = "128" if ":" in vip else "32"
    lb.director.ip("addr", "add", f"{vip}/{plen}", "dev", "eth0",
                   *(["nodad"] if ":" in vip else []))
    reals = "\n".join(REAL.format(addr=lb.real_addr(i, v6), weight=w, check="")
                      for i, w in enumerate(weights))
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF.format(vip=vip, algo=algo, kind=kind, extra=extra, reals=reals))
    proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-D",
                              "--runtime-dir", str(tmp_path / "run"), "--instance", "t",
                              "-f", str(conf)])
    proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
    return proc, conf


def xdp_stats(proc, run_dir) -> dict[str, int]:
    """The named counters from keel.stats (SIGUSR2), e.g. {"nat_reply": 12, ...}."""
    stats = run_dir / "t" / "keel.stats"
    stats.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: stats.exists() and "XDP data plane" in stats.read_text(), timeout=5,
               what="keel.stats")
    out = {}
    for line in stats.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def wait_forwarding(lb: LbLab, vip: str, expect: set[str], source: str | None = None) -> None:
    """Until every expected real has answered through the VIP (neighbours resolve first)."""
    seen: set[str] = set()

    def all_seen() -> bool:
        seen.update(real_name(r) for r in lb.get(vip, "/index.html", count=10, source=source))
        return expect <= seen

    wait_until(all_seen, timeout=15, what=f"{sorted(expect)} answering through {vip}")


def binomial_bound(n: int, reals: int) -> float:
    p = 1 / reals
    return 5 * math.sqrt(n * p * (1 - p))


@pytest.fixture
def lb(lab):
    if os.geteuid() != 0:
        pytest.skip("needs root")
    lb = build_lb_lab(lab, reals=2)
    return lb


@pytest.mark.parametrize("accept", ["redirect", "lo"])
def test_dr_rr_spreads_new_connections_evenly(lb, keel_build_dir, tmp_path, accept):
    lb.start_nginx()
    for real in lb.reals:
        (lb.accept_vip_redirect if accept == "redirect" else lb.accept_vip_on_lo)(real, VIP4)
    start_keeld(lb, keel_build_dir, tmp_path, VIP4)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    n = 200
    counts = collections.Counter(real_name(r) for r in lb.get(VIP4, "/index.html", count=n))
    assert set(counts) == {"rs1", "rs2"}, counts
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n, 2), counts


def write_conf(path, vip: str, reals: list[tuple[str, int]], kind: str = "DR", algo: str = "rr",
               extra: str = "", check: str = "") -> None:
    body = "\n".join(REAL.format(addr=a, weight=w, check=check) for a, w in reals)
    path.write_text(CONF.format(vip=vip, algo=algo, kind=kind, extra=extra, reals=body))


def test_dr_payloads_are_byte_exact_both_ways(lb, keel_build_dir, tmp_path):
    size = 3_000_000
    lb.start_nginx(big_file_bytes=size)
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    start_keeld(lb, keel_build_dir, tmp_path, VIP4)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    want = hashlib.sha256(pattern(size)).hexdigest()
    for r in lb.get(VIP4, "/big.bin", count=6, timeout=20):
        assert r["ok"] and r["len"] == size and r["sha256"] == want, r
    if not lb.can_echo():
        pytest.skip("nginx's echo module (libnginx-mod-http-echo) is missing: no upload check")
    for r in lb.get(VIP4, "/echo", count=6, timeout=20, post_bytes=2_000_000):
        assert r["ok"] and r["len"] == 2_000_000 and r["sha256"] == r["sent_sha256"], r


def test_persistence_timeout_pins_a_client(lb, keel_build_dir, tmp_path):
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    start_keeld(lb, keel_build_dir, tmp_path, VIP4, extra="  persistence_timeout 50")
    results = lb.get(VIP4, "/index.html", count=40)
    names = {real_name(r) for r in results}
    assert len(names) == 1 and names <= {"rs1", "rs2"}, names
    # Without persistence 40 connections all on one of two reals has probability 2^-39.


def test_weight_zero_and_removed_reals_get_no_new_flows(lb, keel_build_dir, tmp_path):
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    rs1, rs2 = lb.real_addr(0), lb.real_addr(1)
    proc, conf = start_keeld(lb, keel_build_dir, tmp_path, VIP4, weights=[1, 0])
    wait_forwarding(lb, VIP4, {"rs1"})
    assert {real_name(r) for r in lb.get(VIP4, "/index.html", count=40)} == {"rs1"}
    write_conf(conf, VIP4, [(rs1, 1), (rs2, 1)])
    proc.send_signal(signal.SIGHUP)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    write_conf(conf, VIP4, [(rs2, 1)])
    proc.send_signal(signal.SIGHUP)
    wait_until(lambda: {real_name(r) for r in lb.get(VIP4, "/index.html", count=5)} == {"rs2"},
               timeout=10, what="rs1 removed")
    assert {real_name(r) for r in lb.get(VIP4, "/index.html", count=40)} == {"rs2"}


def test_nat_forwards_and_rewrites_replies(lb, keel_build_dir, tmp_path):
    lb.start_nginx(big_file_bytes=1_000_000)
    for real in lb.reals:
        lb.route_back_through_director(real)
    source = lb.use_nat_source(VIP4)
    # As with IPVS NAT, the director forwards (bpf_fib_lookup routes the rewritten replies only
    # where the kernel would forward them).
    lb.director.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
    proc, _ = start_keeld(lb, keel_build_dir, tmp_path, VIP4, kind="NAT")
    wait_forwarding(lb, VIP4, {"rs1", "rs2"}, source=source)
    n = 100
    counts = collections.Counter(real_name(r) for r in lb.get(VIP4, "/index.html", count=n,
                                                               source=source))
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n, 2), counts
    want = hashlib.sha256(pattern(1_000_000)).hexdigest()
    for r in lb.get(VIP4, "/big.bin", count=4, timeout=20, source=source):
        assert r["ok"] and r["sha256"] == want, r
    # The replies were rewritten by the program (the client's socket only accepts them from the
    # VIP), not forwarded by the kernel.
    assert xdp_stats(proc, tmp_path / "run").get("nat_reply", 0) > 0


@pytest.mark.parametrize("accept", ["redirect", "lo"])
def test_ipv6_vip_dr(lb, keel_build_dir, tmp_path, accept):
    lb.start_nginx()
    for real in lb.reals:
        (lb.accept_vip_redirect if accept == "redirect" else lb.accept_vip_on_lo)(real, VIP6)
    start_keeld(lb, keel_build_dir, tmp_path, VIP6, v6=True)
    wait_forwarding(lb, VIP6, {"rs1", "rs2"})
    n = 100
    counts = collections.Counter(real_name(r) for r in lb.get(VIP6, "/index.html", count=n))
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n, 2), counts


@pytest.mark.parametrize("vip", [VIP4, VIP6])
def test_tun_ipip_to_reals_running_the_decapsulator(lb, keel_build_dir, tmp_path, vip):
    v6 = ":" in vip
    lb.start_nginx(big_file_bytes=1_000_000)
    for real in lb.reals:
        lb.accept_vip_on_lo(real, vip)
        lb.attach_decap(real, keel_build_dir / "src/app/keel-decap")
    start_keeld(lb, keel_build_dir, tmp_path, vip, kind="TUN", v6=v6)
    wait_forwarding(lb, vip, {"rs1", "rs2"})
    n = 100
    counts = collections.Counter(real_name(r) for r in lb.get(vip, "/index.html", count=n))
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n, 2), counts
    want = hashlib.sha256(pattern(1_000_000)).hexdigest()
    for r in lb.get(vip, "/big.bin", count=4, timeout=20):
        assert r["ok"] and r["sha256"] == want, r
    for real in lb.reals:
        real.run([str(keel_build_dir / "src/app/keel-decap"), "detach", "eth0"])
        assert not xdp_attached(real)


def test_keel_decap_replaces_and_removes_only_its_own_program(lab, keel_build_dir):
    """keel-decap on a real's eth0: status says 3 (not attached) or 0; attach replaces an older
    keel_decap, keeping its mode or moving it to the one asked for; detach removes only its
    own; another XDP program is neither replaced nor removed. The directors are required and
    rp_filter draws a warning."""
    real = lab.host("real")
    other = lab.host("other")
    lab.veth(real, other, "198.18.0.11/24", "198.18.0.12/24", ifname_a="eth0")
    tool = str(keel_build_dir / "src/app/keel-decap")

    def decap(*args: str):
        return real.run([tool, *args], check=False)

    def hook() -> tuple[str, int, int]:
        """(program name, mode: 1 native / 2 generic, program id) on eth0; ("", 0, 0) if none."""
        xdp = json.loads(real.ip("-j", "-d", "link", "show", "dev", "eth0").stdout)[0].get("xdp")
        return (xdp["prog"]["name"], xdp["mode"], xdp["prog"]["id"]) if xdp else ("", 0, 0)

    for key in ("all", "eth0"):
        real.run(["sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0"])
    director = ["--director", "198.18.0.12", "2001:db8:18::12"]
    assert decap("status", "eth0").returncode == 3
    assert decap("attach", "eth0").returncode == 2 and hook() == ("", 0, 0)  # no director
    bad = decap("attach", "eth0", "--director", "198.18.0.300")
    assert bad.returncode == 1 and hook() == ("", 0, 0), bad.stderr
    done = decap("attach", "eth0", *director)
    assert done.returncode == 0 and not done.stderr, done.stderr
    name, mode, first = hook()
    assert (name, mode) == ("keel_decap", 1)  # a veth has native XDP
    assert decap("status", "eth0").returncode == 0
    assert decap("attach", "eth0", *director).returncode == 0
    assert hook()[:2] == ("keel_decap", 1) and hook()[2] != first  # the new one, in place
    real.run(["sysctl", "-qw", "net.ipv4.conf.eth0.rp_filter=1"])
    moved = decap("attach", "eth0", *director, "--mode", "generic")
    assert moved.returncode == 0 and hook()[:2] == ("keel_decap", 2)
    assert "rp_filter is on for eth0" in moved.stderr
    assert decap("detach", "eth0").returncode == 0 and hook() == ("", 0, 0)
    assert decap("detach", "eth0").returncode == 0  # nothing to remove
    # Another program on the interface is neither replaced nor removed.
    real.ip("link", "set", "dev", "eth0", "xdp", "obj", str(xdp_pass_object(lab)), "sec", "xdp")
    before = hook()
    refused = decap("attach", "eth0", *director)
    assert refused.returncode == 1 and "keel_lab_pass already; not replacing it" in refused.stderr
    assert decap("detach", "eth0").returncode == 1 and hook() == before
    status = decap("status", "eth0")
    assert status.returncode == 3 and "(keel_lab_pass is)" in status.stdout


def xdp_attached(host, ifname: str = "eth0") -> bool:
    info = json.loads(host.ip("-j", "link", "show", "dev", ifname).stdout)
    return any("xdp" in entry for entry in info)


@pytest.mark.parametrize("keep", [False, True])
def test_stop_detaches_unless_dash_i(lb, keel_build_dir, tmp_path, keep):
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    lb.director.ip("addr", "add", f"{VIP4}/32", "dev", "eth0")
    conf = tmp_path / "keepalived.conf"
    write_conf(conf, VIP4, [(lb.real_addr(0), 1), (lb.real_addr(1), 1)])
    argv = [str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "--runtime-dir",
            str(tmp_path / "run"), "-f", str(conf)] + (["-I"] if keep else [])
    proc = lb.director.spawn(argv)
    proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
    assert xdp_attached(lb.director)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    assert proc.stop(signal.SIGTERM, timeout=10) == 0
    assert xdp_attached(lb.director) == keep
    if keep:
        # keepalived -I leaves IPVS forwarding; keel leaves the program and its maps forwarding.
        assert {real_name(r) for r in lb.get(VIP4, "/index.html", count=10)} <= {"rs1", "rs2"}
        assert all(r["ok"] for r in lb.get(VIP4, "/index.html", count=10))


def test_established_dr_connection_survives_failover_to_a_second_director(
        lab, keel_build_dir, tmp_path):
    """Both directors build the same ring from the same config, so the one that did not see the
    SYN sends the connection's next packets to the same real (mid-flow pickup by hash)."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    lb = build_lb_lab(lab, reals=2, directors=2)
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    conf = tmp_path / "keepalived.conf"
    write_conf(conf, VIP4, [(lb.real_addr(0), 1), (lb.real_addr(1), 1)])
    procs = []
    for i, d in enumerate(lb.directors):
        d.ip("addr", "add", f"{lb.addr4(250 + i)}/24", "dev", "eth0")  # keeps eth0 chosen
        procs.append(d.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                              "--runtime-dir", str(tmp_path / f"run{i}"), "--instance", "t",
                              "-f", str(conf)]))
    for p in procs:
        p.wait_for_output(r"XDP program attached to eth0", timeout=15)
    lb.move_vip(VIP4, lb.directors[0])
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    client = lb.keepalive_client(VIP4, "/index.html", seconds=4, interval=0.1)
    wait_until(lambda: client.output().count("\n") >= 5, timeout=5, what="answers before failover")
    lb.move_vip(VIP4, lb.directors[1])
    wait_until(lambda: not client.alive(), timeout=15, what="the client to finish")
    answers = [json.loads(line) for line in client.output().splitlines() if line.strip()]
    assert answers and all(a["ok"] for a in answers), answers[-3:]
    assert len({real_name(a) for a in answers}) == 1
    assert len(answers) >= 20  # 4 s at 0.1 s: the connection kept going after the failover
    stats = xdp_stats(procs[1], tmp_path / "run1")
    assert stats.get("new_midflow", 0) > 0, stats


def test_a_real_that_fails_its_tcp_check_gets_no_new_flows(lb, keel_build_dir, tmp_path):
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    lb.director.ip("addr", "add", f"{VIP4}/32", "dev", "eth0")
    conf = tmp_path / "keepalived.conf"
    write_conf(conf, VIP4, [(lb.real_addr(0), 1), (lb.real_addr(1), 1)],
               check=TCP_CHECK)
    proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-D",
                              "--runtime-dir", str(tmp_path / "run"), "--instance", "t",
                              "-f", str(conf)])
    proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    lb.nginx["rs2"].stop()
    # keepalived's TCP_CHECK: the next check after delay_loop (1 s) fails within connect_timeout
    # (1 s) and, with retry 0, removes the real; slack for a loaded machine.
    proc.wait_for_output(r"Removing service .*198\.18\.0\.12", timeout=1 + 1 + 5)
    assert {real_name(r) for r in lb.get(VIP4, "/index.html", count=40)} == {"rs1"}


VRRP_CONF = """global_defs {{
  router_id {name}
}}
vrrp_instance VI_1 {{
  state BACKUP
  interface eth0
  virtual_router_id 61
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    {vip}/32
  }}
}}
virtual_server {vip} 80 {{
  lb_algo rr
  lb_kind DR
  protocol TCP
{reals}
}}
"""


def service_counters(proc, run_dir) -> dict[str, int]:
    """The first " Service ..." line of keel.stats as {"conns": .., "in_packets": .., ...}."""
    stats = run_dir / "t" / "keel.stats"
    stats.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR2)
    wait_until(lambda: stats.exists() and "XDP data plane" in stats.read_text(), timeout=5,
               what="keel.stats")
    for line in stats.read_text().splitlines():
        if line.startswith(" Service "):
            words = line.split()[3:]
            return {k: int(v) for k, v in zip(words[::2], words[1::2])}
    return {}


def test_a_backup_forwards_no_flooded_vip_frame_until_it_is_master(lab, keel_build_dir,
                                                                    tmp_path):
    """Two directors run keeld with one VRRP instance holding the VIP. The switch learns no MAC
    (ageing 0), so it floods every frame for the MASTER to the BACKUP too: the BACKUP's program
    sees each client packet, addressed to the MASTER's MAC (pass_other_host counts them), and
    forwards none, until the MASTER stops and it takes over (its gratuitous ARP brings the
    frames to its own MAC). Bounds: the BACKUP is MASTER within Master_Down_Interval after the
    MASTER's priority-0 advert, i.e. at most 3 * advert_int + (256 - priority) / 256 s (RFC 3768
    §6.1), plus slack."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    lb = build_lb_lab(lab, reals=2, directors=2)
    lb.switch.ip("link", "set", "dev", lb.switch.bridge, "type", "bridge", "ageing_time", "0")
    lb.start_nginx()
    for real in lb.reals:
        lb.accept_vip_redirect(real, VIP4)
    reals = "\n".join(REAL.format(addr=lb.real_addr(i), weight=1, check="") for i in range(2))
    procs = []
    for i, (d, priority) in enumerate(zip(lb.directors, (150, 100))):
        conf = tmp_path / f"keepalived{i}.conf"
        conf.write_text(VRRP_CONF.format(name=f"director{i}", priority=priority, vip=VIP4,
                                         reals=reals))
        procs.append(d.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                              "--runtime-dir", str(tmp_path / f"run{i}"), "--instance", "t",
                              "-f", str(conf)]))
    master, backup = procs
    for p in procs:
        p.wait_for_output(r"XDP program attached to eth0", timeout=15)
    master.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=3 + 1 + 5)
    backup.wait_for_output(r"\(VI_1\) Entering BACKUP STATE", timeout=5)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    results = lb.get(VIP4, "/index.html", count=20)
    assert all(r["ok"] for r in results), results
    on_master = service_counters(master, tmp_path / "run0")
    on_backup = service_counters(backup, tmp_path / "run1")
    backup_counters = xdp_stats(backup, tmp_path / "run1")
    assert on_master["in_packets"] > 0, on_master
    assert backup_counters.get("pass_other_host", 0) > 0, backup_counters  # the frames did arrive
    assert on_backup["in_packets"] == 0 and on_backup["conns"] == 0, on_backup

    master.stop(signal.SIGTERM, timeout=10)
    backup.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=3 + 1 + 5)
    wait_forwarding(lb, VIP4, {"rs1", "rs2"})
    assert all(r["ok"] for r in lb.get(VIP4, "/index.html", count=10))
    assert service_counters(backup, tmp_path / "run1")["conns"] > 0
