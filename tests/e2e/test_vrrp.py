"""VRRP between two keelds on one bridge (issue 5): election, failover on SIGKILL
within the protocol's bound, graceful stop, return of the MASTER, and no VIP left
behind. Addresses are inside the lab's namespaces only (198.18.0.0/15).

Timing bounds come from RFC 3768 §6.1 with keepalived's defaults: a BACKUP of
priority P takes over Master_Down_Interval = 3 * advert_int + (256 - P) / 256 s
after the last advert it heard. Slack covers scheduling on a loaded machine.
"""

from __future__ import annotations

import json
import os
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
    return VIP in host.addresses("eth0")


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


GROUP_CONF = """vrrp_sync_group VG {{
  group {{
    VI_1
    VI_2
  }}
}}
vrrp_instance VI_1 {{
  state {state}
  interface eth0
  virtual_router_id 51
  priority {priority}
  advert_int 1
  virtual_ipaddress {{
    198.18.0.100/24
  }}
}}
vrrp_instance VI_2 {{
  state {state}
  interface eth0
  virtual_router_id 52
  priority {priority}
  advert_int 1
  track_interface {{
    {tracked}
  }}
  virtual_ipaddress {{
    198.18.0.101/24
  }}
}}
"""


def addresses(host) -> set[str]:
    return host.addresses("eth0")


def test_sync_group_members_fail_over_together(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    d1, d2 = lab.host("d1"), lab.host("d2")
    lab.connect(d1, switch, "198.18.0.1/24")
    lab.connect(d2, switch, "198.18.0.2/24")
    for host in (d1, d2):  # a second interface that VI_2 tracks
        host.ip("link", "add", "eth1", "type", "veth", "peer", "name", "eth1p")
        host.ip("link", "set", "eth1p", "up")
        host.ip("link", "set", "eth1", "up")
    procs = {}
    for host, state, priority in ((d1, "MASTER", 150), (d2, "BACKUP", 100)):
        conf = tmp_path / f"{host.short_name}.conf"
        conf.write_text(GROUP_CONF.format(state=state, priority=priority, tracked="eth1"))
        procs[host.short_name] = host.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l",
                                             "-G", "-f", str(conf)])
    vips = {"198.18.0.100", "198.18.0.101"}
    wait_until(lambda: vips <= addresses(d1), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds both VIPs")
    assert not vips & addresses(d2)
    # Only VI_2 tracks eth1; the group takes VI_1 into FAULT with it.
    d1.ip("link", "set", "eth1", "down")
    procs["d1"].wait_for_output(r"\(VI_2\) Entering FAULT STATE")
    procs["d1"].wait_for_output(r"\(VI_1\) Entering FAULT STATE")
    # d1's FAULT sends priority 0 for both: d2 takes over after its skew time.
    wait_until(lambda: vips <= addresses(d2), timeout=156 / 256 + SLACK,
               what="d2 holds both VIPs")
    assert not vips & addresses(d1)


# Sent from a third host through a raw socket (the kernel adds the Ethernet header): a v2
# advert for VRID 51 with the right password but TTL 64, and one with TTL 255 but a wrong
# password; each 3 times.
BAD_ADVERTS = r"""
import socket, struct

def checksum(data):
    s = sum(data[i] << 8 | data[i + 1] for i in range(0, len(data), 2))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def advert(password):
    body = bytes([0x21, 51, 200, 1, 1, 1, 0, 0]) + bytes([198, 18, 0, 100]) + password
    return body[:6] + struct.pack("!H", checksum(body)) + body[8:]

def datagram(ttl, payload):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0xc0, 20 + len(payload), 0, 0, ttl, 112, 0,
                         socket.inet_aton("198.18.0.9"), socket.inet_aton("224.0.0.18"))
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload

s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("198.18.0.9"))
for ttl, password in ((64, b"k33p\0\0\0\0"), (255, b"wrong\0\0\0")):
    for _ in range(3):
        s.sendto(datagram(ttl, advert(password)), ("224.0.0.18", 0))
"""


def test_bad_adverts_are_dropped_counted_and_change_nothing(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    hosts = {}
    for name, addr in (("d1", "198.18.0.1/24"), ("d2", "198.18.0.2/24"), ("x", "198.18.0.9/24")):
        hosts[name] = lab.host(name)
        lab.connect(hosts[name], switch, addr)
    procs = {}
    for name, state, priority in (("d1", "MASTER", 150), ("d2", "BACKUP", 100)):
        conf = tmp_path / f"{name}.conf"
        conf.write_text(CONF.format(name=name, state=state, priority=priority, vip=VIP))
        procs[name] = hosts[name].spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                         "--runtime-dir", str(tmp_path), "--instance", name,
                                         "-f", str(conf)])
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds the VIP")
    hosts["x"].run(["/usr/bin/python3", "-c", BAD_ADVERTS], timeout=60)
    time.sleep(1)
    assert not has_vip(hosts["d2"]) and has_vip(hosts["d1"])
    procs["d2"].send_signal(signal.SIGUSR2)
    stats = tmp_path / "d2" / "keel.stats"
    wait_until(stats.exists, timeout=5, what="the statistics file")
    assert stats.stat().st_mode & 0o777 == 0o600
    text = stats.read_text()
    assert "State: BACKUP" in text
    assert "    ip_ttl_err: 3\n" in text
    assert "    auth_failure: 3\n" in text
    received = int(text.split("Received: ")[1].split()[0])
    assert received >= 1  # d1's adverts
    assert procs["d2"].alive() and procs["d1"].alive()


def test_notify_scripts_and_fifo_fire_once_per_transition(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    d1 = lab.host("d1")
    lab.connect(d1, switch, "198.18.0.1/24")
    log = tmp_path / "notify.log"
    fifo = tmp_path / "notify.fifo"
    os.mkfifo(fifo, 0o600)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # so keeld's writes find a reader
    conf = tmp_path / "d1.conf"
    conf.write_text(f"""global_defs {{
  notify_fifo {fifo}
}}
""" + CONF.format(name="d1", state="MASTER", priority=150, vip=VIP).replace(
        "  virtual_ipaddress {", f"""  notify_backup "/bin/sh -c 'echo backup >> {log}'"
  notify_master "/bin/sh -c 'echo master >> {log}'"
  notify "/bin/sh -c 'echo $* >> {log}' notify"
  virtual_ipaddress {{"""))
    proc = d1.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "-f", str(conf)])
    try:
        wait_until(lambda: has_vip(d1), timeout=3 + 106 / 256 + SLACK + 2, what="d1 is MASTER")
        wait_until(lambda: log.exists() and log.read_text().count("\n") >= 4, timeout=5,
                   what="four notify lines")
        time.sleep(0.5)  # nothing more may come
        lines = sorted(log.read_text().splitlines())
        assert lines == sorted(["backup", "INSTANCE VI_1 BACKUP 150", "master",
                                "INSTANCE VI_1 MASTER 150"])
        fifo_lines = os.read(reader, 4096).decode()
        assert fifo_lines == 'INSTANCE "VI_1" BACKUP 150\nINSTANCE "VI_1" MASTER 150\n'
        assert proc.stop(signal.SIGTERM, timeout=10) == 0
        assert os.read(reader, 4096).decode() == 'INSTANCE "VI_1" STOP 0\n'
    finally:
        os.close(reader)


def test_track_file_value_moves_the_vip(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    hosts = {}
    for name, addr in (("d1", "198.18.0.1/24"), ("d2", "198.18.0.2/24")):
        hosts[name] = lab.host(name)
        lab.connect(hosts[name], switch, addr)
    flag = tmp_path / "weight.flag"
    procs = {}
    for name, state, priority in (("d1", "MASTER", 150), ("d2", "BACKUP", 100)):
        conf = tmp_path / f"{name}.conf"
        text = CONF.format(name=name, state=state, priority=priority, vip=VIP)
        if name == "d1":  # 150 + value * -60: a 1 in the file puts d1 at 90, below d2's 100
            text = f"""track_file flag {{
  file {flag}
  weight -60
  init_file 0
}}
""" + text.replace("  virtual_ipaddress {", "  track_file {\n    flag\n  }\n  virtual_ipaddress {")
        conf.write_text(text)
        procs[name] = hosts[name].spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                         "-f", str(conf)])
    wait_until(lambda: has_vip(hosts["d1"]), timeout=3 + 106 / 256 + SLACK + 2,
               what="d1 holds the VIP")
    assert flag.read_text() == "0\n"  # init_file created it
    flag.write_text("1\n")
    # keel reads track files every second; d2 then ignores d1's lower-priority adverts and takes
    # over when its Master_Down_Interval (3 + 156/256 s) runs out.
    bound = 1 + 3 + 156 / 256
    wait_until(lambda: has_vip(hosts["d2"]), timeout=bound + SLACK, what="d2 takes over")
    wait_until(lambda: not has_vip(hosts["d1"]), timeout=1 + SLACK, what="d1 yields")
    procs["d1"].wait_for_output(r"VRRP_Track_File\(flag\) value 0 -> 1")


V6_CONF = """vrrp_instance VI_6 {{
  state {state}
  interface eth0
  virtual_router_id 61
  priority {priority}
  advert_int 0.5
  virtual_ipaddress {{
    2001:db8:18::100/64
  }}
}}
"""


def has_vip6(host) -> bool:
    return "2001:db8:18::100" in host.addresses("eth0", 6)


def link_local_ready(host) -> bool:
    info = json.loads(host.ip("-j", "-6", "addr", "show", "dev", "eth0", "scope", "link").stdout)
    return any(not a.get("tentative", False) for entry in info
               for a in entry.get("addr_info", []))


def test_ipv6_vrrpv3_election_and_failover(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    hosts = {}
    for name, addr in (("d1", "198.18.0.1/24"), ("d2", "198.18.0.2/24")):
        hosts[name] = lab.host(name)
        lab.connect(hosts[name], switch, addr)
    for host in hosts.values():  # adverts leave from the link-local address once DAD is done
        wait_until(lambda h=host: link_local_ready(h), timeout=10, what="a link-local address")
    procs = {}
    for name, state, priority in (("d1", "MASTER", 150), ("d2", "BACKUP", 100)):
        conf = tmp_path / f"{name}.conf"
        conf.write_text(V6_CONF.format(state=state, priority=priority))
        procs[name] = hosts[name].spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                         "-f", str(conf)])
    # v3: Master_Down_Interval = 3 * 0.5 + (256 - 150) * 0.5 / 256 s for d1 at start.
    wait_until(lambda: has_vip6(hosts["d1"]), timeout=1.5 + 106 * 0.5 / 256 + SLACK + 2,
               what="d1 holds the IPv6 VIP")
    time.sleep(1.0)  # two adverts: d2 stays BACKUP
    assert not has_vip6(hosts["d2"])
    procs["d1"].stop(signal.SIGKILL)
    bound = 1.5 + 156 * 0.5 / 256
    wait_until(lambda: has_vip6(hosts["d2"]), timeout=bound + SLACK, what="d2 takes the IPv6 VIP")
    procs["d2"].wait_for_output(r"\(VI_6\) Entering MASTER STATE")
