"""Self-tests of the keel_lab harness, in-process: topology, isolation,
process control and cleanup. Interrupt/timeout behaviour, which needs a
separate process to interrupt, is in test_lab_interrupts.py.

Cleanup is always checked with tools independent of the lab's own
bookkeeping: `ip netns list`, `ip -o link` in the root namespace, /proc.
"""

from __future__ import annotations

import ipaddress
import json
import signal
import subprocess
import time

import pytest

from keel_lab import (CleanupError, Lab, ProcessExited, pid_alive, probe_cmd,
                      require_root_netns, wait_until)

LAB_NET = ipaddress.ip_network("198.18.0.0/24")
ADDRS = {"client": "198.18.0.10", "director": "198.18.0.2",
         "rs1": "198.18.0.21", "rs2": "198.18.0.22"}


@pytest.fixture
def netns_ok() -> None:
    """Skip tests that build their own Lab when namespaces are unavailable."""
    reason = require_root_netns()
    if reason:
        pytest.skip(reason)


def ip_json(*args: str) -> list[dict]:
    """`ip -j <args>` in the root namespace, parsed."""
    return json.loads(subprocess.run(["ip", "-j", *args], check=True, capture_output=True,
                                     text=True, timeout=10).stdout or "[]")


def netns_names() -> set[str]:
    """Names `ip netns list` shows."""
    out = subprocess.run(["ip", "netns", "list"], check=True, capture_output=True,
                         text=True, timeout=10).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def root_link_names() -> set[str]:
    """Interface names in the root namespace."""
    return {link["ifname"] for link in ip_json("link", "show")}


def footprint(lab: Lab, procs) -> dict:
    """What the lab should have created, recorded so it can be checked after close()."""
    return {"netns": set(lab._netns), "link_prefix": lab.link_prefix, "tmpdir": lab.tmpdir,
            "procs": [(p.pid, p.starttime) for p in procs]}


def assert_gone(fp: dict) -> None:
    """Nothing recorded in `fp` exists any more (checked without the lab's help)."""
    assert not fp["netns"] & netns_names()
    assert not [n for n in root_link_names() if n.startswith(fp["link_prefix"])]
    assert not [pid for pid, start in fp["procs"] if pid_alive(pid, start)]
    assert not fp["tmpdir"].exists()


# -- wait_until (no root needed) -----------------------------------------

def test_wait_until_returns_the_first_truthy_value():
    calls = []

    def third_time_lucky():
        calls.append(1)
        return "done" if len(calls) == 3 else None

    assert wait_until(third_time_lucky, 5, interval=0.01) == "done"
    assert len(calls) == 3


def test_wait_until_raises_timeout_after_the_deadline():
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"^timed out after 0\.3s waiting for the moon$"):
        wait_until(lambda: 0, 0.3, interval=0.05, what="the moon")
    assert 0.3 <= time.monotonic() - start < 1.0


def test_wait_until_propagates_predicate_errors():
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, 1)


# -- signal handlers (no root needed: a Lab without hosts) ------------------

def test_lab_installs_handlers_only_over_defaults_and_restores_them():
    def own_handler(_signum, _frame):
        pass

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, own_handler)
        lab = Lab()
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, None)
        assert signal.getsignal(signal.SIGHUP) is own_handler
        lab.close()
        assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
        assert signal.getsignal(signal.SIGHUP) is own_handler
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


# -- topology, reachability, isolation, cleanup ----------------------------

def link_names(node) -> set[str]:
    """Interface names inside a lab node's namespace."""
    return {link["ifname"] for link in json.loads(node.ip("-j", "link", "show").stdout)}


def assert_isolated(lab: Lab, hosts: dict, switch) -> None:
    """Lab hosts see only their own links and routes; the root ns has nothing of the lab."""
    root_addrs = [a["local"] for link in ip_json("-4", "addr", "show") for a in link["addr_info"]
                  if a.get("scope") == "global"]
    for name, host in hosts.items():
        assert link_names(host) == {"lo", "eth0"}, f"{name} sees {link_names(host)}"
        routes = {r["dst"] for r in json.loads(host.ip("-j", "route", "show").stdout)}
        assert routes == {str(LAB_NET)}, f"{name} has routes {routes}"
        for addr in root_addrs:  # no route out, so no packet is ever sent
            assert host.ip("route", "get", addr, check=False).returncode != 0
            assert not host.ping(addr, timeout=0.5)
    assert link_names(switch) == {"lo", "br0", *(f"{lab.link_prefix}{n}" for n in range(1, len(hosts) + 1))}
    assert not [n for n in root_link_names() if n.startswith(lab.link_prefix)]
    for link in ip_json("-4", "addr", "show"):
        assert not [a for a in link["addr_info"] if ipaddress.ip_address(a["local"]) in LAB_NET]
    for route in ip_json("-4", "route", "show"):
        dst = route["dst"]
        assert dst == "default" or not ipaddress.ip_network(dst).overlaps(LAB_NET), route


def test_topology_reachability_isolation_and_cleanup(netns_ok):
    lab = Lab()
    try:
        switch = lab.switch("sw")
        hosts = {name: lab.host(name) for name in ADDRS}
        for name, host in hosts.items():
            lab.connect(host, switch, f"{ADDRS[name]}/24")
            assert host.addr("eth0") == ADDRS[name]
        for src_name, src in hosts.items():
            for dst_name, dst_addr in ADDRS.items():
                if dst_name != src_name:
                    assert src.ping(dst_addr), f"{src_name} cannot ping {dst_name}"
        assert not hosts["client"].ping("198.18.0.99", timeout=0.5)  # ping can fail

        servers = [hosts[rs].spawn(probe_cmd("serve", ADDRS[rs], "8080", "--banner", f"hello {rs}"))
                   for rs in ("rs1", "rs2")]
        for server in servers:
            server.wait_for_output("^listening", timeout=10)
        for rs in ("rs1", "rs2"):
            reply = hosts["client"].run(probe_cmd("connect", ADDRS[rs], "8080")).stdout
            assert reply == f"hello {rs}\n"
        assert_isolated(lab, hosts, switch)

        fp = footprint(lab, servers)
        assert fp["netns"] == {f"keel-{lab.id}-{n}" for n in ("sw", *ADDRS)} <= netns_names()
        assert all(pid_alive(pid, start) for pid, start in fp["procs"])
        assert lab.leftovers()
    finally:
        lab.close()
    assert_gone(fp)
    assert lab.leftovers() == []
    lab.close()  # idempotent


def test_cleanup_after_exception_in_with_block(netns_ok):
    with pytest.raises(RuntimeError, match="boom"):
        with Lab() as lab:
            a, b = lab.host("a"), lab.host("b")
            link = lab.veth(a, b, "198.18.1.1/30", "198.18.1.2/30")
            assert a.ping("198.18.1.2")
            assert len(link.a_if) <= 15 and link.a_if.startswith(lab.link_prefix)
            sleeper = b.spawn(["sleep", "60"])
            fp = footprint(lab, [sleeper])
            raise RuntimeError("boom")
    assert_gone(fp)


def test_link_down_cuts_and_up_restores(lab):
    a, b, switch = lab.host("a"), lab.host("b"), lab.switch("sw")
    link = lab.connect(a, switch, "198.18.0.1/24")
    lab.connect(b, switch, "198.18.0.2/24")
    assert a.ping("198.18.0.2")
    link.down()
    assert "NO-CARRIER" in a.ip("link", "show", "eth0").stdout
    assert not a.ping("198.18.0.2", timeout=0.5)
    link.up()
    wait_until(lambda: a.ping("198.18.0.2", timeout=0.5), 10, what="ping after link up")


# -- processes -------------------------------------------------------------

def test_proc_output_exit_and_stop(lab):
    host = lab.host("a")
    talker = host.spawn(["sh", "-c", "echo hello $KEEL_WHO; exit 3"], env={"KEEL_WHO": "there"})
    assert talker.wait_for_output(r"hello (\w+)", timeout=5).group(1) == "there"
    start = time.monotonic()
    with pytest.raises(ProcessExited, match="exit code 3"):
        talker.wait_for_output("never printed", timeout=30)
    assert time.monotonic() - start < 5
    assert talker.stop() == 3 and not talker.alive()

    sleeper = host.spawn(["sleep", "60"])
    assert sleeper.alive()
    assert sleeper.stop() == -signal.SIGTERM
    stubborn = host.spawn(["sh", "-c", "trap '' TERM; echo ready; exec sleep 60"])
    stubborn.wait_for_output("ready", timeout=5)
    start = time.monotonic()
    assert stubborn.stop(timeout=0.5) == -signal.SIGKILL
    assert time.monotonic() - start < 3


def test_close_escalates_to_sigkill_and_sweeps_untracked_processes(netns_ok):
    lab = Lab(stop_grace=0.5)
    try:
        host = lab.host("a")
        stubborn = host.spawn(["sh", "-c", "trap '' TERM; echo ready; exec sleep 60"])
        stubborn.wait_for_output("ready", timeout=5)
        host.run(["sh", "-c", "setsid sleep 60 </dev/null >/dev/null 2>&1 &"])
        daemon = wait_until(lambda: [p for p in _netns_pids(host.name) if p != stubborn.pid], 5,
                            what="the daemonized sleep")
        assert len(daemon) == 1
        fp = footprint(lab, [stubborn])
        start = time.monotonic()
    finally:
        lab.close()
    assert time.monotonic() - start < 4
    assert_gone(fp)
    assert not pid_alive(daemon[0])


def _netns_pids(netns: str) -> list[int]:
    """`ip netns pids` (the tool, not the lab's own scan)."""
    out = subprocess.run(["ip", "netns", "pids", netns], check=True, capture_output=True,
                         text=True, timeout=10).stdout
    return [int(pid) for pid in out.split()]


def test_cleanup_errors_are_collected_and_do_not_stop_cleanup(netns_ok):
    lab = Lab()
    try:
        host = lab.host("a")
        stubborn = host.spawn(["sh", "-c", "trap '' TERM; echo ready; exec sleep 60"])
        stubborn.wait_for_output("ready", timeout=5)
        fp = footprint(lab, [stubborn])

        def broken_stop(*_args):
            raise OSError("simulated stop failure")

        stubborn.stop = broken_stop  # so only the later namespace sweep can kill it
    finally:
        with pytest.raises(CleanupError, match="simulated stop failure") as err:
            lab.close()
    assert len(err.value.errors) == 1
    assert_gone(fp)
    assert lab.leftovers() == []
