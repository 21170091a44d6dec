"""`Lab`: builds a throw-away network of namespaces and guarantees its removal.

Everything a lab creates carries its run id: namespaces are
`keel-<id>-<name>`, interface names it invents are `k<id><n>`, the temp dir
is `/tmp/keel-<id>-*`. Veth pairs are created directly inside their target
namespaces, so nothing ever appears in the root namespace.

Cleanup (`close()`, also run by `with`, atexit and the signal handlers of
`signals`) proceeds in a fixed order, each step isolated so one failure
never stops the rest: stop tracked processes (signal, grace, SIGKILL), SIGKILL
anything else still inside each namespace, delete the namespaces, delete any
root-namespace interface with our prefix, remove the temp dir. Failures are
collected and raised together as CleanupError at the end.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Mapping, Sequence

from . import signals
from .host import Host, Link, Switch
from .netns import (NETNS_DIR, add_netns, delete_netns, delete_root_link, kill_netns_pids,
                    netns_exists, netns_pids, root_links)
from .proc import Proc
from .util import pid_alive

# keeld's runtime base as root (src/app/runtime_dir.h); under it a keeld in a named namespace
# keeps its files in a directory named after the namespace, which a SIGKILLed keeld leaves.
KEELD_RUNTIME_BASE = "/run/keel"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")


class CleanupError(RuntimeError):
    """One or more cleanup steps failed; `.errors` lists them all."""

    def __init__(self, errors: list[str]):
        super().__init__("lab cleanup had errors:\n  " + "\n  ".join(errors))
        self.errors = errors


def _fresh_id() -> str:
    """6 hex chars not used by any existing namespace or root interface."""
    existing = os.listdir(NETNS_DIR) if os.path.isdir(NETNS_DIR) else []
    for _ in range(20):
        run_id = secrets.token_hex(3)
        if not any(n.startswith(f"keel-{run_id}-") for n in existing) and not root_links(f"k{run_id}"):
            return run_id
    raise RuntimeError("could not find an unused lab id")


class Lab:
    """A set of namespaces, links and processes that is always cleaned up together."""

    def __init__(self, stop_grace: float = 3.0):
        self.id = _fresh_id()
        self.netns_prefix = f"keel-{self.id}-"
        self.link_prefix = f"k{self.id}"
        self.stop_grace = stop_grace
        self.tmpdir = Path(tempfile.mkdtemp(prefix=self.netns_prefix))
        self.cleanup_errors: list[str] = []
        self._hosts: dict[str, Host] = {}
        self._netns: list[str] = []
        self._procs: list[Proc] = []
        self._swept: list[tuple[int, int]] = []
        self._links = 0
        self._closed = False
        signals.register(self)

    def __repr__(self) -> str:
        return f"Lab(id={self.id!r}, hosts={list(self._hosts)})"

    def __enter__(self) -> "Lab":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        """Close; if the block already failed, report cleanup errors instead of masking it."""
        try:
            self.close()
        except CleanupError as err:
            if exc_type is None:
                raise
            print(f"keel_lab: {err}", file=sys.stderr)

    # -- building ---------------------------------------------------------

    def _add_node(self, name: str, cls: type[Host]) -> Host:
        """Create namespace keel-<id>-<name> and its handle (recorded before creation)."""
        if self._closed:
            raise RuntimeError("lab is closed")
        if not _NAME_RE.match(name) or name in self._hosts:
            raise ValueError(f"bad or duplicate node name {name!r} (want [a-z0-9-], unique)")
        netns = self.netns_prefix + name
        self._netns.append(netns)
        add_netns(netns)
        node = self._hosts[name] = cls(self, name, netns)
        return node

    def host(self, name: str) -> Host:
        """A new host: namespace `keel-<id>-<name>` with `lo` up."""
        return self._add_node(name, Host)

    def switch(self, name: str) -> Switch:
        """A new switch: a namespace holding bridge `br0` (up, no STP, so ports forward at once)."""
        node = self._add_node(name, Switch)
        node.ip("link", "add", node.bridge, "type", "bridge")
        node.ip("link", "set", node.bridge, "up")
        return node

    def _link_name(self) -> str:
        """Next unique interface name of this lab, k<id><n> (at most 15 chars)."""
        self._links += 1
        return f"{self.link_prefix}{self._links}"

    def _veth(self, a: Host, a_if: str, b: Host, b_if: str) -> Link:
        """Create a veth pair whose ends are born inside namespaces a and b."""
        a.ip("link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b.name)
        return Link(a, a_if, b, b_if)

    def connect(self, host: Host, switch: Switch, addr: str, ifname: str = "eth0") -> Link:
        """Plug `host` into `switch`: veth `ifname` (with `addr`, CIDR) <-> bridge port; both up."""
        link = self._veth(host, ifname, switch, self._link_name())
        switch.ip("link", "set", link.b_if, "master", switch.bridge, "up")
        host.ip("addr", "add", addr, "dev", ifname)
        host.ip("link", "set", ifname, "up")
        return link

    def veth(self, host_a: Host, host_b: Host, addr_a: str, addr_b: str,
             ifname_a: str | None = None, ifname_b: str | None = None) -> Link:
        """Point-to-point link between two hosts (default ifnames: the lab's next k<id><n>)."""
        ifname_a = ifname_a or self._link_name()
        ifname_b = ifname_b or self._link_name()
        link = self._veth(host_a, ifname_a, host_b, ifname_b)
        for host, ifname, addr in ((host_a, ifname_a, addr_a), (host_b, ifname_b, addr_b)):
            host.ip("addr", "add", addr, "dev", ifname)
            host.ip("link", "set", ifname, "up")
        return link

    def spawn_in(self, host: Host, argv: Sequence[str], stdout: str | os.PathLike | None,
                 env: Mapping[str, str] | None) -> Proc:
        """Start and track a background process in `host` (see Host.spawn)."""
        if self._closed:
            raise RuntimeError("lab is closed")
        log = Path(stdout) if stdout is not None else \
            self.tmpdir / f"{host.short_name}-{len(self._procs) + 1}-{Path(argv[0]).name}.log"
        proc = Proc(argv, host.name, log, env)
        self._procs.append(proc)
        return proc

    # -- inspection -------------------------------------------------------

    def proc_logs(self, tail: int = 40) -> str:
        """The last `tail` output lines of every tracked process, for failure reports."""
        parts = [f"--- {p!r} [{'running' if p.alive() else 'exited'}] ---\n{p.tail(tail)}"
                 for p in self._procs]
        return "\n".join(parts)

    def leftovers(self) -> list[str]:
        """What of this lab still exists: namespaces, root-ns links, live processes, temp dir."""
        found = [f"netns {ns}" for ns in self._netns if netns_exists(ns)]
        found += [f"pid {pid} in netns {ns}" for ns in self._netns for pid in netns_pids(ns)]
        found += [f"root-ns link {name}" for name in root_links(self.link_prefix)]
        found += [f"process {p!r}" for p in self._procs if pid_alive(p.pid, p.starttime)]
        found += [f"swept pid {pid}" for pid, start in self._swept if pid_alive(pid, start)]
        if self.tmpdir.exists():
            found.append(f"temp dir {self.tmpdir}")
        found += [f"runtime dir {KEELD_RUNTIME_BASE}/{ns}" for ns in self._netns
                  if (Path(KEELD_RUNTIME_BASE) / ns).exists()]
        return found

    # -- keeping a lab ----------------------------------------------------

    def detach(self) -> dict:
        """Leave everything running: no cleanup at close(), exit or signals from now on.

        Returns what a later `remove_detached()` needs to tear the lab down (namespaces,
        temp dir); the caller stores it. Processes keep running in their namespaces.
        """
        self._closed = True
        signals.unregister(self)
        return {"id": self.id, "netns": list(self._netns), "tmpdir": str(self.tmpdir)}

    # -- cleanup ----------------------------------------------------------

    def close(self) -> None:
        """Remove everything this lab created; idempotent; raises CleanupError at the end on errors."""
        if self._closed:
            return
        self._closed = True
        errors: list[str] = []
        with signals.deferred():
            self._stop_procs(errors)
            for ns in self._netns:
                self._step(errors, f"kill processes in {ns}", self._sweep, ns)
            for ns in self._netns:
                self._step(errors, f"delete netns {ns}", delete_netns, ns)
            self._step(errors, "delete root-ns links", self._delete_root_links)
            self._step(errors, f"remove {self.tmpdir}", shutil.rmtree, self.tmpdir)
            for ns in self._netns:  # keeld's runtime directory as root in a named namespace
                self._step(errors, f"remove {KEELD_RUNTIME_BASE}/{ns}", shutil.rmtree,
                           Path(KEELD_RUNTIME_BASE) / ns, True)
            signals.unregister(self)
        self.cleanup_errors = errors
        if errors:
            raise CleanupError(errors)

    @staticmethod
    def _step(errors: list[str], what: str, fn: Callable, *args) -> None:
        """Run one cleanup step; record its failure instead of raising."""
        try:
            fn(*args)
        except Exception as err:  # noqa: BLE001 - every failure is collected
            errors.append(f"{what}: {type(err).__name__}: {err}")

    def _stop_procs(self, errors: list[str]) -> None:
        """SIGTERM all tracked processes at once, give them one shared grace period, then SIGKILL."""
        live = [p for p in self._procs if p.returncode is None]
        for proc in live:
            self._step(errors, f"signal {proc!r}", proc.send_signal, signal.SIGTERM)
        deadline = time.monotonic() + self.stop_grace
        for proc in live:
            self._step(errors, f"stop {proc!r}", lambda p=proc: p.stop(
                signal.SIGTERM, max(0.0, deadline - time.monotonic())))

    def _sweep(self, netns: str) -> None:
        """SIGKILL whatever still runs in `netns` (daemons that left their group, `run` leftovers)."""
        self._swept.extend(kill_netns_pids(netns))

    def _delete_root_links(self) -> None:
        """Delete root-namespace interfaces carrying our prefix (none, unless something leaked)."""
        for name in root_links(self.link_prefix):
            delete_root_link(name)


def remove_detached(state: dict) -> list[str]:
    """Tear down a lab that `Lab.detach()` left running: kill its processes, delete its
    namespaces and temp dir. Returns what could not be removed ([] on success)."""
    errors: list[str] = []
    prefix = f"keel-{state['id']}-"
    for ns in state["netns"]:
        if not ns.startswith(prefix):  # only ever what that lab created
            errors.append(f"refusing to touch {ns!r}: not of lab {state['id']}")
            continue
        for what, fn in ((f"kill processes in {ns}", kill_netns_pids),
                         (f"delete netns {ns}", delete_netns)):
            try:
                fn(ns)
            except Exception as err:  # noqa: BLE001 - collect and continue
                errors.append(f"{what}: {type(err).__name__}: {err}")
    tmpdir = Path(state["tmpdir"])
    if tmpdir.name.startswith(prefix) and tmpdir.exists():
        shutil.rmtree(tmpdir, ignore_errors=True)
    for name in root_links(f"k{state['id']}"):
        delete_root_link(name)
    return errors
