"""VRRP under faults, between keelds on one bridge: link loss (FAULT and takeover),
nopreempt, split brain through a VRRP-dropping firewall and its healing, track_script
moving the VIP, unicast peers, VRRPv3 with 100 ms adverts, and malformed adverts that
must not disturb a running pair. Addresses are inside the lab's namespaces only
(198.18.0.0/15); the lab fixture removes namespaces and processes whatever happens.

Timing bounds come from the protocol (docs/reference/keepalived.md §2.3): a BACKUP of effective
priority P takes over Master_Down_Interval = 3 * advert_int + Skew_Time after the last
advert it accepted, Skew_Time = (256 - P) / 256 s for v2 and (256 - P) * advert_int / 256
for v3. SLACK covers scheduling on a loaded 2-core machine; STARTUP covers exec of keeld
and its first netlink dump before the protocol's clock starts.
"""

from __future__ import annotations

import json
import re
import signal
import time
from pathlib import Path

import pytest

from keel_lab.util import wait_until

VIP = "198.18.0.100"
ADDRS = {"d1": "198.18.0.1", "d2": "198.18.0.2", "evil": "198.18.0.3"}
SLACK = 1.5    # seconds on top of each protocol bound (v2, advert_int 1)
V3_SLACK = 1.0  # same for the 100 ms VRRPv3 test: the machine is noisy, 10 adverts' worth
STARTUP = 2.0  # keeld start-up before its protocol timers run
ADVERT_INT = 1


def mdi(priority: int, advert_int: float = ADVERT_INT, version: int = 2) -> float:
    """Master_Down_Interval of a BACKUP with this effective priority."""
    return 3 * advert_int + skew(priority, advert_int, version)


def skew(priority: int, advert_int: float = ADVERT_INT, version: int = 2) -> float:
    return (256 - priority) / 256 * (advert_int if version == 3 else 1)


def conf(name: str, *, state: str, priority: int, advert_int: str = "1", auth: bool = True,
         instance_extra: str = "", global_extra: str = "", top_extra: str = "") -> str:
    """keepalived.conf for one director: instance VI_1, VRID 51, the VIP on eth0."""
    authentication = """  authentication {
    auth_type PASS
    auth_pass k33p
  }
""" if auth else ""
    return f"""global_defs {{
  router_id {name}
{global_extra}}}
{top_extra}
vrrp_instance VI_1 {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int {advert_int}
{authentication}{instance_extra}  virtual_ipaddress {{
    {VIP}/24
  }}
}}
"""


@pytest.fixture
def keeld(keel_build_dir) -> Path:
    """keeld of the build under test."""
    return keel_build_dir / "src" / "app" / "keeld"


def has_vip(host) -> bool:
    return VIP in host.addresses("eth0")


def make_lab(lab, names=("d1", "d2")):
    """Hosts on one switch; returns ({name: Host}, {name: Link})."""
    switch = lab.switch("sw")
    hosts, links = {}, {}
    for name in names:
        hosts[name] = lab.host(name)
        links[name] = lab.connect(hosts[name], switch, f"{ADDRS[name]}/24")
    return hosts, links


def start(host, keeld, tmp_path, text: str):
    path = tmp_path / f"{host.short_name}.conf"
    path.write_text(text)
    return host.spawn([str(keeld), "-n", "-l", "-G", "-f", str(path)])


def mark(proc) -> int:
    """Current length of a process's output: later searches look only past it."""
    return len(proc.output())


def since(proc, pos: int) -> str:
    return proc.output()[pos:]


def wait_log(proc, regex: str, pos: int, timeout: float) -> float:
    """Wait until `regex` appears in `proc`'s output after `pos`; return the time it took."""
    pattern = re.compile(regex)
    t0 = time.monotonic()

    def seen():
        out = since(proc, pos)
        if pattern.search(out):
            return True
        assert proc.alive(), f"{proc} died waiting for {regex!r}:\n{proc.tail(20)}"
        return False

    wait_until(seen, timeout, interval=0.02, what=f"{regex!r} in {proc}")
    return time.monotonic() - t0


def wait_vip(host, want: bool, timeout: float, interval: float = 0.05) -> float:
    """Wait until `host` holds (want=True) or no longer holds the VIP; return the time it took."""
    t0 = time.monotonic()
    wait_until(lambda: has_vip(host) == want, timeout, interval=interval,
               what=f"{host.short_name} {'holds' if want else 'releases'} the VIP")
    return time.monotonic() - t0


def hold(duration: float, check, interval: float = 0.1) -> None:
    """Assert `check()` (which raises AssertionError on violation) throughout `duration` s."""
    deadline = time.monotonic() + duration
    while True:
        check()
        if time.monotonic() >= deadline:
            return
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def start_pair(lab, keeld, tmp_path, *, d1_extra="", d2_extra="", names=("d1", "d2"), **kw):
    """d1 MASTER 150, d2 BACKUP 100; returns hosts, links, procs once d1 holds the VIP."""
    hosts, links = make_lab(lab, names)
    procs = {
        "d1": start(hosts["d1"], keeld, tmp_path,
                    conf("d1", state="MASTER", priority=150, instance_extra=d1_extra, **kw)),
        "d2": start(hosts["d2"], keeld, tmp_path,
                    conf("d2", state="BACKUP", priority=100, instance_extra=d2_extra, **kw)),
    }
    # d1 (150) becomes MASTER after its start-up Master_Down_Interval.
    wait_vip(hosts["d1"], True, STARTUP + mdi(150) + SLACK)
    wait_log(procs["d1"], r"\(VI_1\) Entering MASTER STATE", 0, SLACK)
    wait_log(procs["d2"], r"\(VI_1\) Entering BACKUP STATE", 0, SLACK)
    assert not has_vip(hosts["d2"])
    return hosts, links, procs


def nft(host, *args: str) -> None:
    host.run(["nft", *args])


def drop_vrrp_input(host, extra_match=("ip", "protocol", "112")) -> None:
    """nftables in `host`'s namespace: drop incoming packets matching `extra_match`."""
    nft(host, "add", "table", "inet", "keel")
    nft(host, "add", "chain", "inet", "keel", "in", "{ type filter hook input priority 0 ; }")
    nft(host, "add", "rule", "inet", "keel", "in", *extra_match, "counter", "drop")


def drop_counter(host) -> int:
    out = host.run(["nft", "list", "table", "inet", "keel"]).stdout
    return sum(int(n) for n in re.findall(r"counter packets (\d+)", out))


# -- 1. link loss ----------------------------------------------------------------------


@pytest.mark.parametrize("how", ["carrier", "admin"])
def test_link_down_faults_master_backup_takes_over_and_master_returns(
        lab, keeld, tmp_path, how):
    hosts, links, procs = start_pair(lab, keeld, tmp_path)
    d1, d2 = hosts["d1"], hosts["d2"]
    p1, p2 = procs["d1"], procs["d2"]
    m1, m2 = mark(p1), mark(p2)

    cut = time.monotonic()
    if how == "carrier":
        links["d1"].down()  # switch end down: d1's eth0 loses carrier
    else:
        d1.ip("link", "set", "eth0", "down")
    # Interface loss is a netlink event: FAULT and VIP removal follow at once (no protocol timer).
    wait_log(p1, r"\(VI_1\) Entering FAULT STATE", m1, SLACK)
    wait_vip(d1, False, SLACK)
    # d2 heard its last advert at most just before the cut; it takes over when its down timer
    # (Master_Down_Interval of priority 100) expires.
    wait_vip(d2, True, mdi(100) + SLACK)
    assert time.monotonic() - cut <= mdi(100) + SLACK
    wait_log(p2, r"\(VI_1\) Entering MASTER STATE", m2, SLACK)
    assert "Entering MASTER STATE" not in since(p1, m1)
    assert not has_vip(d1)

    m1, m2 = mark(p1), mark(p2)
    back = time.monotonic()
    if how == "carrier":
        links["d1"].up()
    else:
        d1.ip("link", "set", "eth0", "up")
    # Fault cleared => BACKUP at once; d2's adverts (100 < 150) are discarded, so d1 preempts
    # when its own Master_Down_Interval (priority 150) expires.
    wait_log(p1, r"\(VI_1\) Entering BACKUP STATE", m1, SLACK)
    wait_vip(d1, True, mdi(150) + SLACK)
    assert time.monotonic() - back <= mdi(150) + SLACK
    wait_log(p1, r"\(VI_1\) Entering MASTER STATE", m1, SLACK)
    out = since(p1, m1)
    assert out.index("Entering BACKUP STATE") < out.index("Entering MASTER STATE"), out
    # d2 hears d1's higher-priority advert (sent first thing on entering MASTER) and yields.
    wait_vip(d2, False, ADVERT_INT + SLACK)
    wait_log(p2, r"\(VI_1\) Entering BACKUP STATE", m2, SLACK)
    assert p1.alive() and p2.alive()


# -- 2. nopreempt ----------------------------------------------------------------------


def test_nopreempt_higher_priority_backup_does_not_take_over(lab, keeld, tmp_path):
    hosts, _ = make_lab(lab)
    d1, d2 = hosts["d1"], hosts["d2"]
    low = start(d2, keeld, tmp_path, conf("d2", state="BACKUP", priority=100))
    wait_vip(d2, True, STARTUP + mdi(100) + SLACK)
    wait_log(low, r"\(VI_1\) Entering MASTER STATE", 0, SLACK)

    high = start(d1, keeld, tmp_path,
                 conf("d1", state="BACKUP", priority=150, instance_extra="  nopreempt\n"))
    wait_log(high, r"\(VI_1\) Entering BACKUP STATE", 0, STARTUP)
    # Without nopreempt d1 would discard d2's lower-priority adverts and take over after one
    # Master_Down_Interval (priority 150). With it, it accepts them and stays BACKUP: watch
    # for two full intervals.
    low_mark = mark(low)

    def unchanged():
        assert not has_vip(d1), "the nopreempt BACKUP took the VIP"
        assert has_vip(d2), "the running MASTER lost the VIP"
        assert "Entering MASTER STATE" not in high.output(), high.tail(20)
        assert high.alive() and low.alive()

    hold(2 * mdi(150) + SLACK, unchanged)
    assert "Entering" not in since(low, low_mark), since(low, low_mark)


# -- 3. split brain --------------------------------------------------------------------


def test_split_brain_both_master_then_heals_to_one(lab, keeld, tmp_path):
    hosts, _, procs = start_pair(lab, keeld, tmp_path)
    d1, d2 = hosts["d1"], hosts["d2"]
    p1, p2 = procs["d1"], procs["d2"]
    m1, m2 = mark(p1), mark(p2)

    cut = time.monotonic()
    drop_vrrp_input(d2)  # d2 no longer hears d1; d1 still hears d2 (lower priority, ignored)
    wait_vip(d2, True, mdi(100) + SLACK)
    assert time.monotonic() - cut <= mdi(100) + SLACK
    wait_log(p2, r"\(VI_1\) Entering MASTER STATE", m2, SLACK)

    def split():
        assert has_vip(d1) and has_vip(d2), "both should be MASTER while VRRP is cut"

    hold(2 * ADVERT_INT, split)
    assert "Entering" not in since(p1, m1), since(p1, m1)
    assert drop_counter(d2) > 0, "the firewall dropped nothing: the test cut nothing"

    m2 = mark(p2)
    healed = time.monotonic()
    nft(d2, "delete", "table", "inet", "keel")
    # d1 advertises every advert_int (and at once when it hears d2's lower-priority advert);
    # d2 takes the first one (150 > 100) and goes BACKUP: within two advert intervals.
    wait_vip(d2, False, 2 * ADVERT_INT + SLACK)
    assert time.monotonic() - healed <= 2 * ADVERT_INT + SLACK
    wait_log(p2, r"\(VI_1\) Entering BACKUP STATE", m2, SLACK)
    assert has_vip(d1) and not has_vip(d2)
    assert "Entering" not in since(p1, m1), since(p1, m1)

    def one_master():
        assert has_vip(d1) and not has_vip(d2)

    hold(2 * ADVERT_INT, one_master)


# -- 4. track_script ---------------------------------------------------------------------


def test_track_script_failure_moves_the_vip_and_recovery_brings_it_back(lab, keeld, tmp_path):
    flag = tmp_path / "healthy"
    flag.write_text("")
    # Weight -60: while the script fails d1's effective priority is 150 - 60 = 90 < 100.
    # No enable_script_security is needed: keeld runs the script as root (`keeld -t` on this
    # config reports "SECURITY VIOLATION - scripts are being executed but script_security not
    # enabled." and exits 6, but the daemon starts and runs the script, like keepalived).
    script = f"""vrrp_script chk {{
  script "/bin/sh -c 'test -e {flag}'"
  interval 1
  timeout 1
  fall 1
  rise 1
  weight -60
}}
"""
    hosts, links, procs = start_pair(lab, keeld, tmp_path, top_extra=script,
                                     d1_extra="  track_script {\n    chk\n  }\n")
    d1, d2 = hosts["d1"], hosts["d2"]
    p1, p2 = procs["d1"], procs["d2"]
    m1, m2 = mark(p1), mark(p2)

    interval, timeout = 1, 1
    removed = time.monotonic()
    flag.unlink()
    # Bound: the next run starts within `interval`, fails within `timeout` (fall 1), and d1 then
    # advertises 90. d2 discards 90 < 100 and takes over when its down timer, restarted by the
    # last accepted advert (sent before the priority changed), expires: Master_Down_Interval(100).
    bound = interval + timeout + mdi(100)
    wait_vip(d2, True, bound + SLACK)
    assert time.monotonic() - removed <= bound + SLACK
    wait_log(p1, r"VRRP_Script\(chk\) failed", m1, SLACK)
    wait_log(p1, r"\(VI_1\) Changing effective priority to 90", m1, SLACK)
    wait_log(p2, r"\(VI_1\) Entering MASTER STATE", m2, SLACK)
    # d1 (90) hears d2's advert (100) and yields within one advert interval.
    wait_vip(d1, False, ADVERT_INT + SLACK)
    wait_log(p1, r"\(VI_1\) Entering BACKUP STATE", m1, SLACK)

    m1, m2 = mark(p1), mark(p2)
    restored = time.monotonic()
    flag.write_text("")
    # Back to 150: d1 discards d2's adverts (100) and preempts when its own down timer expires.
    bound = interval + timeout + mdi(150)
    wait_vip(d1, True, bound + SLACK)
    assert time.monotonic() - restored <= bound + SLACK
    wait_log(p1, r"VRRP_Script\(chk\) succeeded", m1, SLACK)
    wait_log(p1, r"\(VI_1\) Changing effective priority to 150", m1, SLACK)
    wait_log(p1, r"\(VI_1\) Entering MASTER STATE", m1, SLACK)
    wait_vip(d2, False, ADVERT_INT + SLACK)
    wait_log(p2, r"\(VI_1\) Entering BACKUP STATE", m2, SLACK)


# -- 5. unicast ------------------------------------------------------------------------------


def test_unicast_election_and_failover(lab, keeld, tmp_path):
    def unicast(me, peer):
        return f"  unicast_src_ip {ADDRS[me]}\n  unicast_peer {{\n    {ADDRS[peer]}\n  }}\n"

    hosts, links = make_lab(lab)
    d1, d2 = hosts["d1"], hosts["d2"]
    # Both namespaces drop multicast VRRP: if keeld advertised to 224.0.0.18 instead of the
    # peer, d2 would never hear d1 and would become MASTER too.
    for h in (d1, d2):
        drop_vrrp_input(h, ("ip", "daddr", "224.0.0.0/4", "ip", "protocol", "112"))
    p1 = start(d1, keeld, tmp_path,
               conf("d1", state="MASTER", priority=150, instance_extra=unicast("d1", "d2")))
    p2 = start(d2, keeld, tmp_path,
               conf("d2", state="BACKUP", priority=100, instance_extra=unicast("d2", "d1")))
    wait_vip(d1, True, STARTUP + mdi(150) + SLACK)
    wait_log(p1, r"\(VI_1\) Entering MASTER STATE", 0, SLACK)
    wait_log(p2, r"\(VI_1\) Entering BACKUP STATE", 0, SLACK)

    def d1_master():
        assert has_vip(d1) and not has_vip(d2)
        assert "Entering MASTER STATE" not in p2.output(), p2.tail(20)

    # Beyond d2's Master_Down_Interval: it must be hearing d1's unicast adverts.
    hold(mdi(100) + SLACK, d1_master)

    m2 = mark(p2)
    p1.stop(signal.SIGKILL)
    killed = time.monotonic()
    wait_vip(d2, True, mdi(100) + SLACK)
    assert time.monotonic() - killed <= mdi(100) + SLACK
    wait_log(p2, r"\(VI_1\) Entering MASTER STATE", m2, SLACK)


# -- 6. VRRPv3, 100 ms adverts -----------------------------------------------------------


def test_vrrp_v3_fast_adverts_failover_within_bound(lab, keeld, tmp_path):
    adv = 0.1
    hosts, links = make_lab(lab)
    d1, d2 = hosts["d1"], hosts["d2"]
    # VRRPv3 carries no authentication (keepalived rejects PASS with version 3).
    common = dict(advert_int="0.1", auth=False, global_extra="  vrrp_version 3\n")
    p1 = start(d1, keeld, tmp_path, conf("d1", state="MASTER", priority=150, **common))
    p2 = start(d2, keeld, tmp_path, conf("d2", state="BACKUP", priority=100, **common))
    wait_vip(d1, True, STARTUP + mdi(150, adv, 3) + V3_SLACK, interval=0.01)
    wait_log(p1, r"\(VI_1\) Entering MASTER STATE", 0, V3_SLACK)
    wait_log(p2, r"\(VI_1\) Entering BACKUP STATE", 0, V3_SLACK)

    def d1_master():
        assert has_vip(d1) and not has_vip(d2)

    hold(10 * mdi(100, adv, 3), d1_master)  # many down intervals: d2 hears the 100 ms adverts

    m2 = mark(p2)
    p1.stop(signal.SIGKILL)
    killed = time.monotonic()
    bound = mdi(100, adv, 3)  # 3 * 0.1 + (256 - 100) * 0.1 / 256 = 0.361 s
    took = wait_vip(d2, True, bound + V3_SLACK, interval=0.01)
    assert time.monotonic() - killed <= bound + V3_SLACK, took
    wait_log(p2, r"\(VI_1\) Entering MASTER STATE", m2, V3_SLACK)


# -- 7. malformed adverts --------------------------------------------------------------------

# Runs inside the "evil" namespace: sends crafted VRRPv2 adverts (Ethernet multicast to
# 224.0.0.18). argv[1]: JSON list of packets; argv[2]: flood seconds. With 0, each packet is
# sent `count` times (default 5) and "sent" printed; else "flooding" is printed and the list is
# sent round after round until the flood time is over, then "sent".
SENDER = r"""
import json, struct, sys, time
from scapy.all import Ether, IP, Raw, conf, get_if_hwaddr

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def advert(p):
    ver, typ = p.get("version", 2), p.get("type", 1)
    hdr = struct.pack("!BBBBBBH", (ver << 4) | typ, p.get("vrid", 51), p["prio"], 1,
                      p.get("authtype", 1), p.get("adv", 1), 0)
    body = bytes(map(int, p.get("vip", "198.18.0.100").split(".")))
    body += p.get("password", "k33p").encode().ljust(8, b"\0")[:8]
    c = csum(hdr + body)
    if p.get("bad_checksum"):
        c ^= 0x5A5A
    msg = hdr[:6] + struct.pack("!H", c) + body
    if p.get("truncate"):
        msg = msg[:-p["truncate"]]
    return msg

packets, flood = json.loads(sys.argv[1]), float(sys.argv[2])
# Explicit source MAC: scapy finds no route to 224.0.0.18 here and would use 00:00:00:00:00:00,
# which the bridge drops as an invalid source.
mac = get_if_hwaddr("eth0")
frames = [(Ether(src=mac, dst="01:00:5e:00:00:12") /
           IP(src=p.get("src", "198.18.0.3"), dst="224.0.0.18", ttl=p.get("ttl", 255),
              tos=0xC0, proto=112) / Raw(advert(p)), p.get("count", 5)) for p in packets]
sock = conf.L2socket(iface="eth0")
if flood:
    print("flooding", flush=True)
    deadline = time.monotonic() + flood
    while time.monotonic() < deadline:
        for frame, _ in frames:
            sock.send(frame)
        time.sleep(0.05)
else:
    for frame, count in frames:
        for _ in range(count):
            sock.send(frame)
            time.sleep(0.02)
sock.close()
print("sent", flush=True)
"""

# One field wrong in each, the rest a valid advert for VI_1 (VRID 51, PASS k33p, 1 s).
MALFORMED = [
    {"ttl": 64},                          # multicast TTL must be 255
    {"version": 3},                       # v3 header at a v2 instance
    {"version": 1},
    {"type": 2},                          # not an advertisement
    {"bad_checksum": True},
    {"password": "wr0ng"},                # PASS auth failure
    {"authtype": 0},                      # auth type mismatch
    {"authtype": 7},                      # invalid auth type
    {"adv": 2},                           # v2 advert interval mismatch: dropped
    {"truncate": 4},                      # shorter than header + 1 address + auth
    {"vrid": 52},                         # another VRID: silently ignored
    {"src": "198.18.0.77", "password": "bogus"},  # bogus source, wrong password
]


def send_adverts(host, packets) -> None:
    out = host.run(["/usr/bin/python3", "-c", SENDER, json.dumps(packets), "0"], timeout=60)
    assert "sent" in out.stdout, out.stdout + out.stderr


def test_malformed_adverts_do_not_disturb_the_pair(lab, keeld, tmp_path):
    hosts, _, procs = start_pair(lab, keeld, tmp_path, names=("d1", "d2", "evil"))
    d1, d2, evil = hosts["d1"], hosts["d2"], hosts["evil"]
    p1, p2 = procs["d1"], procs["d2"]
    m1, m2 = mark(p1), mark(p2)

    # Each variant twice: priority 0 (a BACKUP accepting it would take over after Skew_Time,
    # unless d1's next advert came first) and priority 255 (a MASTER accepting it would step
    # down to BACKUP at once: deterministic).
    send_adverts(evil, [{**bad, "prio": prio} for bad in MALFORMED for prio in (0, 255)])

    def undisturbed():
        assert has_vip(d1), "the MASTER lost the VIP"
        assert not has_vip(d2), "the BACKUP took the VIP"
        assert p1.alive() and p2.alive()

    # Long enough for an accepted priority-0 advert (skew, 0.6 s) or any timer it reset
    # (Master_Down_Interval) to show.
    hold(mdi(100) + SLACK, undisturbed)
    assert "Entering" not in since(p1, m1), since(p1, m1)
    assert "Entering" not in since(p2, m2), since(p2, m2)
    # The packets did reach keeld and were dropped (the log is rate limited: at least one line).
    assert re.search(r"\(VI_1\) advert from 198\.18\.0\.(3|77) dropped", since(p2, m2)), \
        since(p2, m2)

    # Control: the same builder with nothing wrong is a valid advert. Priority 255 from evil
    # makes the MASTER step down at once, so the rejections above were the checks at work.
    m1 = mark(p1)
    send_adverts(evil, [{"prio": 255, "count": 1}])
    wait_log(p1, r"\(VI_1\) Entering BACKUP STATE", m1, SLACK)
    # With evil silent again, d1 (150) wins back after its Master_Down_Interval; d2 accepted
    # the 255 advert too (timer restarted) and stays BACKUP.
    wait_vip(d1, True, mdi(150) + SLACK)
    wait_log(p1, r"\(VI_1\) Entering MASTER STATE", m1, SLACK)
    assert not has_vip(d2)

    # The BACKUP side, deterministically: cut d1's adverts to d2 and flood d2 with the
    # malformed priority-255 adverts. Were any accepted, it would restart d2's down timer and
    # d2 would never take over; rejected, d2 takes over within its Master_Down_Interval.
    flood = mdi(100) + 2 * SLACK
    flooder = evil.spawn(["/usr/bin/python3", "-c", SENDER,
                          json.dumps([{**bad, "prio": 255} for bad in MALFORMED]), str(flood)])
    wait_log(flooder, "flooding", 0, 30)
    m1, m2 = mark(p1), mark(p2)
    drop_vrrp_input(d2, ("ip", "saddr", ADDRS["d1"], "ip", "protocol", "112"))
    cut = time.monotonic()
    wait_vip(d2, True, mdi(100) + SLACK)
    assert time.monotonic() - cut <= mdi(100) + SLACK
    assert flooder.alive(), "the flood ended before d2 took over: the check proved nothing"
    # Both MASTER now (d2 cannot hear d1); the flood goes on and moves neither.
    hold(1.0, lambda: (assert_master(d1), assert_master(d2)))
    wait_until(lambda: not flooder.alive(), flood + SLACK, what="the flood to end")
    assert flooder.stop() == 0 and re.search(r"(?m)^sent$", flooder.output()), flooder.tail()
    assert "Entering BACKUP" not in since(p1, m1) + since(p2, m2)
    assert p1.alive() and p2.alive()


def assert_master(host) -> None:
    assert has_vip(host), f"{host.short_name} lost the VIP"
