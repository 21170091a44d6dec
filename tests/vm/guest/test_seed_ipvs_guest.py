"""The seed's system on the kernel's IPVS (run inside the VM by tests/vm/test_seed_ipvs.py): two
directors with examples/seed/master.conf and backup.conf, nginx reals accepting the VIP with the
seed's REDIRECT rule; then the connection sync daemon keeping 200 established flows (100 DR,
100 NAT) across a SIGKILL of the MASTER, run with keeld and with Debian's keepalived 2.2.7 as
the reference: same verdicts, takeover times within the protocol's spread, same table.

Bounds come from the seed's configuration, never from measurements (see
tests/e2e/test_seed_lab.py): VRRP advert_int 1, priorities 100 and 50, so the BACKUP takes over
Master_Down_Interval = 3 x 1 + (256 - 50) / 256 s after the last advert it heard; a MASTER that
stops in order sends priority 0 and the BACKUP takes over after its skew, 206/256 s. SLACK is
scheduling under TCG emulation on a loaded host.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from ipvs_lab import (VIP, Director, IpvsLab, flow_report, mask_counters, seed_conf,
                      wait_holder)
from keel_lab.util import wait_until

SLACK = 8.0  # scheduling under TCG emulation on a host loaded by other builds
ADVERT_INT = 1.0
MASTER_DOWN_BACKUP = 3 * ADVERT_INT + (256 - 50) / 256
SKEW_BACKUP = (256 - 50) / 256
NAT_VIP = "198.18.0.101"
GATEWAY = "198.18.0.254"  # a VRRP address: the reals route NAT replies through the MASTER
NAT_SOURCE = "198.18.0.20"
DR_SOURCES = [f"198.18.0.{n}" for n in range(30, 40)]
SPREAD_SOURCES = [f"198.18.0.{n}" for n in range(40, 60)]
FLOWS_PER_KIND = 100
SYNC_BOUND = 20.0  # the master sync thread sends at least once a second; emulation is slow
RESULTS: dict[str, dict] = {}


def start_pair(ipvs: IpvsLab, impl: str, **conf) -> dict[str, Director]:
    dirs = {n: ipvs.director(n, impl, seed_conf(n, impl, **conf)) for n in ("master", "backup")}
    dirs["master"].start()
    started = time.monotonic()
    dirs["backup"].start()
    wait_holder(dirs, VIP, "master", timeout=MASTER_DOWN_BACKUP + SLACK)
    assert time.monotonic() - started <= 3 * ADVERT_INT + (256 - 100) / 256 + SLACK
    return dirs


def fetch_many(ipvs: IpvsLab, vip: str, sources: list[str], per_source: int) -> dict[str, str]:
    """One connection per (source, n), all opened before any closes; {conn: real}."""
    go = ipvs.lab.tmpdir / f"go-now-{time.monotonic_ns()}"
    go.write_text("")
    report = flow_report(ipvs.start_flows(vip, sources, per_source, go), 1, timeout=120)
    assert report["errors"] == [], report["errors"]
    return report["reals"]


def test_seed_on_ipvs(lab, keel_build_dir):
    ipvs = IpvsLab(lab, keel_build_dir).build()
    for real in ipvs.reals:
        ipvs.pages.accept_vip_redirect(real, VIP)
    ipvs.add_client_sources(SPREAD_SOURCES)
    dirs = start_pair(ipvs, "keel")
    master = dirs["master"]
    # The seed's table, in ipvsadm's own words, and keelctl saying the same.
    table = master.ipvsadm("-Ln")
    assert f"TCP  {VIP}:80 rr persistent 50\n" in table
    assert re.findall(r"^  -> (\S+)\s+Route\s+1\s", table, re.MULTILINE) == \
        ["198.18.0.11:80", "198.18.0.12:80"]
    assert master.keelctl("-Ln") == table
    # Persistence 50: ten connections of one client on one real (by chance: 2^-9).
    assert len(set(fetch_many(ipvs, VIP, ["198.18.0.10"], 10).values())) == 1
    # Twenty clients: rr over the reals for each new client's template, so 10 and 10 exactly.
    counts = Counter(fetch_many(ipvs, VIP, SPREAD_SOURCES, 1).values())
    assert counts == {"rs1": 10, "rs2": 10}, counts
    # The seed's failure test: the MASTER stops in order; the BACKUP takes over after its skew
    # and serves the page (bypass_ipvs.sh has removed its REDIRECT by then).
    stopped = time.monotonic()
    assert master.stop() == 0
    took = wait_holder(dirs, VIP, "backup", timeout=SKEW_BACKUP + SLACK)
    assert time.monotonic() - stopped <= SKEW_BACKUP + SLACK, took
    wait_until(lambda: all(r.startswith("rs") for r in ipvs.fetch(VIP, 2)), timeout=10,
               what="the page through the new MASTER")
    assert dirs["backup"].keelctl("-Ln") == dirs["backup"].ipvsadm("-Ln")
    # keeld stopped in order: its IPVS services went with it.
    assert VIP not in master.ipvsadm("-Ln")


def synced(director: Director) -> int:
    """Established connections in `director`'s table."""
    return director.ipvsadm("-Lnc").count("ESTABLISHED")


def sigkill_failover(lab, keel_build_dir, impl: str, sync: bool, per_kind: int) -> dict:
    """Two directors running `impl`, `per_kind` DR and `per_kind` NAT flows held open through
    the MASTER, the MASTER SIGKILLed with its link; the flows' fate after the takeover."""
    ipvs = IpvsLab(lab, keel_build_dir).build()
    for real in ipvs.reals:
        ipvs.pages.accept_vip_redirect(real, VIP)
        real.ip("route", "replace", f"{NAT_SOURCE}/32", "via", GATEWAY)
    ipvs.add_client_sources([NAT_SOURCE, *DR_SOURCES])
    dirs = start_pair(ipvs, impl, notify=False, sync=sync, nat_vip=NAT_VIP, nat_gateway=GATEWAY)
    master, backup = dirs["master"], dirs["backup"]
    if sync:
        wait_until(lambda: "master sync daemon (mcast=eth0, syncid=1" in
                   master.ipvsadm("-L", "--daemon") and "backup sync daemon (mcast=eth0, "
                   "syncid=1" in backup.ipvsadm("-L", "--daemon"), timeout=SLACK,
                   what="the sync daemons: master on the MASTER, backup on the BACKUP")
    go = lab.tmpdir / "go"
    dr = ipvs.start_flows(VIP, DR_SOURCES, max(1, per_kind // len(DR_SOURCES)), go)
    nat = ipvs.start_flows(NAT_VIP, [NAT_SOURCE], per_kind, go)
    for flows in (dr, nat):
        opened = flow_report(flows, 1, timeout=120)
        assert opened["open"] == per_kind, opened
    if sync:
        wait_until(lambda: synced(backup) >= 2 * per_kind, timeout=SYNC_BOUND,
                   what=f"{2 * per_kind} established connections synced to the BACKUP")
    on_backup = synced(backup)
    # The MASTER dies: its daemon is SIGKILLed and its link goes with it (a crash: nothing it
    # holds in its kernel may keep serving).
    killed = time.monotonic()
    master.stop(signal.SIGKILL)
    master.host.ip("link", "set", "dev", "eth0", "down")
    wait_until(lambda: backup.holds(VIP) and backup.holds(NAT_VIP) and backup.holds(GATEWAY),
               timeout=MASTER_DOWN_BACKUP + SLACK, interval=0.02, what="the BACKUP takes over")
    took = time.monotonic() - killed
    assert took <= MASTER_DOWN_BACKUP + SLACK
    # The last advert left at most one interval before the kill.
    assert took >= MASTER_DOWN_BACKUP - ADVERT_INT - 0.1, took
    go.write_text("")
    after = {kind: flow_report(flows, 2, timeout=120) for kind, flows in (("DR", dr),
                                                                          ("NAT", nat))}
    return {"takeover_seconds": round(took, 3), "synced_before": on_backup,
            "broken": {kind: len(r["broken"]) + len(r["moved"]) for kind, r in after.items()},
            "table": mask_counters(backup.ipvsadm("-Ln"))}


@pytest.mark.parametrize("impl", ["keel", "keepalived"])
def test_sync_daemon_keeps_flows_across_a_sigkill(lab, keel_build_dir, impl):
    RESULTS[impl] = result = sigkill_failover(lab, keel_build_dir, impl, True, FLOWS_PER_KIND)
    out = Path(os.environ.get("KEEL_VM_OUT", lab.tmpdir))
    (out / f"sync-{impl}.json").write_text(json.dumps(result))
    assert result["broken"] == {"DR": 0, "NAT": 0}, result


def test_without_the_sync_daemon_a_takeover_breaks_established_flows(lab, keel_build_dir):
    """The control: the same crash with no lvs_sync_daemon. The new MASTER has no entry for the
    flows, so IPVS does not forward their next segments (it schedules only on SYN) and they
    break: what the test above counts is the sync daemon's doing."""
    result = sigkill_failover(lab, keel_build_dir, "keel", False, 10)
    assert result["synced_before"] == 0
    assert result["broken"] == {"DR": 10, "NAT": 10}, result


def test_keel_and_keepalived_agree():
    """The same scenario with keepalived as the reference: same verdicts, takeover times within
    the protocol's spread (each lies in [Master_Down - advert_int, Master_Down] plus
    scheduling), the same table on the new MASTER."""
    if set(RESULTS) != {"keel", "keepalived"}:
        pytest.fail(f"both runs must have got this far, have {sorted(RESULTS)}")
    keel, ref = RESULTS["keel"], RESULTS["keepalived"]
    assert keel["broken"] == ref["broken"] == {"DR": 0, "NAT": 0}
    assert abs(keel["takeover_seconds"] - ref["takeover_seconds"]) <= ADVERT_INT + SLACK
    assert keel["table"] == ref["table"], f"keel:\n{keel['table']}\nkeepalived:\n{ref['table']}"
