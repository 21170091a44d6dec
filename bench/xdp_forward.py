#!/usr/bin/python3
"""Forwarding through the director, side by side in one run: keel's XDP DR vs a routed
baseline with the same hop count, HAProxy 2.6 in TCP mode and nftables DNAT.

Lab (tests/e2e/keel_lab/lb_lab.py): a client, a director and two nginx real servers on one
switch. Variants, interleaved per repetition so drift hits all alike:
  routed   client -> director (a plain IPv4 router) -> rs1, to an address of rs1's that the
           client routes through the director: the same hops as DR, no load balancing
  keel-dr  client -> VIP on the director, keeld's XDP program -> rs1/rs2 (VIP on their lo)
  haproxy  HAProxy 2.6 `mode tcp`, roundrobin, on the director's VIP
  nft-dnat nftables DNAT `numgen inc mod 2` on the director; the reals route the client's
           address back through the director (NAT mode)
Load: `wrk -t2 -c50 -d{seconds}s --latency` from the client, keep-alive and with
`Connection: close` (a new connection per request). Prints req/s and p99 per variant with the
ratio to routed, and writes docs/bench-xdp-forward.png. Figures, not a pass/fail test. Needs
root; ~4 minutes with the defaults.
Usage: bench/xdp_forward.py [BUILD_DIR] [--reps N] [--seconds S]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

from peer_configs import haproxy_tcp
from ratio_plot import plot_ratios

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests/e2e"))

VIP = "198.18.0.100"
ROUTED = "10.98.0.11"  # rs1's extra address, reached through the director

KEEL_CONF = """global_defs {{
  router_id bench
}}
virtual_server {vip} 80 {{
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server {rs1} 80 {{
  }}
  real_server {rs2} 80 {{
  }}
}}
"""

NFT_CONF = """table ip keelbench {{
  chain pre {{
    type nat hook prerouting priority dstnat;
    ip daddr {vip} tcp dport 80 dnat to numgen inc mod 2 map {{ 0 : {rs1}, 1 : {rs2} }}
  }}
}}
"""


def wrk(lb, url: str, seconds: int, close: bool) -> tuple[float, float]:
    argv = ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url]
    if close:
        argv[1:1] = ["-H", "Connection: close"]
    out = lb.client.run(argv, timeout=seconds + 30).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]
    return rps, p99


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("build", nargs="?", default="build/release")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=8)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/xdp_forward.py: needs root (network namespaces, XDP)", file=sys.stderr)
        return 2
    from keel_lab import Lab
    from keel_lab.lb_lab import build_lb_lab

    build = Path(args.build).resolve()
    results: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    with Lab() as lab:
        lb = build_lb_lab(lab, reals=2)
        lb.start_nginx()
        rs1, rs2 = lb.real_addr(0), lb.real_addr(1)
        d = lb.director
        for real in lb.reals:
            lb.accept_vip_on_lo(real, VIP)
        # routed: rs1 also owns ROUTED; the client reaches it through the director.
        d.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        lb.reals[0].ip("addr", "add", f"{ROUTED}/32", "dev", "lo")
        # Only what rs1 sends from ROUTED goes back through the director.
        lb.reals[0].ip("rule", "add", "from", ROUTED, "lookup", "100")
        lb.reals[0].ip("route", "add", "198.18.0.10/32", "via", lb.director_addr4, "table", "100")
        d.ip("route", "add", f"{ROUTED}/32", "via", rs1)
        lb.client.ip("route", "add", f"{ROUTED}/32", "via", lb.director_addr4)
        d.ip("addr", "add", f"{VIP}/32", "dev", "eth0")

        conf = lab.tmpdir / "keel.conf"
        conf.write_text(KEEL_CONF.format(vip=VIP, rs1=rs1, rs2=rs2))
        hconf = lab.tmpdir / "haproxy.cfg"
        hconf.write_text(haproxy_tcp(f"{VIP}:80", [f"{rs1}:80", f"{rs2}:80"]))
        nconf = lab.tmpdir / "dnat.nft"
        nconf.write_text(NFT_CONF.format(vip=VIP, rs1=rs1, rs2=rs2))

        def run_variant(name: str, close: bool) -> None:
            url = f"http://{ROUTED if name == 'routed' else VIP}/index.html"
            proc = None
            if name == "keel-dr":
                proc = d.spawn([str(build / "src/app/keeld"), "-n", "-l", "-f", str(conf),
                                "--runtime-dir", str(lab.tmpdir / "run")])
                proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
            elif name == "haproxy":
                proc = d.spawn(["haproxy", "-db", "-f", str(hconf)])
                time.sleep(0.5)
            elif name == "nft-dnat":
                d.run(["nft", "-f", str(nconf)])
                for real in lb.reals:  # replies to the client go back through the director
                    real.ip("route", "replace", "198.18.0.10/32", "via", lb.director_addr4)
            try:
                results.setdefault((name, close), []).append(wrk(lb, url, args.seconds, close))
            finally:
                if proc is not None:
                    proc.stop()
                if name == "nft-dnat":
                    d.run(["nft", "delete", "table", "ip", "keelbench"])
                    for real in lb.reals:
                        real.ip("route", "del", "198.18.0.10/32", check=False)

        variants = ["routed", "keel-dr", "haproxy", "nft-dnat"]
        total = args.reps * len(variants) * 2
        done = 0
        for rep in range(args.reps):
            for close in (False, True):
                for name in variants:
                    done += 1
                    print(f"\r  {done}/{total}: {name}{' conn/req' if close else ''}      ",
                          end="", file=sys.stderr, flush=True)
                    run_variant(name, close)
        print("", file=sys.stderr)

    print(f"{'variant':<12}{'mode':<11}{'req/s':>10}{'ratio':>8}{'p99 ms':>9}")
    rows = []
    for close in (False, True):
        base = statistics.median(r for r, _ in results[("routed", close)])
        for name in ("routed", "keel-dr", "haproxy", "nft-dnat"):
            rps = statistics.median(r for r, _ in results[(name, close)])
            p99 = statistics.median(p for _, p in results[(name, close)])
            mode = "conn/req" if close else "keep-alive"
            rows.append((name, mode, rps, rps / base, p99))
            print(f"{name:<12}{mode:<11}{rps:>10.0f}{rps / base:>8.2f}{p99:>9.2f}")

    names = ["routed", "keel-dr", "haproxy", "nft-dnat"]
    ratios = {mode: [r[3] for r in rows if r[1] == mode] for mode in ("keep-alive", "conn/req")}
    out = plot_ratios(ratios, names, "req/s ÷ routed",
                      f"wrk -c50 through the director (median of {args.reps})",
                      REPO / "docs/bench-xdp-forward.png")
    print(f"plot: {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
