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
import math
import os

import pytest

from keel_lab.lb_lab import LbLab, build_lb_lab

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
    weight {weight}
  }}"""


def real_name(result: dict) -> str:
    return result["body"].strip().rsplit(" ", 1)[-1] if result["ok"] else f"error {result['error']}"


def start_keeld(lb: LbLab, keel_build_dir, tmp_path, vip: str, kind: str = "DR", algo: str = "rr",
                weights: list[int] | None = None, extra: str = "", v6: bool = False):
    weights = weights or [1] * len(lb.reals)
    plen = "128" if ":" in vip else "32"
    lb.director.ip("addr", "add", f"{vip}/{plen}", "dev", "eth0",
                   *(["nodad"] if ":" in vip else []))
    reals = "\n".join(REAL.format(addr=lb.real_addr(i, v6), weight=w)
                      for i, w in enumerate(weights))
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF.format(vip=vip, algo=algo, kind=kind, extra=extra, reals=reals))
    proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-D",
                              "-f", str(conf)])
    proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
    return proc, conf


def wait_forwarding(lb: LbLab, vip: str, expect: set[str], source: str | None = None) -> None:
    """Until every expected real has answered through the VIP (neighbours resolve first)."""
    seen: set[str] = set()

    def all_seen() -> bool:
        seen.update(real_name(r) for r in lb.get(vip, "/index.html", count=10, source=source))
        return expect <= seen

    from keel_lab.util import wait_until
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
