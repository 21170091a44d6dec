"""Process-wide safety net so an open lab is torn down however the program ends.

- An `atexit` hook closes every lab still open at interpreter exit.
- While at least one lab is open, SIGTERM and SIGHUP raise SystemExit(128+sig)
  and SIGINT raises KeyboardInterrupt, so `with Lab()` blocks, `finally`
  clauses and pytest teardown run. A handler is installed only where the
  signal still has its default action (SIG_DFL): a handler set by the host
  program, or a deliberate SIG_IGN, is left alone. Our handlers are removed
  again when the last lab closes.
- `deferred()` blocks those signals (and SIGALRM, used by the pytest time
  limit) while cleanup runs, so cleanup is never cut in half; they are
  delivered as soon as it finishes.

Handlers can only be managed from the main thread; elsewhere only the atexit
hook applies.
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator, Protocol


class _Closable(Protocol):
    def close(self) -> None: ...


def _exit_on_signal(signum: int, _frame: object) -> None:
    """Turn a termination signal into SystemExit, with the shell's 128+N status."""
    raise SystemExit(128 + signum)


_HANDLERS = {
    signal.SIGINT: signal.default_int_handler,
    signal.SIGTERM: _exit_on_signal,
    signal.SIGHUP: _exit_on_signal,
}
_DEFERRED = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGALRM}

_open_labs: list[_Closable] = []
_saved: dict[int, object] = {}
_atexit_registered = False


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _install() -> None:
    """Install our handlers for signals that would otherwise kill us without cleanup."""
    if not _in_main_thread():
        return
    for sig, handler in _HANDLERS.items():
        if signal.getsignal(sig) == signal.SIG_DFL:
            _saved[sig] = signal.signal(sig, handler)


def _restore() -> None:
    """Put back the dispositions we replaced, unless someone replaced ours since."""
    if not _in_main_thread():
        return
    for sig, previous in list(_saved.items()):
        if signal.getsignal(sig) is _HANDLERS[sig]:
            signal.signal(sig, previous)
        del _saved[sig]


def _close_open_labs() -> None:
    """atexit hook: close labs the program forgot (or never got the chance) to close."""
    for lab in list(_open_labs):
        try:
            lab.close()
        except Exception as err:  # report and continue with the next lab
            print(f"keel_lab: cleanup at exit failed: {err}", file=sys.stderr)


def register(lab: _Closable) -> None:
    """Track an open lab; the first one installs the handlers and the atexit hook."""
    global _atexit_registered
    if not _atexit_registered:
        atexit.register(_close_open_labs)
        _atexit_registered = True
    if not _open_labs:
        _install()
    _open_labs.append(lab)


def unregister(lab: _Closable) -> None:
    """Forget a closed lab; the last one restores the original signal handlers."""
    if lab in _open_labs:
        _open_labs.remove(lab)
    if not _open_labs:
        _restore()


@contextmanager
def deferred() -> Iterator[None]:
    """Hold back SIGINT/SIGTERM/SIGHUP/SIGALRM in this (main) thread for the duration."""
    if not _in_main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
