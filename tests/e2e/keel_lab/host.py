"""Lab nodes and wires: `Host` (a network namespace), `Switch` (a namespace
holding a Linux bridge) and `Link` (a veth pair between two namespaces).

These objects are thin handles: they are created by `Lab`, which owns and
cleans up everything they stand for.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from os import PathLike
from typing import TYPE_CHECKING, Mapping, Sequence

from . import netprobe
from .util import DEFAULT_CMD_TIMEOUT, run_cmd

if TYPE_CHECKING:
    from .lab import Lab
    from .proc import Proc


class Host:
    """A network namespace `keel-<labid>-<short_name>` with `lo` up."""

    def __init__(self, lab: "Lab", short_name: str, netns: str):
        self.lab = lab
        self.short_name = short_name
        self.name = netns

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def run(self, argv: Sequence[str], check: bool = True, timeout: float = DEFAULT_CMD_TIMEOUT,
            capture: bool = True) -> subprocess.CompletedProcess:
        """Run `argv` to completion inside this namespace (see util.run_cmd)."""
        return run_cmd(["ip", "netns", "exec", self.name, *argv], check=check,
                       timeout=timeout, capture=capture)

    def ip(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run `ip <args>` against this namespace, e.g. host.ip("route", "show")."""
        return run_cmd(["ip", "-n", self.name, *args], check=check)

    def spawn(self, argv: Sequence[str], stdout: str | PathLike | None = None,
              env: Mapping[str, str] | None = None) -> "Proc":
        """Start `argv` in the background inside this namespace; the lab tracks and stops it.

        Output (stdout and stderr) goes to `stdout` if given, else to a log
        file in the lab's temp dir. `env` entries are added to os.environ.
        """
        return self.lab.spawn_in(self, argv, stdout, env)

    def addr(self, ifname: str) -> str:
        """First IPv4 address on `ifname` (without prefix length); LookupError if none."""
        info = json.loads(self.ip("-j", "-4", "addr", "show", "dev", ifname).stdout)
        for entry in info:
            for addr in entry.get("addr_info", []):
                return addr["local"]
        raise LookupError(f"no IPv4 address on {ifname} in {self.name}")

    def addresses(self, ifname: str, family: int = 4) -> set[str]:
        """Every address (without prefix length) of `family` (4 or 6) on `ifname`."""
        info = json.loads(self.ip("-j", f"-{family}", "addr", "show", "dev", ifname).stdout)
        return {a["local"] for entry in info for a in entry.get("addr_info", [])}

    def ping(self, addr: str, count: int = 1, timeout: float = 2.0) -> bool:
        """True if `addr` answers an ICMP echo from this namespace (`timeout` s per echo)."""
        argv = netprobe.probe_cmd("ping", addr, "--count", str(count), "--timeout", str(timeout))
        return self.run(argv, check=False, timeout=count * timeout + 10).returncode == 0


class Switch(Host):
    """A namespace holding one Linux bridge (`bridge`, default "br0"), no addresses."""

    bridge = "br0"


@dataclass
class Link:
    """A veth pair: end `a_if` in namespace `a`, end `b_if` in namespace `b`.

    For `Lab.connect` the b side is the switch port. `down()`/`up()` act on
    the b end, which looks like a pulled cable from `a` (carrier lost).
    """

    a: Host
    a_if: str
    b: Host
    b_if: str

    def down(self) -> None:
        """Cut the link: set the b end down so the a end loses carrier."""
        self.b.ip("link", "set", self.b_if, "down")

    def up(self) -> None:
        """Restore the link cut by `down()`."""
        self.b.ip("link", "set", self.b_if, "up")
