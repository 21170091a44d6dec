#!/usr/bin/python3
"""The seed document's load-balancing pair, run by keel in network namespaces, as a report.

Builds the seed's system on one bridged segment: a client, two directors running keeld with
examples/seed/master.conf and backup.conf (and the seed's bypass_ipvs.sh notify script), and two
nginx real servers that accept the VIP with the seed's iptables REDIRECT rule. Then it walks
through the seed's tests (the VIP on the MASTER, the table, the page, the MASTER stopped and
back) and the two the seed left undone (balancing over two real servers with persistence, a real
server failing and returning), with timings against the protocol's and the checker's bounds.
Everything it creates is removed at the end, also on Ctrl-C.

Usage: scripts/demo_lab.py BUILD_DIR [--keep]    --keep leaves the lab running to explore
       scripts/demo_lab.py --down                removes a lab left by --keep
"""

from __future__ import annotations

import collections
import json
import re
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests/e2e"))
from keel_lab import Lab, require_root_netns  # noqa: E402
from keel_lab.lab import remove_detached  # noqa: E402
from keel_lab.seed_lab import (DIRECTORS, SOURCE_SETS, VIP, SeedLab, outage,  # noqa: E402
                               real_name)

STATE = Path("/run/keel-demo/lab.json")  # what --keep left running, for --down
SLACK = 2.0  # the same allowance the e2e test gives each bound


class Report:
    """Numbered steps with the time since the demo started; remembers failed checks."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.n = 0
        self.failed: list[str] = []
        self.timings: list[tuple[str, float, float]] = []
        self.tty = sys.stdout.isatty()

    def step(self, text: str) -> None:
        self.n += 1
        print(f"\n[{time.monotonic() - self.start:6.1f}s] {self.n}. {text}", flush=True)

    def say(self, text: str = "") -> None:
        for line in text.splitlines() or [""]:
            print(f"           {line}", flush=True)

    def check(self, ok: bool, text: str) -> bool:
        self.say(f"{'ok  ' if ok else 'FAIL'} {text}")
        if not ok:
            self.failed.append(f"step {self.n}: {text}")
        return ok

    def timing(self, what: str, took: float, bound: float) -> None:
        self.timings.append((what, took, bound))
        self.check(took <= bound + SLACK,
                   f"{what}: {took:.2f} s (the configuration's bound: {bound:.2f} s; timed "
                   "from outside, so start-up and polling add a little)")

    def progress(self, what: str, bound: float):
        """A callback for long waits: one line that counts the seconds."""
        def show(elapsed: float) -> None:
            if self.tty:
                print(f"\r           ... {what}: {elapsed:4.0f} s of at most {bound:.0f} s",
                      end="", flush=True)
            elif int(elapsed) % 5 == 0:
                self.say(f"... {what}: {elapsed:.0f} s of at most {bound:.0f} s")
        return show

    def end_progress(self) -> None:
        if self.tty:
            print("\r" + " " * 78 + "\r", end="", flush=True)


def served(results) -> collections.Counter:
    return collections.Counter(real_name(r) for r in results)


def show_counts(counts: collections.Counter) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items()))


# -- the walk-through --------------------------------------------------------------------------

def build(seed: SeedLab, report: Report) -> None:
    report.step("The seed's system on one segment (network namespaces, addresses 198.18.0.0/24)")
    seed.build()
    roles = {"client": "the client", "master": "director, keeld with examples/seed/master.conf",
             "backup": "director, keeld with examples/seed/backup.conf",
             "rs1": "real server, nginx", "rs2": "real server, nginx"}
    for name, host in seed.hosts.items():
        report.say(f"{name:<7} {host.addr('eth0'):<12} {roles[name]:<48} [{host.name}]")
    report.say(f"VIP {VIP} (VRRP instance VI_1); the client also uses "
               f"{sum(map(len, SOURCE_SETS.values()))} extra source addresses as more clients")
    report.say("Real servers: nginx serves /index.html, \"hello\" plus the server's name;")
    report.say("the VIP is accepted with the seed's rule (iptables -t nat -S PREROUTING on rs1):")
    for rule in seed.nat_rules("rs1"):
        report.say(f"  {rule}")


def start_directors(seed: SeedLab, report: Report) -> None:
    t = seed.timers
    report.step("keeld -t on both directors' configurations (keepalived's config test)")
    for name in DIRECTORS:
        result = seed.config_test(name)
        warnings = len(re.findall(r": warning: ", result.stderr))
        note = f" ({warnings} warnings: nb_get_retry is deprecated)" if warnings else ""
        report.check(result.returncode == 0, f"{name}.conf: exit {result.returncode}{note}")
    report.step("keeld started on both directors (every director starts as BACKUP)")
    seed.start_keeld("master")  # returns once it runs, its VRRP timer started
    started = time.monotonic()
    seed.start_keeld("backup")
    try:
        seed.wait_holders(["master"], t.master_down("master") + SLACK)
    except TimeoutError as err:
        report.check(False, str(err))
    report.timing("MASTER holds the VIP after", time.monotonic() - started,
                  t.master_down("master"))
    report.say("(bound: Master_Down_Interval = 3 x advert_int + (256 - 100)/256 s)")


def show_vip(seed: SeedLab, report: Report, expect: list[str]) -> None:
    for name in DIRECTORS:
        report.say(f"ip addr show eth0 on {name}:")
        for line in seed.ip_addr(name):
            report.say(f"  {line}")
    report.check(seed.holders() == expect,
                 f"the VIP is on {' and '.join(expect) or 'no director'} only")


def show_bypass(seed: SeedLab, report: Report, master: str, backup: str | None) -> None:
    def rule(name: str) -> bool:
        return any(f"-d {VIP}/32" in r for r in seed.nat_rules(name))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (rule(master) or (backup and not rule(backup))):
        time.sleep(0.1)
    report.check(not rule(master), f"bypass_ipvs.sh (notify_master): no REDIRECT on {master}")
    if backup:
        report.check(rule(backup), f"bypass_ipvs.sh (notify_backup): REDIRECT of the VIP on "
                                   f"{backup}")


def normal(seed: SeedLab, report: Report) -> str:
    report.step("The seed's normal test: the VIP on the MASTER only")
    show_vip(seed, report, ["master"])
    show_bypass(seed, report, "master", "backup")

    report.step("keelctl -Ln on the MASTER (the seed looked at ipvsadm -Ln)")
    result = seed.keelctl_list("master")
    for line in (result.stdout + result.stderr).splitlines():
        report.say(f"  {line}")
    report.say(f"(exit {result.returncode})")

    report.step(f"The client fetches http://{VIP}/index.html")
    deadline = time.monotonic() + 10
    while not all(r["ok"] for r in seed.fetch(3)) and time.monotonic() < deadline:
        time.sleep(0.2)
    first = seed.fetch(1)[0]
    report.check(first["ok"], f"HTTP {first['status']}: {first['body'].strip()!r}"
                 if first["ok"] else f"failed: {first['error']}")
    return real_name(first)


def balancing(seed: SeedLab, report: Report) -> str:
    report.step("Undone in the seed: load balancing over both real servers "
                "(lb_algo rr, persistence_timeout 50)")
    sources = SOURCE_SETS["spread"]
    first = seed.fetch_from(sources)
    counts = served(first.values())
    report.check(set(counts) == {"rs1", "rs2"} and all(r["ok"] for r in first.values()),
                 f"{len(sources)} clients (one new connection each): {show_counts(counts)}")
    again = seed.fetch_from(sources)
    same = sum(real_name(again[s]) == real_name(first[s]) for s in sources)
    report.check(same == len(sources),
                 f"the same {len(sources)} clients again: {same} reached the same real server "
                 "(persistence)")
    pinned = served(seed.fetch(20))
    report.check(len(pinned) == 1, f"one client, 20 new connections: {show_counts(pinned)}")
    report.say("(rr over many clients; persistence keeps each client on its real server for "
               "50 s after its last connection)")
    return next(iter(pinned))


def failover(seed: SeedLab, report: Report, pinned: str) -> None:
    t = seed.timers
    report.step("The seed's failure test: the MASTER's keeld stopped (SIGTERM), "
                "while the client keeps fetching")
    keepalive = seed.start_keepalive(seconds=6, interval=0.1)
    loop = seed.start_fetch_loop(seconds=5, interval=0.1)
    time.sleep(1)
    start = time.monotonic()
    code = seed.stop_keeld("master")
    try:
        seed.wait_holders(["backup"], t.skew("backup") + SLACK)
    except TimeoutError as err:
        report.check(False, str(err))
    report.timing("the BACKUP holds the VIP after", time.monotonic() - start, t.skew("backup"))
    report.say("(bound: a stopping MASTER sends priority 0, so the BACKUP waits only its skew, "
               "(256 - 50)/256 s)")
    report.say(f"master's keeld exited with {code}")
    show_vip(seed, report, ["backup"])
    show_bypass(seed, report, "backup", None)
    results = SeedLab.results(loop)
    failed, gap = outage(results)
    report.say(f"new connections during the failover: {failed} of {len(results)} "
               f"failed; the longest wait for an answer was {gap:.2f} s")
    answers = SeedLab.results(keepalive)
    bad = [a for a in answers if not a["ok"]]
    report.check(not bad and len(answers) >= 20,
                 f"one connection kept open across the failover: {len(answers)} answers, "
                 f"{len(bad)} failed (DR: the new MASTER picks the flow up mid-connection)")
    after = served(seed.fetch(10))
    report.check(set(after) == {pinned},
                 f"the pinned client still reaches {pinned}: {show_counts(after)}")

    report.step("The MASTER's keeld started again: it takes the VIP back (preemption)")
    loop = seed.start_fetch_loop(seconds=t.master_down("master") + 3, interval=0.1)
    seed.start_keeld("master")
    start = time.monotonic()
    try:
        seed.wait_holders(["master"], t.master_down("master") + SLACK)
    except TimeoutError as err:
        report.check(False, str(err))
    report.timing("the MASTER holds the VIP again after", time.monotonic() - start,
                  t.master_down("master"))
    report.say("(bound: it starts as BACKUP, ignores the lower priority's adverts and takes "
               "over after its Master_Down_Interval)")
    show_vip(seed, report, ["master"])
    show_bypass(seed, report, "master", "backup")
    results = SeedLab.results(loop)
    failed, gap = outage(results)
    report.say(f"new connections meanwhile: {failed} of {len(results)} failed; longest wait "
               f"{gap:.2f} s")


def real_failure(seed: SeedLab, report: Report) -> None:
    t = seed.timers
    rs1 = f"[{seed.real_addr(0)}]:tcp:80"
    report.step("Undone in the seed: nginx stopped on rs1 while traffic flows")
    report.say(f"HTTP_GET every delay_loop {t.delay_loop:.0f} s, connect_timeout "
               f"{t.connect_timeout:.0f} s, nb_get_retry {t.retry}, delay_before_retry "
               f"{t.delay_before_retry:.0f} s")
    mark = seed.log_mark("master")
    sources = SOURCE_SETS["spread"]
    seed.stop_nginx(0)
    stopped = time.monotonic()
    early = seed.fetch_from(sources, timeout=2)
    report.say(f"right after the stop, the {len(sources)} clients: "
               f"{sum(not r['ok'] for r in early.values())} refused (those on rs1), "
               f"{sum(r['ok'] for r in early.values())} served by rs2")
    try:
        seed.wait_log("master", re.escape(f"Removing service {rs1}"),
                      t.real_down() + SLACK - (time.monotonic() - stopped), since=mark,
                      progress=report.progress("waiting for the checker to give up on rs1",
                                               t.real_down()))
    except TimeoutError as err:
        report.check(False, str(err))
    report.end_progress()
    report.timing("rs1 removed from the table after", time.monotonic() - stopped, t.real_down())
    report.say("(bound: delay_loop + (retry + 1) x connect_timeout + retry x "
               "delay_before_retry)")
    line = next((ln for ln in seed.keeld["master"].output()[mark:].splitlines()
                 if "Removing service" in ln), "")
    report.say(f"keeld: {line.split(': ', 1)[-1]}")
    later = seed.fetch_from(sources)
    report.check(all(r["ok"] for r in later.values()),
                 f"the same {len(sources)} clients now: {show_counts(served(later.values()))}")
    fresh = seed.fetch_from(SOURCE_SETS["outage"])
    report.check(set(served(fresh.values())) == {"rs2"},
                 f"{len(fresh)} new clients: {show_counts(served(fresh.values()))}")

    report.step("nginx started again on rs1")
    seed.start_nginx(0)
    started = time.monotonic()
    try:
        seed.wait_log("master", re.escape(f"Adding service {rs1}"), t.real_up() + SLACK,
                      since=mark, progress=report.progress("waiting for the checker to see rs1",
                                                           t.real_up()))
    except TimeoutError as err:
        report.check(False, str(err))
    report.end_progress()
    report.timing("rs1 back in the table after", time.monotonic() - started, t.real_up())
    report.say("(bound: its next check, delay_loop, plus one connect_timeout)")
    back = seed.fetch_from(SOURCE_SETS["back"])
    counts = served(back.values())
    report.check(set(counts) == {"rs1", "rs2"},
                 f"{len(back)} new clients: {show_counts(counts)} (clients seen during the "
                 "outage stay on rs2 while their persistence lasts)")


# -- keeping and removing the lab --------------------------------------------------------------

def keep(lab: Lab, seed: SeedLab, report: Report) -> None:
    state = lab.detach()
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps(state))
    report.step("The lab stays up (--keep); remove it with: scripts/demo --down")
    getter = (f"curl -s http://{VIP}/index.html" if shutil.which("curl") else
              f"/usr/bin/python3 {REPO}/tests/e2e/keel_lab/httpget.py {VIP} 80 /index.html")
    report.say("Each node is a network namespace; run a command in one with ip netns exec:")
    report.say(f"  client:  ip netns exec {seed.client.name} {getter}")
    for name in DIRECTORS:
        report.say(f"  {name}:  ip netns exec {seed.hosts[name].name} ip addr show eth0")
        report.say(f"           keeld log: {seed.lab.tmpdir}/keeld-{name}.log")
    for i, real in enumerate(seed.reals):
        report.say(f"  rs{i + 1}:     ip netns exec {real.name} iptables -t nat -S PREROUTING")
    report.say(f"  keelctl: ip netns exec {seed.hosts['master'].name} "
               f"{seed.build_dir}/src/app/keelctl --runtime-dir {seed.lab.tmpdir}/run-master -Ln")
    report.say(f"  a shell: ip netns exec {seed.hosts['master'].name} bash")


def down() -> int:
    if not STATE.exists():
        print("demo: no kept lab (nothing to remove)")
        return 0
    state = json.loads(STATE.read_text())
    errors = remove_detached(state)
    for err in errors:
        print(f"demo: {err}", file=sys.stderr)
    if not errors:
        STATE.unlink()
        STATE.parent.rmdir()
        print(f"demo: lab {state['id']} removed ({len(state['netns'])} namespaces)")
    return 1 if errors else 0


def main(argv: list[str]) -> int:
    args = argv[1:]
    reason = require_root_netns()
    if reason:
        print(f"demo: cannot build the lab: {reason}", file=sys.stderr)
        return 1
    if args == ["--down"]:
        return down()
    if not args or args[0].startswith("-") or args[1:] not in ([], ["--keep"]):
        print(__doc__, file=sys.stderr)
        return 2
    build_dir = Path(args[0]).resolve()
    if STATE.exists():
        print("demo: removing the lab an earlier --keep left")
        down()
    report = Report()
    report.step(f"keel: {build_dir}/src/app/keeld and keelctl")
    for exe in ("keeld", "keelctl"):
        if not (build_dir / "src/app" / exe).exists():
            print(f"demo: {build_dir / 'src/app' / exe} is missing", file=sys.stderr)
            return 1
    kept = False
    with Lab() as lab:
        seed = SeedLab(lab, build_dir)
        build(seed, report)
        start_directors(seed, report)
        normal(seed, report)
        pinned = balancing(seed, report)
        failover(seed, report, pinned)
        real_failure(seed, report)
        if "--keep" in args:
            keep(lab, seed, report)
            kept = True
        else:
            report.step("keeld stopped on both directors; the lab removed")
            for name in ("backup", "master"):
                report.check(seed.stop_keeld(name) == 0, f"{name}'s keeld exited with 0")
            report.check(seed.holders() == [], "no director holds the VIP")
    if not kept:
        left = lab.leftovers()
        report.check(not left, "nothing left behind" if not left else f"LEFT BEHIND: {left}")
    print("\nTimings (the bound from the configuration; a check allows "
          f"{SLACK:.0f} s more for a loaded machine):")
    for what, took, bound in report.timings:
        print(f"  {what:<40} {took:6.2f} s   bound {bound:6.2f} s")
    if report.failed:
        print("\ndemo: FAILED:\n  " + "\n  ".join(report.failed))
        return 1
    print("\ndemo: the seed's tests, and the two it left undone, ran green"
          + (" (lab kept running)" if kept else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
