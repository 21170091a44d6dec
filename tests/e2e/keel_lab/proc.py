"""`Proc`: a background process running inside a lab namespace.

Each process is started through `ip netns exec` (which execs the command, so
the pid is the command itself) in a new session, hence its own process group.
stdout and stderr go to one log file, which `output()` and `wait_for_output()`
read. The leader is never reaped before its group has been signalled, so the
process-group id cannot have been recycled when we kill the group.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from .util import pid_starttime, wait_until

KILL_TIMEOUT = 5.0


class ProcessExited(RuntimeError):
    """The process ended while we were waiting for it to print something."""


class Proc:
    """A tracked background process (create it with `Host.spawn`)."""

    def __init__(self, argv: Sequence[str], netns: str, log_path: Path,
                 env: Mapping[str, str] | None = None):
        self.argv = list(argv)
        self.netns = netns
        self.log_path = Path(log_path)
        full_env = {**os.environ, **env} if env is not None else None
        with open(self.log_path, "ab") as log:
            self._popen = subprocess.Popen(
                ["ip", "netns", "exec", netns, *self.argv], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, env=full_env, start_new_session=True)
        self.pid = self._popen.pid
        self.starttime = pid_starttime(self.pid)

    def __repr__(self) -> str:
        return f"Proc(pid={self.pid}, netns={self.netns!r}, argv={self.argv!r})"

    @property
    def returncode(self) -> int | None:
        """Exit status once reaped by `stop()`, else None (negative = killed by signal)."""
        return self._popen.returncode

    def _exit_status(self) -> str | None:
        """'exit code N' / 'killed by signal N' once the leader ended, without reaping it."""
        if self._popen.returncode is not None:
            return f"returncode {self._popen.returncode}"
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return "already reaped"
        if info is None:
            return None
        if info.si_code == os.CLD_EXITED:
            return f"exit code {info.si_status}"
        return f"killed by signal {info.si_status}"

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self._exit_status() is None

    def send_signal(self, sig: int) -> None:
        """Send `sig` to the process group (the process and its children)."""
        if self._popen.returncode is not None:
            return
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        """Send `sig`, wait up to `timeout` s, then SIGKILL; reap and return the returncode.

        Whatever is left in the process group after the leader died is
        SIGKILLed too. Calling stop() on a stopped process just returns.
        """
        if self._popen.returncode is not None:
            return self._popen.returncode
        self.send_signal(sig)
        try:
            wait_until(lambda: not self.alive(), timeout, interval=0.02, what=f"{self} to exit")
        except TimeoutError:
            self.send_signal(signal.SIGKILL)
            wait_until(lambda: not self.alive(), KILL_TIMEOUT, interval=0.02,
                       what=f"{self} to die after SIGKILL")
        self.send_signal(signal.SIGKILL)
        return self._popen.wait(timeout=KILL_TIMEOUT)

    def output(self) -> str:
        """Everything the process wrote to stdout/stderr so far ('' once the log is removed)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 40) -> str:
        """The last `lines` lines of output."""
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_for_output(self, regex: str | re.Pattern, timeout: float = 10.0) -> re.Match:
        """Wait until the output matches `regex`; return the match.

        Raises TimeoutError after `timeout` s, or ProcessExited as soon as the
        process has ended without the pattern appearing (no point waiting).
        """
        pattern = re.compile(regex)

        def matched() -> re.Match | None:
            status = self._exit_status()  # read status first: output is final once exited
            found = pattern.search(self.output())
            if found or status is None:
                return found
            raise ProcessExited(f"{self} ended ({status}) without printing "
                                f"{pattern.pattern!r}; last output:\n{self.tail(20)}")

        return wait_until(matched, timeout, interval=0.02,
                          what=f"{pattern.pattern!r} in the output of {self}")
