"""VRRP between two keelds on one bridge (issue 5): election, failover on SIGKILL
within the protocol's bound, graceful stop, return of the MASTER, and no VIP left
behind. Addresses are inside the lab's namespaces only (198.18.0.0/15).

Timing bounds come from RFC 3768 §6.1 with keepalived's defaults: a BACKUP of
priority P takes over Master_Down_Interval = 3 * advert_int + (256 - P) / 256 s
after the last advert it heard. Slack covers scheduling on a loaded machine.
"""

from __future__ import annotations

import json
import signal
import time

from keel_lab.util import wait_until

VIP = "198.18.0.100"
SLACK = 1.5  # seconds on top of each protocol bound

CONF = """global_defs {{
  router_id {name}
}}
vrrp_instance VI_1 {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int 1
  authentication {{
    auth_type PASS
    auth_pass k33p
  }}
  virtual_ipaddress {{
    {vip}/24
  }}
}}
"""


def has_vip(host) -> bool:
    info = json.loads(host.ip("-j", "-4", "addr", "show", "dev", "eth0").stdout)
    return any(a["local"] == VIP for entry in info for a in entry.get("addr_info", []))


def start_pair(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    hosts = {}
    for name, addr in (("d1", "198.18.0.1/24"), ("d2", "198.18.0.2/24")):
        hosts[name] = lab.host(name)
        lab.connect(hosts[name], switch, addr)
    procs = {}
    for name, state, priority in (("d1", "MASTER", 150), ("d2", "BACKUP", 100)):
        conf = tmp_path / f"{name}.conf"
        conf.write_text(CONF.format(name=name, state=state, priority=priority, vip=VIP))
        procs[name] = hosts[name].spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l",
                                         "-G", "-f", str(conf)])
    return hosts, procs


def test_master_elected_then_backup_takes_over_within_the_bound(lab, keel_build_dir, tmp_path):
    hosts, procs = start_pair(lab, keel_build_dir, tmp_path)
    # d1 (150) waits Master_Down_Interval = 3 + 106/256 s before it may become MASTER.
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds the VIP")
    procs["d1"].wait_for_output(r"\(VI_1\) Entering MASTER STATE")
    procs["d2"].wait_for_output(r"\(VI_1\) Entering BACKUP STATE")
    assert not has_vip(hosts["d2"])
    time.sleep(1.5)  # two adverts: d2 stays BACKUP while d1 advertises
    assert not has_vip(hosts["d2"])

    procs["d1"].stop(signal.SIGKILL)
    killed = time.monotonic()
    bound = 3 * 1 + (256 - 100) / 256  # d2's Master_Down_Interval
    wait_until(lambda: has_vip(hosts["d2"]), timeout=bound + SLACK, what="d2 holds the VIP")
    took = time.monotonic() - killed
    assert took <= bound + SLACK
    procs["d2"].wait_for_output(r"\(VI_1\) Entering MASTER STATE")


def test_graceful_stop_hands_over_fast_and_leaves_no_vip(lab, keel_build_dir, tmp_path):
    hosts, procs = start_pair(lab, keel_build_dir, tmp_path)
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds the VIP")
    procs["d2"].wait_for_output(r"\(VI_1\) Entering BACKUP STATE")
    stopped = time.monotonic()
    assert procs["d1"].stop(signal.SIGTERM, timeout=10) == 0
    assert not has_vip(hosts["d1"]), "the VIP lingered after an orderly stop"
    # A priority-0 advert makes d2 take over after its skew time, (256-100)/256 s.
    wait_until(lambda: has_vip(hosts["d2"]), timeout=156 / 256 + SLACK, what="d2 takes over")
    assert time.monotonic() - stopped <= 156 / 256 + SLACK + 0.5
    assert procs["d2"].stop(signal.SIGTERM, timeout=10) == 0
    assert not has_vip(hosts["d2"])


def test_returning_master_preempts(lab, keel_build_dir, tmp_path):
    hosts, procs = start_pair(lab, keel_build_dir, tmp_path)
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds the VIP")
    procs["d1"].stop(signal.SIGTERM, timeout=10)
    wait_until(lambda: has_vip(hosts["d2"]), timeout=156 / 256 + SLACK, what="d2 takes over")
    conf = tmp_path / "d1.conf"
    back = hosts["d1"].spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                              "-f", str(conf)])
    # d1 starts BACKUP, hears d2's lower priority, ignores it, and takes over when its down
    # timer expires: Master_Down_Interval of priority 150.
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 takes the VIP back")
    wait_until(lambda: not has_vip(hosts["d2"]), timeout=1 + SLACK, what="d2 releases the VIP")
    back.wait_for_output(r"\(VI_1\) Entering MASTER STATE")
