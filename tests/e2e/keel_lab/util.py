"""Small, dependency-free helpers shared by the keel e2e lab.

What lives here: the bounded polling primitive `wait_until`, the `run_cmd`
wrapper that every `ip ...` invocation goes through (always with a timeout,
errors carry stderr), and process-identity helpers that tell a live process
apart from a zombie or from a later process that reused the same pid.
"""

from __future__ import annotations

import subprocess
import time
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

DEFAULT_CMD_TIMEOUT = 10.0


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.05,
               what: str = "condition") -> T:
    """Poll `predicate` until it returns something truthy; return that value.

    The predicate is always evaluated at least once, and once more right at
    the deadline, so a condition that becomes true while we sleep is seen.
    Raises TimeoutError("timed out after {timeout}s waiting for {what}").
    Exceptions raised by the predicate propagate unchanged.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(min(interval, remaining))


class CommandError(subprocess.CalledProcessError):
    """A command exited non-zero; unlike CalledProcessError, str() shows stderr."""

    def __str__(self) -> str:
        detail = (self.stderr or self.output or "").strip()
        base = super().__str__()
        return f"{base}: {detail}" if detail else base


def run_cmd(argv: Sequence[str], check: bool = True, timeout: float = DEFAULT_CMD_TIMEOUT,
            capture: bool = True) -> subprocess.CompletedProcess:
    """Run `argv` to completion with a hard timeout (the child is killed on expiry).

    With capture=True stdout/stderr are returned as text; with check=True a
    non-zero exit raises CommandError (which includes stderr in its message).
    """
    proc = subprocess.run(list(argv), capture_output=capture, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    if check and proc.returncode != 0:
        raise CommandError(proc.returncode, proc.args, proc.stdout, proc.stderr)
    return proc


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name, or None if gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            raw = fh.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may contain spaces and ')' so split after the last ')'.
    return raw[raw.rfind(")") + 2:].split()


def pid_starttime(pid: int) -> int | None:
    """Kernel start time of `pid` (clock ticks since boot), None if it is gone.

    Together with the pid this identifies one process across pid reuse.
    """
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def pid_alive(pid: int, starttime: int | None = None) -> bool:
    """True if `pid` is a live (non-zombie) process, and the same one if starttime is given.

    Zombies count as dead: they hold no namespace, socket or file, only a pid
    slot (this machine's init does not reap orphans, so they do linger).
    """
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):
        return False
    return starttime is None or int(fields[19]) == starttime
