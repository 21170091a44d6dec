"""The seed document's system end to end (issue 10): the seed's own tests and the two it left
undone, with keeld on two directors running examples/seed/master.conf and backup.conf, nginx
real servers accepting the VIP with the seed's iptables REDIRECT rule, in namespaces built by
keel_lab.seed_lab (the module scripts/demo uses too).

Bounds come from the configuration (keel_lab.seed_lab.SeedTimers), never from measurements:
- VRRP (RFC 3768 §6.1, advert_int 1, priorities 100 and 50): every director starts as BACKUP
  and takes over after Master_Down_Interval = 3 x advert_int + (256 - priority) / 256 s; a
  MASTER that stops sends a priority-0 advert, so the BACKUP takes over after its skew time.
- HTTP_GET (keepalived's scheduling): a real that fails is removed within delay_loop +
  (retry + 1) x connect_timeout + retry x delay_before_retry; one that answers again is re-added
  within delay_loop + connect_timeout.
- Spread: with persistence the ring hashes the client address only, so N fresh sources over two
  equal reals give a binomial count per real, mean N/2, bounded at 5 standard deviations
  (fails by chance with probability below 1e-6).
SLACK covers scheduling on a loaded machine (the ASan build included).
"""

from __future__ import annotations

import collections
import math
import re
import time

import pytest

from keel_lab.seed_lab import (DIRECTORS, SOURCE_SETS, VIP, SeedLab, outage, real_name)
from keel_lab.util import wait_until

SLACK = 2.0


def assert_keelctl_lists_the_seed_table(output: str, reals: list[str]) -> None:
    """`keelctl -Ln` has ipvsadm -Ln's layout for the seed's service: the service line
    `TCP  VIP:80 rr persistent 50` and one `  -> RIP:80  Route  1  N  N` line per real."""
    lines = output.splitlines()
    service = [ln for ln in lines if re.match(rf"^TCP\s+{re.escape(VIP)}:80\s+", ln)]
    assert len(service) == 1, output
    assert re.match(rf"^TCP  {re.escape(VIP)}:80 rr persistent 50\s*$", service[0]), output
    listed = [m.group(1) for ln in lines
              if (m := re.match(r"^  -> (\S+):80\s+Route\s+1\s+\d+\s+\d+\s*$", ln))]
    assert sorted(listed) == sorted(reals), output


def check_keelctl(seed: SeedLab, reals: list[str]) -> None:
    result = seed.keelctl_list("master")
    assert result.returncode == 0, result.stderr
    assert_keelctl_lists_the_seed_table(result.stdout, reals)


def binomial_bound(n: int) -> float:
    return 5 * math.sqrt(n * 0.5 * 0.5)


def bypass_rule(seed: SeedLab, name: str) -> bool:
    """Whether bypass_ipvs.sh's REDIRECT for the VIP is in director `name`'s nat table."""
    return any(f"-d {VIP}/32" in r and "REDIRECT" in r for r in seed.nat_rules(name))


def wait_bypass(seed: SeedLab, master: str, backup: str | None) -> None:
    """The notify scripts ran: no redirect on the MASTER, one on the BACKUP (if one runs)."""
    wait_until(lambda: not bypass_rule(seed, master) and (backup is None
                                                          or bypass_rule(seed, backup)),
               timeout=5, what=f"bypass_ipvs.sh: rule removed on {master}, added on {backup}")


@pytest.fixture
def seed(lab, keel_build_dir) -> SeedLab:
    seed = SeedLab(lab, keel_build_dir)
    seed.build()
    for name in DIRECTORS:
        result = seed.config_test(name)
        assert result.returncode == 0, result.stderr
    # start_keeld returns once XDP is attached, after VRRP entered BACKUP (init): the master's
    # down timer is already running, so the time measured from here is within the bound.
    seed.start_keeld("master")
    started = time.monotonic()
    seed.start_keeld("backup")
    t = seed.timers
    seed.wait_holders(["master"], timeout=t.master_down("master") + SLACK)
    assert time.monotonic() - started <= t.master_down("master") + SLACK
    return seed


def failover(seed: SeedLab, action, new_master: str, bound: float,
             clock_after_action: bool = False) -> tuple[float, list, list]:
    """Run `action` while a kept-open connection and a loop of fresh connections run; returns
    (seconds until `new_master` alone held the VIP, keep-alive answers, fetch-loop results).
    The clock starts before `action`, or after it with `clock_after_action` (a keeld start:
    its timers run from its start-up, which `start_keeld` waits for)."""
    keepalive = seed.start_keepalive(seconds=bound + 6, interval=0.1)
    loop = seed.start_fetch_loop(seconds=bound + 5, interval=0.1)
    wait_until(lambda: keepalive.output().count("\n") >= 5, timeout=5,
               what="answers on the kept-open connection before the failover")
    start = time.monotonic()
    action()
    if clock_after_action:
        start = time.monotonic()
    seed.wait_holders([new_master], timeout=bound + SLACK)
    took = time.monotonic() - start
    return took, SeedLab.results(keepalive), SeedLab.results(loop)


def assert_connection_survived(answers: list[dict], pinned: str) -> None:
    assert answers and all(a["ok"] for a in answers), [a for a in answers if not a["ok"]][:3]
    assert {real_name(a) for a in answers} == {pinned}
    # The client stops at its first error; at 0.1 s over more than 6 s, 20 answers mean the
    # connection went on well after the failover.
    assert len(answers) >= 20


def test_seed_vip_failover_and_balancing(seed: SeedLab, lab, capsys):
    t = seed.timers
    # The seed's "normal" test: the VIP on the MASTER only, the table, the page.
    assert seed.holders() == ["master"]
    assert any(VIP in line for line in seed.ip_addr("master"))
    assert not any(VIP in line for line in seed.ip_addr("backup"))
    wait_bypass(seed, "master", "backup")
    for real in ("rs1", "rs2"):
        assert seed.nat_rules(real) == [f"-A PREROUTING -d {VIP}/32 -p tcp -j REDIRECT"]
    check_keelctl(seed, [seed.real_addr(0), seed.real_addr(1)])
    wait_until(lambda: all(r["ok"] for r in seed.fetch(3)), timeout=10,
               what="the page through the VIP")

    # Persistence 50: one client, 20 new connections, one real (2^-19 by chance).
    pinned = {real_name(r) for r in seed.fetch(20)}
    assert len(pinned) == 1 and pinned <= {"rs1", "rs2"}, pinned
    pinned_real = pinned.pop()

    # The undone test: many clients spread over both reals, each pinned to its real.
    first = seed.fetch_from(SOURCE_SETS["spread"])
    counts = collections.Counter(real_name(r) for r in first.values())
    n = len(SOURCE_SETS["spread"])
    assert set(counts) == {"rs1", "rs2"}, counts
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n), counts
    again = seed.fetch_from(SOURCE_SETS["spread"])
    assert {s: real_name(r) for s, r in again.items()} == \
        {s: real_name(r) for s, r in first.items()}

    # The seed's failure test: MASTER's keeld stopped; the BACKUP takes over after its skew.
    bound = t.skew("backup")
    took, answers, loop = failover(seed, lambda: seed.stop_keeld("master"), "backup", bound)
    assert took <= bound + SLACK
    assert seed.keeld["master"].returncode == 0
    assert_connection_survived(answers, pinned_real)  # zero failures on an established flow
    failed, gap = outage(loop)
    with capsys.disabled():
        print(f"\n  stop: VIP on backup after {took:.2f} s (bound {bound:.2f}+{SLACK}); "
              f"fresh connections: {failed} of {len(loop)} failed, longest gap {gap:.2f} s; "
              f"kept-open connection: {len(answers)} answers, 0 failed")
    wait_bypass(seed, "backup", None)
    assert {real_name(r) for r in seed.fetch(10)} == {pinned_real}  # same ring, same real

    # MASTER back: it starts as BACKUP and preempts after its Master_Down_Interval.
    bound = t.master_down("master")
    took, answers, loop = failover(seed, lambda: seed.start_keeld("master"), "master", bound,
                                   clock_after_action=True)
    assert took <= bound + SLACK
    assert_connection_survived(answers, pinned_real)
    failed, gap = outage(loop)
    with capsys.disabled():
        print(f"  return: VIP on master after {took:.2f} s (bound {bound:.2f}+{SLACK}); "
              f"fresh connections: {failed} of {len(loop)} failed, longest gap {gap:.2f} s")
    wait_bypass(seed, "master", "backup")
    assert all(r["ok"] for r in seed.fetch(10))

    # Orderly stop of both, nothing left behind.
    for name in ("backup", "master"):
        assert seed.stop_keeld(name) == 0
    assert seed.holders() == []
    lab.close()
    assert lab.leftovers() == []


def test_seed_real_server_failure_and_return(seed: SeedLab, lab, capsys):
    """The other undone test: nginx stops on rs1 while traffic flows, and comes back."""
    t = seed.timers
    wait_until(lambda: all(r["ok"] for r in seed.fetch(3)), timeout=10,
               what="the page through the VIP")
    mark = {name: seed.log_mark(name) for name in DIRECTORS}
    rs1 = f"[{seed.real_addr(0)}]:tcp:80"
    vs = f"[{VIP}]:tcp:80"
    seed.stop_nginx(0)
    stopped = time.monotonic()
    seed.wait_log("master", re.escape(f"Removing service {rs1} from VS {vs}"),
                  timeout=t.real_down() + SLACK, since=mark["master"])
    took = time.monotonic() - stopped
    assert took <= t.real_down() + SLACK
    # The BACKUP checks too, so its table is ready when it takes over.
    seed.wait_log("backup", re.escape(f"Removing service {rs1} from VS {vs}"),
                  timeout=t.real_down() + SLACK - took, since=mark["backup"])
    check_keelctl(seed, [seed.real_addr(1)])
    during = seed.fetch_from(SOURCE_SETS["outage"])
    assert all(r["ok"] for r in during.values()), [r for r in during.values() if not r["ok"]]
    assert {real_name(r) for r in during.values()} == {"rs2"}
    assert {real_name(r) for r in seed.fetch(10)} == {"rs2"}

    seed.start_nginx(0)
    started = time.monotonic()
    back = seed.wait_log("master", re.escape(f"Adding service {rs1} to VS {vs}"),
                         timeout=t.real_up() + SLACK, since=mark["master"])
    assert time.monotonic() - started <= t.real_up() + SLACK
    with capsys.disabled():
        print(f"\n  rs1 removed {took:.1f} s after nginx stopped (bound {t.real_down():.0f}+"
              f"{SLACK}), re-added {back:.1f} s after it started (bound {t.real_up():.0f}+{SLACK})")
    check_keelctl(seed, [seed.real_addr(0), seed.real_addr(1)])
    # New clients reach rs1 again (the outage set stays on rs2: its templates say so).
    after = seed.fetch_from(SOURCE_SETS["back"])
    assert all(r["ok"] for r in after.values())
    counts = collections.Counter(real_name(r) for r in after.values())
    n = len(SOURCE_SETS["back"])
    for name in ("rs1", "rs2"):
        assert abs(counts[name] - n / 2) <= binomial_bound(n), counts

    for name in DIRECTORS:
        assert seed.stop_keeld(name) == 0
    lab.close()
    assert lab.leftovers() == []


def test_the_seed_table_check_reads_ipvsadm_layout():
    """The keelctl assertion itself, on the seed's ipvsadm output (with the lab's addresses)."""
    ipvsadm = f"""IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  {VIP}:80 rr persistent 50
  -> 198.18.0.11:80               Route   1      0          0
  -> 198.18.0.12:80               Route   1      0          0
"""
    assert_keelctl_lists_the_seed_table(ipvsadm, ["198.18.0.11", "198.18.0.12"])
    with pytest.raises(AssertionError):
        assert_keelctl_lists_the_seed_table(ipvsadm.replace("persistent 50", ""),
                                            ["198.18.0.11", "198.18.0.12"])
    with pytest.raises(AssertionError):
        assert_keelctl_lists_the_seed_table(ipvsadm, ["198.18.0.11"])


def test_bounds_follow_the_seed_configuration(lab, keel_build_dir):
    """The bounds above are the seed's numbers: priorities 100/50, advert_int 1, delay_loop 30,
    connect_timeout 3, nb_get_retry 3, delay_before_retry 2, persistence_timeout 50."""
    t = SeedLab(lab, keel_build_dir).timers
    assert (t.priority, t.advert_int) == ({"master": 100, "backup": 50}, 1.0)
    assert t.master_down("master") == 3 + 156 / 256 and t.skew("backup") == 206 / 256
    assert t.real_down() == 30 + 4 * 3 + 3 * 2 and t.real_up() == 30 + 3
    assert t.persistence_timeout == 50
