"""VRRP interoperability between keeld and Debian's keepalived 2.2.7 on one bridge.

Both daemons read the same keepalived.conf text; every scenario runs in both roles
(keeld MASTER + keepalived BACKUP, keepalived MASTER + keeld BACKUP):

  - VRRPv2 multicast with PASS authentication, advert_int 1: election, failover when
    the MASTER is SIGKILLed, hand-over on an orderly stop (priority-0 advert), and
    pre-emption by a higher priority that starts late (the MASTER hears the other side);
  - VRRPv3 multicast, advert_int 0.5: election and SIGKILL failover;
  - VRRPv3 unicast (unicast_src_ip + unicast_peer), advert_int 1: election and failover.

Each test also checks that neither side logged a receive error for the other's adverts,
and that no process of either daemon (keepalived forks a VRRP child) survives the lab.
Addresses stay inside the lab's namespaces (198.18.0.0/15).

Timing bounds (RFC 3768 §6.1 / RFC 5798 §6.1, keepalived's defaults): a BACKUP of
priority P takes over Master_Down_Interval = 3 * A + Skew_Time after the last advert it
heard, Skew_Time = (256 - P) / 256 * A (v2: A = 1 s), or Skew_Time after a priority-0
advert. SLACK covers scheduling on a loaded 2-core machine.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from keel_lab.netns import netns_pids
from keel_lab.util import pid_alive, pid_starttime, wait_until

KEEPALIVED = "/usr/sbin/keepalived"
VIP = "198.18.0.100"
ADDRS = {"d1": "198.18.0.1", "d2": "198.18.0.2"}
SLACK = 1.5  # seconds on top of each protocol bound
HIGH, LOW = 150, 100  # MASTER's and BACKUP's priority

# keepalived 2.2.7's messages for an advert it refuses (vrrp_check_packet) plus the one
# it logs when a peer's VRRPv3 unicast checksum is the pre-2.0 (non RFC) variant.
KEEPALIVED_RX_ERROR = re.compile(
    r"vrrp packet too|invalid TTL|wrong version|auth, expecting|invalid passwd|"
    r"advertisement interval mismatch|Invalid packet type|unexpected ip number count|"
    r"ip_tot_len mismatch|Invalid VRRPv\d checksum|checksum to old version|"
    r"icast packet but received|VIPs but received|not present in MASTER advert|"
    r"not a unicast peer|not in range")
KEELD_RX_ERROR = re.compile(r"advert from \S+ dropped: .*")

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
{extra}  virtual_ipaddress {{
    {vip}/24
  }}
}}
"""
PASS_AUTH = """  authentication {
    auth_type PASS
    auth_pass k33p
  }
"""


@dataclass(frozen=True)
class Profile:
    version: int
    advert_int: float
    auth: bool = False
    unicast: bool = False

    def skew(self, priority: int) -> float:
        return (256 - priority) / 256 * self.advert_int

    def master_down(self, priority: int) -> float:
        return 3 * self.advert_int + self.skew(priority)


V2_PASS = Profile(version=2, advert_int=1, auth=True)
V3_MCAST = Profile(version=3, advert_int=0.5)
V3_UCAST = Profile(version=3, advert_int=1, unicast=True)

ROLES = pytest.mark.parametrize("master_impl", ["keel", "keepalived"],
                                ids=["keeld-master", "keepalived-master"])


@pytest.fixture
def keeld(keel_build_dir) -> Path:
    """keeld of the build under test; scripts/deps installs keepalived for these tests."""
    if not os.access(KEEPALIVED, os.X_OK):
        pytest.skip(f"{KEEPALIVED} not installed (scripts/deps installs it)")
    return keel_build_dir / "src" / "app" / "keeld"


class Node:
    """One VRRP daemon (keeld or keepalived) on host dN, eth0 = ADDRS[dN]."""

    def __init__(self, lab, host, impl: str, keeld: Path, tmp_path: Path,
                 profile: Profile, state: str, priority: int, peer: str):
        self.lab, self.host, self.impl = lab, host, impl
        self.name = host.short_name
        extra = PASS_AUTH if profile.auth else ""
        if profile.unicast:
            extra += (f"  unicast_src_ip {ADDRS[self.name]}\n"
                      f"  unicast_peer {{\n    {ADDRS[peer]}\n  }}\n")
        self.conf = tmp_path / f"{self.name}-{impl}.conf"
        self.conf.write_text(CONF.format(name=self.name, version=profile.version, state=state,
                                         priority=priority, advert_int=profile.advert_int,
                                         extra=extra, vip=VIP))
        if impl == "keel":
            self.argv = [str(keeld), "-n", "-l", "-G",
                         "-f", str(self.conf)]
        else:
            pid = tmp_path / self.name
            self.argv = [KEEPALIVED, "-n", "-l", "-D", "-G", "-P", "-f", str(self.conf),
                         "-p", f"{pid}.pid", "-r", f"{pid}-vrrp.pid", "-c", f"{pid}-check.pid"]
        self.proc = None

    def __repr__(self) -> str:
        return f"{self.impl}@{self.name}"

    def start(self) -> None:
        self.proc = self.host.spawn(self.argv)
        self.proc.wait_for_output(r"\(VI_1\) Entering BACKUP STATE \(init\)", timeout=15)

    def has_vip(self) -> bool:
        return VIP in self.host.addresses("eth0")

    def rx_errors(self) -> list[str]:
        pattern = KEELD_RX_ERROR if self.impl == "keel" else KEEPALIVED_RX_ERROR
        return [line for line in self.proc.output().splitlines() if pattern.search(line)]

    def log(self) -> str:
        return f"--- {self!r} ---\n{self.proc.tail(30)}"


def build_pair(lab, keeld, tmp_path, profile: Profile, master_impl: str):
    """d1 runs `master_impl` (state MASTER, priority HIGH), d2 the other one (BACKUP, LOW)."""
    switch = lab.switch("sw")
    hosts = {}
    for name, addr in ADDRS.items():
        hosts[name] = lab.host(name)
        lab.connect(hosts[name], switch, f"{addr}/24")
    backup_impl = "keepalived" if master_impl == "keel" else "keel"
    master = Node(lab, hosts["d1"], master_impl, keeld, tmp_path, profile,
                  "MASTER", HIGH, peer="d2")
    backup = Node(lab, hosts["d2"], backup_impl, keeld, tmp_path, profile,
                  "BACKUP", LOW, peer="d1")
    return master, backup


def elect(master: Node, backup: Node, profile: Profile) -> None:
    """Start both (the MASTER first), check the higher priority alone holds the VIP.

    The BACKUP's own down timer would fire master_down(LOW) after its start; we look
    well past that, so a BACKUP that ignored the MASTER's adverts would show the VIP.
    """
    master.start()
    backup.start()
    backup_started = time.monotonic()
    wait_until(master.has_vip, timeout=profile.master_down(HIGH) + SLACK,
               what=f"{master} holds the VIP")
    master.proc.wait_for_output(r"\(VI_1\) Entering MASTER STATE")
    deadline = backup_started + profile.master_down(LOW) + 2 * profile.advert_int
    while time.monotonic() < deadline:
        assert not backup.has_vip(), f"{backup} took the VIP while {master} advertised\n" \
            + master.log() + "\n" + backup.log()
        time.sleep(0.1)
    assert master.has_vip()
    assert "Entering MASTER STATE" not in backup.proc.output(), backup.log()
    check_no_rx_errors(master, backup)


def check_no_rx_errors(*nodes: Node) -> None:
    for node in nodes:
        assert node.rx_errors() == [], f"{node} refused adverts:\n" + node.log()


def sigkill_failover(master: Node, backup: Node, profile: Profile) -> None:
    """SIGKILL the MASTER (keepalived: parent and VRRP child, the whole group): the BACKUP
    takes over after master_down(LOW) counted from the last advert it heard."""
    before = time.monotonic()
    master.proc.stop(signal.SIGKILL)
    after = time.monotonic()
    bound = profile.master_down(LOW)
    wait_until(backup.has_vip, timeout=bound + SLACK, what=f"{backup} takes the VIP")
    seen = time.monotonic()
    assert seen - after <= bound + SLACK
    # The last advert left at most one interval before the kill: no earlier takeover.
    assert seen - before >= bound - profile.advert_int - 0.1, \
        f"{backup} took over after {seen - before:.3f}s, before its down timer"
    backup.proc.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=2)
    check_no_rx_errors(backup)


def close_and_check_nothing_survives(lab, nodes: list[Node]) -> None:
    """Close the lab and prove every process of both daemons (keepalived's children too) died."""
    seen = [(pid, pid_starttime(pid), node) for node in nodes for pid in netns_pids(node.host.name)]
    for node in nodes:
        if node.impl == "keepalived" and node.proc.alive():
            mine = [pid for pid, _, n in seen if n is node]
            assert len(mine) >= 2, f"expected keepalived's parent and VRRP child, saw {mine}"
    logs = lab.proc_logs()
    lab.close()
    survivors = [(pid, node) for pid, start, node in seen
                 if start is not None and pid_alive(pid, start)]
    assert survivors == [], f"survived the lab: {survivors}\n{logs}"
    assert lab.leftovers() == []


# -- VRRPv2, multicast, PASS authentication, advert_int 1 -----------------------------

@ROLES
def test_v2_pass_election_and_sigkill_failover(lab, keeld, tmp_path, master_impl):
    master, backup = build_pair(lab, keeld, tmp_path, V2_PASS, master_impl)
    elect(master, backup, V2_PASS)
    sigkill_failover(master, backup, V2_PASS)
    close_and_check_nothing_survives(lab, [master, backup])


@ROLES
def test_v2_pass_graceful_stop_hands_over_after_skew_time(lab, keeld, tmp_path,
                                                          master_impl):
    master, backup = build_pair(lab, keeld, tmp_path, V2_PASS, master_impl)
    elect(master, backup, V2_PASS)
    stopped = time.monotonic()
    assert master.proc.stop(signal.SIGTERM, timeout=10) == 0
    assert not master.has_vip(), f"the VIP lingered after an orderly stop\n{master.log()}"
    # The priority-0 advert leaves the BACKUP only its skew time, (256-100)/256 s; without
    # it the takeover would take master_down(LOW) = 3.61 s, beyond this bound.
    bound = V2_PASS.skew(LOW)
    wait_until(backup.has_vip, timeout=bound + SLACK, what=f"{backup} takes over")
    assert time.monotonic() - stopped <= bound + SLACK + 0.5
    if backup.impl == "keepalived":
        backup.proc.wait_for_output(r"\(VI_1\) Backup received priority 0 advertisement",
                                    timeout=1)
    backup.proc.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=2)
    check_no_rx_errors(backup)
    assert backup.proc.stop(signal.SIGTERM, timeout=10) == 0
    assert not backup.has_vip()
    close_and_check_nothing_survives(lab, [master, backup])


@ROLES
def test_v2_pass_late_higher_priority_preempts(lab, keeld, tmp_path, master_impl):
    """The lower priority becomes MASTER alone; the higher one starts, ignores its adverts,
    takes over at its own down timer, and the old MASTER steps down on hearing it."""
    master, backup = build_pair(lab, keeld, tmp_path, V2_PASS, master_impl)
    backup.start()
    wait_until(backup.has_vip, timeout=V2_PASS.master_down(LOW) + SLACK,
               what=f"{backup} holds the VIP alone")
    master.start()
    wait_until(master.has_vip, timeout=V2_PASS.master_down(HIGH) + SLACK,
               what=f"{master} pre-empts")
    wait_until(lambda: not backup.has_vip(), timeout=V2_PASS.advert_int + SLACK,
               what=f"{backup} releases the VIP")
    backup.proc.wait_for_output(r"(?m)\(VI_1\) Entering BACKUP STATE\s*$", timeout=2)
    check_no_rx_errors(master, backup)
    close_and_check_nothing_survives(lab, [master, backup])


# -- VRRPv3, multicast, advert_int 0.5 ------------------------------------------------

@ROLES
def test_v3_multicast_election_and_sigkill_failover(lab, keeld, tmp_path,
                                                    master_impl):
    master, backup = build_pair(lab, keeld, tmp_path, V3_MCAST, master_impl)
    elect(master, backup, V3_MCAST)
    sigkill_failover(master, backup, V3_MCAST)
    close_and_check_nothing_survives(lab, [master, backup])


# -- VRRPv3, unicast, advert_int 1 ----------------------------------------------------

@ROLES
def test_v3_unicast_election_and_sigkill_failover(lab, keeld, tmp_path,
                                                  master_impl):
    master, backup = build_pair(lab, keeld, tmp_path, V3_UCAST, master_impl)
    elect(master, backup, V3_UCAST)
    sigkill_failover(master, backup, V3_UCAST)
    close_and_check_nothing_survives(lab, [master, backup])
