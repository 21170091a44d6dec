"""keel_vm: run a command inside a throw-away VM with Debian 12's kernel (docs/vm-tests.md)."""

from .kernel import Kernel, KernelMissing, fetch_kernel, find_kernel
from .vm import QemuMissing, VmError, VmResult, VmTimeout, qemu_path, run_in_vm

__all__ = ["Kernel", "KernelMissing", "QemuMissing", "VmError", "VmResult", "VmTimeout",
           "fetch_kernel", "find_kernel", "qemu_path", "run_in_vm"]
