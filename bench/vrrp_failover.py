#!/usr/bin/python3
"""VRRP failover as a client sees it: keel pair vs keepalived pair (Debian's 2.2.7).

For each profile (VRRPv2 advert_int 1 s, VRRPv3 advert_int 0.1 s; priorities 150/100)
and each implementation pair, builds a lab of namespaces (tests/e2e/keel_lab): a bridge,
directors d1 (MASTER, 150) and d2 (BACKUP, 100) running the same keepalived.conf, and
a client. Both directors run a TCP responder on 0.0.0.0:PORT answering its own name.
The client opens a TCP connection to VIP:PORT every 10 ms. Each trial SIGKILLs the
MASTER's whole process group (keepalived: parent and VRRP child), so the VIP stays
configured on d1 - a crash, not a hand-over - and measures the time from the kill to
the first connection answered by d2: the BACKUP's down timer plus its gratuitous ARP.
The kill lands at a random phase of the advert cycle, so the expected spread is
[MDI - advert_int, MDI], MDI = Master_Down_Interval of the BACKUP = 3 * A + (256-100)/256 * A.
d1 is then restarted, pre-empts, and the next trial starts once the client reaches d1
again and d2's delayed GARP burst (garp_master_delay, 5 s) is over. The two pairs live in
two labs at once and their trials alternate (ABBA), so drift hits both alike.

With --load, the trials run under the load of bench/vrrp_jitter.py: 2 busy loops per CPU at
normal priority for the whole run, and the keel BACKUP (d2) health-checks 10,000 real servers
(TCP_CHECK, delay_loop 1) on a host `rs` of the lab (keepalived's checker cannot run without the
kernel's IPVS, so its pair gets the CPU load only). Profile v3f is VRRPv3 at 0.05 s.

Prints one line per trial, then median/min/max per profile and pair beside the formula, the
worst failover as a multiple of Master_Down_Interval, and the keel/keepalived ratio of medians;
writes docs/bench-vrrp-failover.png (--load: docs/bench-vrrp-failover-load.png).
Figures, not a pass/fail test. Needs root.
Usage: bench/vrrp_failover.py [BUILD_DIR] [--trials N] [--profiles v2,v3,v3f]
       [--pairs keel,keepalived] [--load] [--reals N]
       (BUILD_DIR default build/release; keeld is BUILD_DIR/src/app/keeld)
"""

from __future__ import annotations

import argparse
import os
import random
import selectors
import signal
import socket
import statistics
import struct
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests/e2e"))
sys.path.insert(0, str(REPO / "bench"))

KEEPALIVED = "/usr/sbin/keepalived"
VIP, PORT = "198.18.0.100", 8080
ADDRS = {"d1": "198.18.0.1", "d2": "198.18.0.2", "cl": "198.18.0.10"}
RS_ADDR = "198.18.0.20"  # --load: the checked real servers
HIGH, LOW = 150, 100
GARP_DELAY = 5.0  # keepalived's default vrrp_garp_master_delay (keel's too)
PRE = 1.0  # probing before the fault, seconds
PROBE_INTERVAL, PROBE_TIMEOUT = 0.01, 0.2

CONF = """global_defs {{
  router_id {name}
  vrrp_version {version}
}}
vrrp_instance VI_1 {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int {advert_int}
  virtual_ipaddress {{
    {vip}/24
  }}
}}
"""


@dataclass(frozen=True)
class Profile:
    key: str
    label: str
    version: int
    advert_int: float

    def mdi(self, priority: int = LOW) -> float:
        """Master_Down_Interval of a BACKUP of `priority`."""
        return 3 * self.advert_int + (256 - priority) / 256 * self.advert_int


PROFILES = {"v2": Profile("v2", "VRRPv2, advert_int 1 s", 2, 1.0),
            "v3": Profile("v3", "VRRPv3, advert_int 0.1 s", 3, 0.1),
            "v3f": Profile("v3f", "VRRPv3, advert_int 0.05 s", 3, 0.05)}
PAIRS = ("keel", "keepalived")


# -- the client's prober (runs inside the client namespace: `vrrp_failover.py probe ...`) --

def probe_main(argv: list[str]) -> int:
    """Start a non-blocking TCP connect to HOST:PORT every --interval s (a lost SYN never
    delays the next one); print `send done result` per probe (CLOCK_MONOTONIC, the same in
    every namespace), result = banner, timeout, refused or errorN. Stops at --duration,
    or --linger s after the first answer equal to --until."""
    ap = argparse.ArgumentParser(prog="vrrp_failover.py probe")
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--interval", type=float, default=PROBE_INTERVAL)
    ap.add_argument("--timeout", type=float, default=PROBE_TIMEOUT)
    ap.add_argument("--duration", type=float, required=True)
    ap.add_argument("--until", default=None)
    ap.add_argument("--linger", type=float, default=0.2)
    a = ap.parse_args(argv)
    sel = selectors.DefaultSelector()
    inflight: dict[int, tuple[socket.socket, float]] = {}
    lines: list[str] = []
    linger = struct.pack("ii", 1, 0)  # RST on close: no TIME_WAIT pile-up
    start = time.monotonic()
    end = start + a.duration
    next_t = start
    print("ready", flush=True)

    def finish(fd: int, result: str) -> None:
        nonlocal end
        sock, sent = inflight.pop(fd)
        sel.unregister(sock)
        sock.close()
        done = time.monotonic()
        lines.append(f"{sent:.6f} {done:.6f} {result}")
        if a.until is not None and result == a.until:
            end = min(end, done + a.linger)

    while True:
        now = time.monotonic()
        if now >= end and not inflight:
            break
        if next_t <= now < end:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            sent = time.monotonic()
            err = s.connect_ex((a.host, a.port))
            if err not in (0, 115):  # 115: EINPROGRESS
                lines.append(f"{sent:.6f} {sent:.6f} error{err}")
                s.close()
            else:
                inflight[s.fileno()] = (s, sent)
                sel.register(s, selectors.EVENT_READ)
            next_t += a.interval
            if next_t < now:  # fell behind (busy machine): skip, never burst
                next_t = now + a.interval
        wake = min(next_t, end) if now < end else now + a.timeout
        if inflight:
            wake = min(wake, min(t for _, t in inflight.values()) + a.timeout)
        for key, _ in sel.select(timeout=max(0.0, wake - time.monotonic())):
            try:
                data = key.fileobj.recv(64)
                res = data.decode(errors="replace").strip() or "empty"
            except ConnectionRefusedError:
                res = "refused"
            except OSError as e:
                res = f"error{e.errno}"
            finish(key.fileobj.fileno(), res)
        now = time.monotonic()
        for fd in [fd for fd, (_, t) in inflight.items() if t + a.timeout <= now]:
            finish(fd, "timeout")
    print("\n".join(lines), flush=True)
    print("done", flush=True)
    return 0


# -- the lab --------------------------------------------------------------------------

class Rig:
    """One lab: switch, d1, d2, client, responders; a pair of `impl` daemons on d1/d2."""

    def __init__(self, impl: str, keeld: Path, reals: int = 0):
        from keel_lab import Lab, probe_cmd
        self.impl, self.keeld = impl, keeld
        self.reals = reals if impl == "keel" else 0
        self.lab = Lab()
        sw = self.lab.switch("sw")
        self.hosts = {}
        for name, addr in ADDRS.items():
            self.hosts[name] = self.lab.host(name)
            self.lab.connect(self.hosts[name], sw, f"{addr}/24")
        if self.reals:
            from vrrp_jitter import start_rs
            self.hosts["rs"] = self.lab.host("rs")
            self.lab.connect(self.hosts["rs"], sw, f"{RS_ADDR}/24")
            start_rs(self.lab, self.hosts["rs"], self.reals)
        for name in ("d1", "d2"):
            self.hosts[name].spawn(probe_cmd("serve", "0.0.0.0", str(PORT), "--banner",
                                             name)).wait_for_output("listening")
        self.daemons: dict = {}
        self.profile: Profile | None = None
        self.last_takeover = 0.0
        self.notes: list[str] = []

    def close(self) -> None:
        self.lab.close()

    def has_vip(self, name: str) -> bool:
        return VIP in self.hosts[name].addresses("eth0")

    def argv(self, name: str) -> list[str]:
        conf = self.lab.tmpdir / f"{name}.conf"
        if self.impl == "keel":
            return [str(self.keeld), "-n", "-l", "-G", "-f", str(conf)]
        base = self.lab.tmpdir / f"{name}-ka"
        for suffix in (".pid", "-vrrp.pid", "-check.pid"):
            Path(f"{base}{suffix}").unlink(missing_ok=True)
        return [KEEPALIVED, "-n", "-l", "-G", "-P", "-f", str(conf), "-p", f"{base}.pid",
                "-r", f"{base}-vrrp.pid", "-c", f"{base}-check.pid"]

    def start(self, name: str) -> None:
        self.hosts[name].ip("addr", "del", f"{VIP}/24", "dev", "eth0", check=False)
        proc = self.hosts[name].spawn(self.argv(name))
        proc.wait_for_output(r"\(VI_1\) Entering BACKUP STATE \(init\)", timeout=15)
        self.daemons[name] = proc

    def configure(self, profile: Profile) -> None:
        for proc in self.daemons.values():
            proc.stop(signal.SIGTERM, timeout=10)
        self.daemons = {}
        self.profile = profile
        for name, state, prio in (("d1", "MASTER", HIGH), ("d2", "BACKUP", LOW)):
            text = CONF.format(name=name, version=profile.version, state=state, priority=prio,
                               advert_int=profile.advert_int, vip=VIP)
            if name == "d2" and self.reals:
                from vrrp_jitter import CHECK_RS, CHECKS_HEAD
                text += CHECKS_HEAD.format(vip=VIP) + "".join(
                    CHECK_RS.format(addr=RS_ADDR, port=20000 + i) for i in range(self.reals))
                text += "}\n"
            (self.lab.tmpdir / f"{name}.conf").write_text(text)
        self.start("d1")
        self.start("d2")
        self.converge()

    def probe(self, duration: float, until: str | None = None):
        from keel_lab import wait_until
        proc = self.hosts["cl"].spawn([sys.executable, str(Path(__file__).resolve()), "probe",
                                       VIP, str(PORT), "--duration", f"{duration:.3f}",
                                       *(["--until", until] if until else [])])
        proc.wait_for_output("ready", timeout=10)
        return proc, lambda: self._collect(proc, wait_until, duration)

    @staticmethod
    def _collect(proc, wait_until, duration):
        wait_until(lambda: not proc.alive(), timeout=duration + 5, interval=0.02,
                   what="the prober to finish")
        proc.stop()
        rows = []
        for line in proc.output().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0][0].isdigit():
                rows.append((float(parts[0]), float(parts[1]), parts[2]))
        return rows

    def client_on_d1(self) -> bool:
        _, collect = self.probe(0.3)
        rows = collect()
        return bool(rows) and all(r[2] == "d1" for r in rows)

    def converge(self) -> None:
        """d1 holds the VIP, d2 not, d2's delayed GARP burst is over, the client reaches d1."""
        from keel_lab import wait_until
        p = self.profile
        wait_until(lambda: self.has_vip("d1") and not self.has_vip("d2"),
                   timeout=p.mdi(HIGH) + p.advert_int + 5, what=f"{self.impl}: d1 MASTER")
        rest = self.last_takeover + GARP_DELAY + 0.3 - time.monotonic()
        if rest > 0:
            time.sleep(rest)
        if self.client_on_d1():
            return
        self.notes.append(f"{p.key}: client did not reach d1 after d1 took the VIP back "
                          f"(d1 VIP {self.has_vip('d1')}, d2 VIP {self.has_vip('d2')}); "
                          "flushed its ARP cache")
        self.hosts["cl"].ip("neigh", "flush", "all")
        wait_until(self.client_on_d1, timeout=5, what=f"{self.impl}: the client to reach d1")

    def trial(self, rng: random.Random) -> dict:
        p = self.profile
        phase = rng.uniform(0, p.advert_int)
        duration = PRE + phase + p.mdi() + p.advert_int + 2.0
        _, collect = self.probe(duration, until="d2")
        time.sleep(PRE + phase)
        fault = time.monotonic()
        self.daemons["d1"].send_signal(signal.SIGKILL)  # the whole process group
        rows = collect()
        self.daemons["d1"].stop()
        before = [r for r in rows if r[0] < fault]
        after = [r for r in rows if r[0] >= fault]
        first = next((r for r in after if r[2] == "d2"), None)
        res = {
            "phase": phase,
            "failover": None if first is None else first[1] - fault,
            "bad_before": sum(1 for r in before if r[2] != "d1"),
            "d1_after": sum(1 for r in after if r[2] == "d1"),
            "failed_after": sum(1 for r in after if r[2] not in ("d1", "d2")),
            "vip_left_on_d1": self.has_vip("d1"),
        }
        self.last_takeover = fault + (res["failover"] or 0.0)
        self.start("d1")  # drop the stale VIP, restart; d1 pre-empts
        self.converge()
        return res


# -- report -----------------------------------------------------------------------------

def fmt_s(v):
    return "-" if v is None else f"{v:.3f}"


def summarize(results, profiles, pairs):
    print(f"\n{'profile':<26} {'pair':<11} {'n':>3} {'median s':>9} {'min s':>7} {'max s':>7} "
          f"{'formula s (MDI-A..MDI)':>23} {'max/MDI':>8} {'keel/keepalived':>16}")
    summary = {}
    for p in profiles:
        med = {}
        for impl in pairs:
            xs = [r["failover"] for r in results[p.key][impl] if r["failover"] is not None]
            med[impl] = statistics.median(xs) if xs else None
            summary[(p.key, impl)] = xs
            ratio = ""
            if impl == "keel" or len(pairs) == 1:
                pass
            elif med.get("keel") and med[impl]:
                ratio = f"{med['keel'] / med[impl]:.2f}"
            worst = f"{max(xs) / p.mdi():.3f}" if xs else "-"
            print(f"{p.label:<26} {impl:<11} {len(xs):>3} {fmt_s(med[impl]):>9} "
                  f"{fmt_s(min(xs) if xs else None):>7} {fmt_s(max(xs) if xs else None):>7} "
                  f"{p.mdi() - p.advert_int:>11.3f}..{p.mdi():<10.3f} {worst:>8} {ratio:>16}")
    return summary


def plot(summary, profiles, pairs, path, load=False):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(profiles), figsize=(5 * len(profiles), 4.2), squeeze=False)
    colors = {"keel": "#4a7ab5", "keepalived": "#d9822b"}
    jit = random.Random(1)
    for ax, p in zip(axes[0], profiles):
        ax.axhspan(p.mdi() - p.advert_int, p.mdi(), color="#bbbbbb", alpha=0.35,
                   label="protocol window [MDI-A, MDI]")
        ax.axhline(1.05 * p.mdi(), color="#b54a4a", linestyle="--", linewidth=1,
                   label="goal 1.05 x MDI")
        for x, impl in enumerate(pairs):
            xs = summary.get((p.key, impl), [])
            if not xs:
                continue
            ax.scatter([x + jit.uniform(-0.1, 0.1) for _ in xs], xs, s=18,
                       color=colors.get(impl), alpha=0.8)
            m = statistics.median(xs)
            ax.hlines(m, x - 0.2, x + 0.2, color=colors.get(impl), linewidth=2.5)
            ax.annotate(f"median\n{m:.3f} s", (x + 0.22, m), fontsize=8, va="center")
        ax.set_xticks(range(len(pairs)), [f"{i} pair" for i in pairs])
        ax.set_xlim(-0.5, len(pairs) - 0.5 + 0.4)
        ax.set_ylim(0, p.mdi() * 1.25)
        ax.set_ylabel("kill -9 MASTER -> first answer from BACKUP (s)", fontsize=9)
        ax.set_title(p.label)
        ax.legend(loc="lower right", fontsize=8)
    title = "VRRP failover seen by a client: keel vs keepalived 2.2.7 (same lab, same run)"
    if load:
        title += ("\nunder load: every CPU saturated; keel's BACKUP checks 10,000 TCP real servers "
                  "at delay_loop 1")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nplot: {path}")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        return probe_main(sys.argv[2:])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("build", nargs="?", default=str(REPO / "build/release"))
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--profiles", default="v2,v3")
    ap.add_argument("--pairs", default="keel,keepalived")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--load", action="store_true", help="CPU saturation and 10,000 checks/s")
    ap.add_argument("--reals", type=int, default=10000)
    ap.add_argument("--plot", default=None)
    a = ap.parse_args()
    if a.plot is None:
        a.plot = str(REPO / ("docs/bench-vrrp-failover-load.png" if a.load
                             else "docs/bench-vrrp-failover.png"))
    profiles = [PROFILES[k] for k in a.profiles.split(",")]
    pairs = [k for k in a.pairs.split(",")]
    if any(k not in PAIRS for k in pairs):
        ap.error(f"--pairs: choose from {','.join(PAIRS)}")
    keeld = Path(a.build).resolve() / "src/app/keeld"
    if "keel" in pairs and not os.access(keeld, os.X_OK):
        sys.exit(f"bench: {keeld} not built")
    if "keepalived" in pairs and not os.access(KEEPALIVED, os.X_OK):
        sys.exit(f"bench: {KEEPALIVED} not installed")
    from keel_lab import require_root_netns
    if reason := require_root_netns():
        sys.exit(f"bench: {reason}")
    rng = random.Random(a.seed)
    results = {p.key: {impl: [] for impl in pairs} for p in profiles}
    rigs = {}
    started = time.monotonic()
    load = None
    try:
        for impl in pairs:
            rigs[impl] = Rig(impl, keeld, a.reals if a.load else 0)
        if a.load:
            from vrrp_jitter import CpuLoad
            load = CpuLoad()
        for p in profiles:
            for impl in pairs:
                rigs[impl].configure(p)
            print(f"{p.label}: MDI of the BACKUP (prio {LOW}) = {p.mdi():.3f} s; "
                  f"{a.trials} trials per pair", flush=True)
            for i in range(a.trials):
                order = pairs if i % 2 == 0 else pairs[::-1]  # ABBA
                for impl in order:
                    r = rigs[impl].trial(rng)
                    results[p.key][impl].append(r)
                    extra = "" if not (r["bad_before"] or r["failed_after"]) else \
                        f", non-d1 before fault {r['bad_before']}, failed after {r['failed_after']}"
                    print(f"  [{p.key} {impl:<10}] trial {i + 1}/{a.trials}: phase "
                          f"{r['phase']:.3f} s -> failover {fmt_s(r['failover'])} s "
                          f"(d1 answers after the kill {r['d1_after']}, VIP left on d1 "
                          f"{'yes' if r['vip_left_on_d1'] else 'no'}{extra})", flush=True)
    finally:
        if load:
            load.close()
        for rig in rigs.values():
            rig.close()
    summary = summarize(results, profiles, pairs)
    for rig in rigs.values():
        for note in rig.notes:
            print(f"note ({rig.impl}): {note}")
    print(f"total {time.monotonic() - started:.0f} s")
    Path(a.plot).parent.mkdir(parents=True, exist_ok=True)
    plot(summary, profiles, pairs, Path(a.plot).resolve(), a.load)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    sys.exit(main())
