"""Low-level network-namespace operations used by the lab and its cleanup.

Every function here is safe to call on something that is already gone, so
cleanup can be retried and can run from any state. Processes are found by
comparing /proc/<pid>/ns/net with the namespace file itself (what
`ip netns pids` does), and are killed through a pidfd after re-checking the
namespace, so a pid recycled by an unrelated process is never signalled.
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import signal
import subprocess

from .util import CommandError, pid_starttime, run_cmd, wait_until

NETNS_DIR = "/run/netns"


def netns_path(name: str) -> str:
    """Path of the bind-mounted namespace file `ip netns add` creates."""
    return os.path.join(NETNS_DIR, name)


def netns_exists(name: str) -> bool:
    """True while a namespace of that name is registered with `ip netns`."""
    return os.path.exists(netns_path(name))


def add_netns(name: str) -> None:
    """Create namespace `name` and bring its loopback up."""
    run_cmd(["ip", "netns", "add", name])
    run_cmd(["ip", "-n", name, "link", "set", "lo", "up"])


def delete_netns(name: str) -> None:
    """Delete namespace `name` if it exists (its interfaces die with it)."""
    if netns_exists(name):
        run_cmd(["ip", "netns", "del", name])


def _ns_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) naming the namespace behind `path`, None if unreadable."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, ProcessLookupError, PermissionError, NotADirectoryError):
        return None
    return st.st_dev, st.st_ino


def netns_pids(name: str) -> list[int]:
    """Pids of live processes whose network namespace is `name` ([] if it is gone)."""
    target = _ns_identity(netns_path(name))
    if target is None:
        return []
    return [int(entry) for entry in os.listdir("/proc")
            if entry.isdigit() and _ns_identity(f"/proc/{entry}/ns/net") == target]


def _kill_if_in(pid: int, target: tuple[int, int]) -> tuple[int, int] | None:
    """SIGKILL `pid` if it is (still) inside namespace `target`; return (pid, starttime)."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return None
    try:
        if _ns_identity(f"/proc/{pid}/ns/net") != target:
            return None
        starttime = pid_starttime(pid)
        signal.pidfd_send_signal(fd, signal.SIGKILL)
        return (pid, starttime) if starttime is not None else None
    except ProcessLookupError:
        return None
    finally:
        os.close(fd)


def kill_netns_pids(name: str, timeout: float = 5.0) -> list[tuple[int, int]]:
    """SIGKILL every process in namespace `name` and wait until none is left.

    Returns the (pid, starttime) of each process killed, so callers can later
    prove they are gone. Raises TimeoutError if some survive `timeout`.
    """
    target = _ns_identity(netns_path(name))
    killed: list[tuple[int, int]] = []
    if target is None:
        return killed

    def all_gone() -> bool:
        pids = netns_pids(name)
        killed.extend(filter(None, (_kill_if_in(pid, target) for pid in pids)))
        return not pids

    wait_until(all_gone, timeout, interval=0.02, what=f"processes in netns {name} to die")
    return killed


def root_links(prefix: str) -> list[str]:
    """Names of interfaces in the root (our own) namespace that start with `prefix`."""
    out = run_cmd(["ip", "-o", "link", "show"]).stdout
    names = (line.split(":", 2)[1].strip().split("@", 1)[0] for line in out.splitlines() if ":" in line)
    return [n for n in names if n.startswith(prefix)]


def delete_root_link(name: str) -> None:
    """Delete interface `name` from the root namespace."""
    run_cmd(["ip", "link", "del", name])


@functools.lru_cache(maxsize=1)
def require_root_netns() -> str | None:
    """None if this machine can run the lab, else a human-readable skip reason.

    Checks root, the `ip` tool, and actually creates a throwaway namespace
    with a bridge, a veth pair and an `ip netns exec`, then deletes it.
    The answer is cached for the life of the process.
    """
    if os.geteuid() != 0:
        return "keel e2e lab needs root (it creates network namespaces)"
    if shutil.which("ip") is None:
        return "iproute2 'ip' command not found"
    name = f"keel-probe-{secrets.token_hex(3)}"
    try:
        run_cmd(["ip", "netns", "add", name])
    except (CommandError, OSError, subprocess.TimeoutExpired) as err:
        return f"'ip netns add' is not usable here: {err}"
    try:
        run_cmd(["ip", "-n", name, "link", "add", "kprobebr", "type", "bridge"])
        run_cmd(["ip", "-n", name, "link", "add", "kprobe0", "type", "veth", "peer", "name", "kprobe1"])
        run_cmd(["ip", "netns", "exec", name, "true"])
    except (CommandError, OSError, subprocess.TimeoutExpired) as err:
        return f"no bridge/veth/netns-exec support: {err}"
    finally:
        delete_netns(name)
    return None
