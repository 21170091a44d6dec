"""pytest configuration for the VM tests (docs/vm-tests.md): `vm_kernel` skips, saying why, when
qemu or the cached Debian kernel is missing, or when not root."""

import os
import signal

import pytest

from keel_vm import Kernel, KernelMissing, QemuMissing, find_kernel, qemu_path


@pytest.fixture(scope="session")
def vm_kernel() -> Kernel:
    if os.geteuid() != 0:
        pytest.skip("the VM tests run as root (the guest shares the host's root filesystem)")
    try:
        qemu_path()
        return find_kernel()
    except (QemuMissing, KernelMissing) as e:
        pytest.skip(str(e))


def _interrupt(signum, _frame):
    raise KeyboardInterrupt(f"received signal {signum}")


def pytest_configure(config):
    """SIGTERM and SIGHUP stop the session like ^C, so the VM is killed and its files removed
    (keel_vm.run_in_vm's cleanup runs on KeyboardInterrupt)."""
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _interrupt)
