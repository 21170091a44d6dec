"""Labs for the IPVS data plane inside the VM (docs/vm-tests.md), built from the e2e lab library
(tests/e2e/keel_lab): the seed's topology on one switch (client .10, directors .2 and .3, nginx
reals .11 and .12, 198.18.0.0/24), directors running keeld with `keel_dataplane ipvs` or
Debian's keepalived on the kernel's IPVS, and the tools to read both (ipvsadm, keelctl).

No XDP here: the switch ports carry no XDP program and tx offload stays on, since the kernel
forwards (IPVS) and fills checksums itself.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from keel_lab.host import Host
from keel_lab.lab import Lab
from keel_lab.lb_lab import NET4
from keel_lab.proc import Proc
from keel_lab.seed_lab import SEED_DIR, SeedPages
from keel_lab.util import wait_until

KEEPALIVED = "/usr/sbin/keepalived"
FLOWS = Path(__file__).with_name("flows.py")
VIP = f"{NET4}.100"
DIRECTORS = {"master": 2, "backup": 3}
COUNTERS = re.compile(r"\d+")


def mask_counters(table: str) -> str:
    """ipvsadm/keelctl -Ln text with ActiveConn and InActConn (the last two columns of a real's
    line) replaced by 'N', for comparing tables "modulo counters"."""
    out = []
    for line in table.splitlines():
        if line.startswith("  -> ") and not line.startswith("  -> RemoteAddress"):
            parts = line.rstrip().rsplit(None, 2)
            line = f"{parts[0]} N N"
        out.append(line)
    return "\n".join(out) + "\n"


def mask_numbers(table: str) -> str:
    """Every number after the header replaced by 'N' (--stats and --rate tables)."""
    lines = table.splitlines()
    return "\n".join(lines[:3] + [re.sub(r"(?<=\s)\d+[KMGT]?(?=\s|$)", "N", ln)
                                  for ln in lines[3:]]) + "\n"


@dataclass
class Director:
    """keeld or keepalived on one director host."""

    host: Host
    impl: str  # "keel" or "keepalived"
    conf: Path
    build_dir: Path
    proc: Proc | None = None

    @property
    def run_dir(self) -> Path:
        return self.conf.parent / f"run-{self.host.short_name}"

    def argv(self) -> list[str]:
        if self.impl == "keel":
            return [str(self.build_dir / "src/app/keeld"), "-n", "-l", "-D", "--runtime-dir",
                    str(self.run_dir), "-f", str(self.conf)]
        pid = self.conf.parent / self.host.short_name
        return [KEEPALIVED, "-n", "-l", "-D", "-f", str(self.conf), "-p", f"{pid}.pid",
                "-r", f"{pid}-vrrp.pid", "-c", f"{pid}-check.pid"]

    def start(self, ready: str = r"\(VI_1\) Entering BACKUP STATE") -> Proc:
        self.proc = self.host.spawn(self.argv(), stdout=self.conf.parent /
                                    f"{self.impl}-{self.host.short_name}.log")
        self.proc.wait_for_output(ready, timeout=60)
        if self.impl == "keel":  # keelctl needs the control socket, which comes last
            self.proc.wait_for_output(r"Control socket", timeout=30)
        return self.proc

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        return self.proc.stop(sig, timeout=20)

    def ipvsadm(self, *args: str) -> str:
        return self.host.run(["ipvsadm", *args]).stdout

    def keelctl(self, *args: str) -> str:
        return self.host.run([str(self.build_dir / "src/app/keelctl"), "--runtime-dir",
                              str(self.run_dir), *args]).stdout

    def holds(self, addr: str) -> bool:
        return addr in self.host.addresses("eth0")


@dataclass
class IpvsLab:
    """The seed's hosts on one switch; directors are configured by the test."""

    lab: Lab
    build_dir: Path
    hosts: dict[str, Host] = field(default_factory=dict)
    pages: SeedPages | None = None
    sw: object = None

    def build(self, directors: tuple[str, ...] = ("master", "backup")) -> "IpvsLab":
        self.sw = self.lab.switch("lan")
        links = {}
        plan = [("client", 10), *[(d, DIRECTORS[d]) for d in directors],
                ("rs1", 11), ("rs2", 12)]
        for name, no in plan:
            h = self.hosts[name] = self.lab.host(name)
            links[name] = self.lab.connect(h, self.sw, f"{NET4}.{no}/24")
        for d in directors:
            self.hosts[d].run(["sysctl", "-qw", "net.ipv4.ip_forward=1",
                               "net.ipv4.conf.all.send_redirects=0",
                               "net.ipv4.conf.eth0.send_redirects=0"])
        first = self.hosts[directors[0]]
        self.pages = SeedPages(self.lab, self.sw, self.client, first, self.reals,
                               links[directors[0]], [self.hosts[d] for d in directors])
        self.pages.start_nginx()
        return self

    @property
    def client(self) -> Host:
        return self.hosts["client"]

    @property
    def reals(self) -> list[Host]:
        return [self.hosts["rs1"], self.hosts["rs2"]]

    def director(self, name: str, impl: str, conf_text: str) -> Director:
        conf = self.lab.tmpdir / f"{name}-{impl}.conf"
        conf.write_text(conf_text)
        return Director(self.hosts[name], impl, conf, self.build_dir)

    def add_client_sources(self, addrs: list[str]) -> None:
        batch = self.lab.tmpdir / "sources.ip"
        batch.write_text("".join(f"addr add {a}/24 dev eth0\n" for a in addrs))
        self.client.ip("-batch", str(batch))

    def fetch(self, vip: str, count: int, source: str | None = None) -> list[str]:
        """`count` fresh-connection GETs of /index.html; who answered each (or 'error ...')."""
        assert self.pages is not None
        return [r["body"].strip().rsplit(" ", 1)[-1] if r["ok"] else f"error {r['error']}"
                for r in self.pages.get(vip, "/index.html", count=count, source=source)]

    def start_flows(self, vip: str, sources: list[str], per_source: int, go: Path) -> Proc:
        return self.client.spawn([sys.executable, str(FLOWS), vip, "80", "/index.html",
                                  "--sources", ",".join(sources), "--per-source",
                                  str(per_source), "--go", str(go), "--timeout", "300"])


def flow_report(proc: Proc, phase: int, timeout: float) -> dict:
    """The JSON line a flows.py client printed for `phase`."""
    import json

    def line():
        for ln in proc.output().splitlines():
            if ln.startswith("{") and json.loads(ln).get("phase") == phase:
                return json.loads(ln)
        return None

    wait_until(lambda: line() is not None, timeout=timeout, what=f"flows phase {phase}")
    return line()


def seed_conf(name: str, impl: str, *, notify: bool = True, sync: bool = False,
              nat_vip: str | None = None, nat_gateway: str | None = None) -> str:
    """examples/seed/<name>.conf for `impl`: keeld gets `keel_dataplane ipvs`; with `sync`,
    lvs_sync_daemon on eth0 following VI_1; without `notify`, no bypass_ipvs.sh (its REDIRECT on
    a BACKUP would catch the flows a takeover inherits); `nat_vip` adds a NAT virtual server
    with rr over the same reals, and `nat_gateway` a VRRP address the reals route NAT replies
    through."""
    text = (SEED_DIR / f"{name}.conf").read_text()
    text = text.replace("/etc/keepalived/bypass_ipvs.sh", str(SEED_DIR / "bypass_ipvs.sh"))
    extra = []
    if impl == "keel":
        extra.append("keel_dataplane ipvs")
    if sync:
        extra.append("lvs_sync_daemon eth0 VI_1")
    text = text.replace("script_user root\n", "script_user root\n" + "".join(
        f"{e}\n" for e in extra), 1)
    if not notify:
        text = re.sub(r"^notify_\w+ .*$\n", "", text, flags=re.MULTILINE)
    vips = [v for v in (nat_vip, nat_gateway) if v]
    if vips:
        text = text.replace(f"{VIP}/24\n", f"{VIP}/24\n" + "".join(f"{v}/24\n" for v in vips))
    if nat_vip:
        text += NAT_SERVICE.format(vip=nat_vip)
    return text


NAT_SERVICE = """
virtual_server {vip} 80 {{
delay_loop 30
lb_algo rr
lb_kind NAT
protocol TCP
real_server 198.18.0.11 80 {{
TCP_CHECK {{
connect_timeout 3
}}
}}
real_server 198.18.0.12 80 {{
TCP_CHECK {{
connect_timeout 3
}}
}}
}}
"""


def wait_holder(directors: dict[str, Director], addr: str, want: str, timeout: float) -> float:
    """Seconds until only `want` holds `addr`."""
    start = time.monotonic()
    wait_until(lambda: [n for n, d in directors.items() if d.holds(addr)] == [want],
               timeout=timeout, interval=0.02, what=f"{addr} on {want} only")
    return time.monotonic() - start


def run(argv: list[str]) -> str:
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout
