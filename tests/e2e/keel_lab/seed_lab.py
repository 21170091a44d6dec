"""The seed document's system in network namespaces: what `scripts/demo` shows and
tests/e2e/test_seed_lab.py asserts, built by this one module so the two cannot drift.

    seed = SeedLab(lab, build_dir)       # client, master, backup, rs1, rs2 on one switch
    seed.build()                         # nginx on the reals, the seed's REDIRECT rule, ...
    seed.start_keeld("master"); seed.start_keeld("backup")
    seed.holders()                       # ["master"]: who has the VIP on eth0

The directors run keeld with examples/seed/master.conf and backup.conf as they are, except that
the notify lines point at examples/seed/bypass_ipvs.sh instead of /etc/keepalived (`render`).
The timing bounds (`SeedTimers`) are read from those files, so a change there moves the bounds.

Addresses (198.18.0.0/24, inside the lab only): client .10, master .2, backup .3, rs1 .11,
rs2 .12, VIP .100; the client also has the extra sources of `SOURCE_SETS` (for spreading
persistent clients over the reals).
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .host import Host
from .lab import Lab
from .lb_lab import NET4, LbLab, xdp_pass_object
from .proc import Proc

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED_DIR = REPO_ROOT / "examples" / "seed"
SEED_SCRIPT_PATH = "/etc/keepalived/bypass_ipvs.sh"  # where the seed installs the script
VIP = f"{NET4}.100"
DIRECTORS = {"master": 2, "backup": 3}
CLIENT_NO = 10
REALS = 2
# Extra client sources, in sets used one after another: with persistence each source is one
# client to the director, so fresh sets show how new clients spread (templates of a used set
# remember where its sources went).
SOURCE_SETS = {
    "spread": [f"{NET4}.{n}" for n in range(20, 70)],
    "outage": [f"{NET4}.{n}" for n in range(101, 151)],
    "back": [f"{NET4}.{n}" for n in range(151, 201)],
}


def real_name(result: dict) -> str:
    """Who answered: the last word of the page ("hello from rs1"), or "error ..."."""
    if not result["ok"]:
        return f"error {result['error'] or result['status']}"
    return result["body"].strip().rsplit(" ", 1)[-1]


def conf_value(text: str, keyword: str, default: float | None = None) -> float:
    """The first `keyword N` in a keepalived.conf text (the seed's files are flat)."""
    found = re.search(rf"^\s*{keyword}\s+(\S+)", text, re.MULTILINE)
    if found:
        return float(found.group(1))
    if default is None:
        raise LookupError(f"{keyword} not in the configuration")
    return default


@dataclass(frozen=True)
class SeedTimers:
    """The protocol and checker timings of the seed's configuration, and the bounds they give."""

    advert_int: float
    priority: dict[str, int]
    delay_loop: float
    connect_timeout: float
    retry: int
    delay_before_retry: float
    persistence_timeout: float

    @classmethod
    def from_files(cls) -> "SeedTimers":
        master = (SEED_DIR / "master.conf").read_text()
        backup = (SEED_DIR / "backup.conf").read_text()
        return cls(advert_int=conf_value(master, "advert_int", 1.0),
                   priority={"master": int(conf_value(master, "priority")),
                             "backup": int(conf_value(backup, "priority"))},
                   delay_loop=conf_value(master, "delay_loop"),
                   connect_timeout=conf_value(master, "connect_timeout"),
                   retry=int(conf_value(master, "(?:nb_get_retry|retry)")),
                   delay_before_retry=conf_value(master, "delay_before_retry"),
                   persistence_timeout=conf_value(master, "persistence_timeout"))

    def skew(self, who: str) -> float:
        """RFC 3768 Skew_Time, (256 - priority) / 256 s."""
        return (256 - self.priority[who]) / 256

    def master_down(self, who: str) -> float:
        """Master_Down_Interval = 3 x advert_int + Skew_Time: how long `who` waits for adverts
        before it takes over (also at start-up, where every director begins as BACKUP)."""
        return 3 * self.advert_int + self.skew(who)

    def real_down(self) -> float:
        """A failing real is removed at most this long after it failed (keepalived's HTTP_GET
        scheduling): the next check within delay_loop, then retry + 1 attempts of at most
        connect_timeout each with delay_before_retry between them."""
        return (self.delay_loop + (self.retry + 1) * self.connect_timeout
                + self.retry * self.delay_before_retry)

    def real_up(self) -> float:
        """A real that answers again is re-added at its next check: within delay_loop (or
        delay_before_retry while retrying), plus one attempt."""
        return max(self.delay_loop, self.delay_before_retry) + self.connect_timeout


class SeedPages(LbLab):
    """LbLab whose reals serve the seed's page: "hello", plus who answered."""

    def page(self, i: int) -> str:
        return f"hello from rs{i + 1}\n"


def unsafe_script_dir(script: Path) -> Path | None:
    """The first directory above `script` that is not root's or that others may write, as
    script security judges it (keepalived's enable_script_security, and keeld's), or None."""
    for d in script.resolve().parents:
        st = d.stat()
        if st.st_uid != 0 or st.st_mode & 0o002 or (st.st_mode & 0o020 and st.st_gid != 0):
            return d
    return None


def render(name: str, dest: Path) -> Path:
    """examples/seed/<name>.conf with the notify script taken from examples/seed. The seed's
    configurations enable script security, so a checkout under a directory others may write
    (e.g. /tmp) would have keeld refuse bypass_ipvs.sh: that is said here, not found later as a
    missing iptables rule."""
    unsafe = unsafe_script_dir(SEED_DIR / "bypass_ipvs.sh")
    if unsafe is not None:
        raise RuntimeError(f"{unsafe} may be written by others: the seed's script security "
                           f"refuses {SEED_DIR / 'bypass_ipvs.sh'} (as keepalived's does); "
                           "run from a checkout elsewhere")
    text = (SEED_DIR / f"{name}.conf").read_text()
    dest.write_text(text.replace(SEED_SCRIPT_PATH, str(SEED_DIR / "bypass_ipvs.sh")))
    return dest


@dataclass
class SeedLab:
    lab: Lab
    build_dir: Path
    timers: SeedTimers = field(default_factory=SeedTimers.from_files)
    hosts: dict[str, Host] = field(default_factory=dict)
    keeld: dict[str, Proc] = field(default_factory=dict)
    lb: SeedPages | None = None
    # keeld's command before the lab's own options, and keelctl: by default the build tree's
    # (`keeld -n`); the package test gives the installed unit's ExecStart line and /usr/bin/keelctl.
    keeld_command: list[str] | None = None
    keelctl_path: Path | None = None

    def keeld_argv(self) -> list[str]:
        return self.keeld_command or [str(self.build_dir / "src/app/keeld"), "-n"]

    def keelctl(self) -> str:
        return str(self.keelctl_path or self.build_dir / "src/app/keelctl")

    # -- building -------------------------------------------------------------
    def build(self) -> None:
        """The topology, nginx on both reals with the seed's REDIRECT rule, forwarding on the
        directors (the seed's net.ipv4.ip_forward = 1), the client's extra sources."""
        sw = self.lab.switch("lan")
        plan = [("client", CLIENT_NO), *DIRECTORS.items()]
        plan += [(f"rs{i + 1}", 11 + i) for i in range(REALS)]
        links = {}
        for name, no in plan:
            h = self.hosts[name] = self.lab.host(name)
            links[name] = self.lab.connect(h, sw, f"{NET4}.{no}/24")
            # A veth sender leaves TCP checksums to offload; XDP forwards the segment as is.
            h.run(["ethtool", "-K", "eth0", "tx", "off"])
        for name in DIRECTORS:
            # A frame XDP sends out of a veth is lost unless the peer runs XDP (docs/dataplane.md).
            sw.ip("link", "set", "dev", links[name].b_if, "xdp", "obj",
                  str(xdp_pass_object(self.lab)), "sec", "xdp")
            self.hosts[name].run(["sysctl", "-qw", "net.ipv4.ip_forward=1"])
        batch = self.lab.tmpdir / "client-sources.ip"
        batch.write_text("".join(f"addr add {a}/24 dev eth0\n"
                                 for s in SOURCE_SETS.values() for a in s))
        self.client.ip("-batch", str(batch))
        self.lb = SeedPages(self.lab, sw, self.client, self.hosts["master"],
                            [self.hosts[f"rs{i + 1}"] for i in range(REALS)],
                            links["master"], [self.hosts[n] for n in DIRECTORS])
        self.lb.start_nginx()
        for real in self.reals:
            self.lb.accept_vip_redirect(real, VIP)

    @property
    def client(self) -> Host:
        return self.hosts["client"]

    @property
    def reals(self) -> list[Host]:
        return [self.hosts[f"rs{i + 1}"] for i in range(REALS)]

    def real_addr(self, i: int) -> str:
        return f"{NET4}.{11 + i}"

    # -- keeld ------------------------------------------------------------------
    def conf(self, name: str) -> Path:
        return self.lab.tmpdir / f"{name}.conf"

    def config_test(self, name: str) -> subprocess.CompletedProcess:
        """`keeld -t -f` on the director's rendered configuration (its interfaces visible)."""
        render(name, self.conf(name))
        return self.hosts[name].run([self.keeld_argv()[0], "-t", "-f", str(self.conf(name))],
                                    check=False)

    def start_keeld(self, name: str) -> Proc:
        """keeld on director `name` with its seed configuration; returns once XDP is on eth0."""
        render(name, self.conf(name))
        proc = self.keeld[name] = self.hosts[name].spawn(
            [*self.keeld_argv(), "-l", "-G", "-D", "--runtime-dir",
             str(self.lab.tmpdir / f"run-{name}"), "-f", str(self.conf(name))],
            stdout=self.lab.tmpdir / f"keeld-{name}.log")
        proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
        return proc

    def stop_keeld(self, name: str, sig: int = signal.SIGTERM) -> int:
        return self.keeld[name].stop(sig, timeout=10)

    def log_mark(self, name: str) -> int:
        """Where director `name`'s log ends now (for `wait_log(..., since=)`)."""
        return len(self.keeld[name].output())

    def wait_log(self, name: str, regex: str, timeout: float, since: int = 0,
                 progress=None) -> float:
        """Seconds until `regex` appears in director `name`'s log after offset `since`;
        TimeoutError after `timeout`. `progress(elapsed)` is called about once a second."""
        start = time.monotonic()
        pattern = re.compile(regex)
        last = 0
        while True:
            elapsed = time.monotonic() - start
            if pattern.search(self.keeld[name].output()[since:]):
                return elapsed
            if elapsed > timeout:
                raise TimeoutError(f"{regex!r} not in {name}'s keeld log after {timeout:.1f} s")
            if progress and int(elapsed) > last:
                last = int(elapsed)
                progress(elapsed)
            time.sleep(0.05)

    # -- looking at the directors ------------------------------------------------
    def holders(self) -> list[str]:
        """The directors with the VIP on eth0."""
        return [n for n in DIRECTORS if VIP in self.hosts[n].addresses("eth0")]

    def wait_holders(self, want: list[str], timeout: float) -> float:
        """Seconds until exactly `want` hold the VIP; TimeoutError after `timeout`."""
        start = time.monotonic()
        while self.holders() != want:
            if time.monotonic() - start > timeout:
                raise TimeoutError(f"VIP holders {self.holders()}, want {want} after "
                                   f"{timeout:.2f} s")
            time.sleep(0.02)
        return time.monotonic() - start

    def ip_addr(self, name: str) -> list[str]:
        """`ip addr show eth0` of a node, its inet lines (what the seed compares)."""
        out = self.hosts[name].ip("-4", "addr", "show", "dev", "eth0").stdout
        return [line.strip() for line in out.splitlines() if "inet " in line]

    def nat_rules(self, name: str) -> list[str]:
        """The nat PREROUTING rules of a node (the seed's REDIRECT, bypass_ipvs.sh's rule)."""
        out = self.hosts[name].run(["iptables", "-w", "5", "-t", "nat", "-S", "PREROUTING"]).stdout
        return [line for line in out.splitlines() if line.startswith("-A")]

    def keelctl_list(self, name: str) -> subprocess.CompletedProcess:
        """`keelctl -Ln` on director `name`: the one place the lab calls keelctl. keeld there
        runs with --runtime-dir run-NAME, and keelctl in the same namespace finds its socket under
        the same directory and namespace name."""
        return self.hosts[name].run([self.keelctl(), "--runtime-dir",
                                     str(self.lab.tmpdir / f"run-{name}"), "-Ln"], check=False)

    # -- the client --------------------------------------------------------------
    def fetch(self, count: int = 1, source: str | None = None,
              timeout: float = 3.0) -> list[dict]:
        """`count` fresh-connection GETs of http://VIP/index.html from the client."""
        assert self.lb is not None
        return self.lb.get(VIP, "/index.html", count=count, source=source, timeout=timeout)

    def fetch_from(self, sources: list[str], timeout: float = 3.0) -> dict[str, dict]:
        """One GET from each source address; {source: result}."""
        script = Path(__file__).with_name("httpget.py")
        out = {}
        # One process per source would take ~50 ms each; a shell loop keeps it to one netns exec.
        cmd = " ; ".join(
            f"{sys.executable} {script} {VIP} 80 /index.html --timeout {timeout} --source {s}"
            for s in sources)
        lines = self.client.run(["sh", "-c", cmd],
                                timeout=len(sources) * (timeout + 2) + 10).stdout.splitlines()
        for src, line in zip(sources, [ln for ln in lines if ln.strip()]):
            out[src] = json.loads(line)
        return out

    def start_fetch_loop(self, seconds: float, interval: float = 0.1,
                         timeout: float = 2.0) -> Proc:
        """Fresh-connection GETs from the client for `seconds` (see fetchloop.py)."""
        script = Path(__file__).with_name("fetchloop.py")
        return self.client.spawn([sys.executable, str(script), VIP, "80", "/index.html",
                                  "--for", str(seconds), "--interval", str(interval),
                                  "--timeout", str(timeout)])

    def start_keepalive(self, seconds: float, interval: float = 0.1,
                        timeout: float = 10.0) -> Proc:
        """One connection to the VIP kept open for `seconds`, a GET every `interval`."""
        script = Path(__file__).with_name("httpget.py")
        return self.client.spawn([sys.executable, str(script), VIP, "80", "/index.html",
                                  "--keepalive-for", str(seconds), "--interval", str(interval),
                                  "--timeout", str(timeout)])

    @staticmethod
    def results(proc: Proc, timeout: float = 30.0) -> list[dict]:
        """The JSON lines of a fetch loop or keepalive client, once it has finished."""
        deadline = time.monotonic() + timeout
        while proc.alive():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{proc} still running after {timeout} s")
            time.sleep(0.05)
        return [json.loads(line) for line in proc.output().splitlines()
                if line.startswith("{")]

    # -- the reals -----------------------------------------------------------
    def stop_nginx(self, i: int) -> None:
        assert self.lb is not None
        self.lb.nginx[self.reals[i].short_name].stop()

    def start_nginx(self, i: int) -> None:
        assert self.lb is not None
        real = self.reals[i]
        conf = self.lab.tmpdir / f"nginx-{real.short_name}" / "nginx.conf"
        self.lb.nginx[real.short_name] = real.spawn(["nginx", "-c", str(conf), "-g",
                                                     "daemon off;"])


def outage(results: list[dict]) -> tuple[int, float]:
    """(failed requests, longest time without a successful answer) of a fetch loop's results;
    the gap runs from the start of the last good request before a failure to the start of the
    next good one."""
    failed = sum(1 for r in results if not r["ok"])
    gap, last_ok = 0.0, None
    for r in results:
        if r["ok"]:
            if last_ok is not None:
                gap = max(gap, r["t"] - last_ok)
            last_ok = r["t"]
    return failed, gap
