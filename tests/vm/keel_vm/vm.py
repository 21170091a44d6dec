"""Runs one command inside a throw-away VM: Debian 12's kernel under qemu-system-x86_64 (TCG,
no KVM needed), the host's root filesystem shared read-only over 9p with a tmpfs overlay on top
(the guest may write anywhere; nothing reaches the host), a scratch directory shared writable.

    result = run_in_vm(["ipvsadm", "-Ln"], timeout=60)
    result.status, result.stdout, result.stderr, result.console, result.seconds

The command runs as root in the guest's initial namespaces with the host's paths, `cwd` and
`env` (default: the caller's) plus KEEL_VM_OUT, a directory whose files come back in
`result.files` (a test report, logs). The VM gets `memory_mib` of RAM and `cpus` vCPUs, no network
device. A hard `timeout` (seconds, from qemu's start) kills qemu; VmTimeout carries the console.
qemu is killed and the temporary directory removed on every way out (return, exception,
KeyboardInterrupt); qemu also dies with this process (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from .initramfs import build_initramfs
from .kernel import Kernel, find_kernel

QEMU = "qemu-system-x86_64"
GUEST_INIT = Path(__file__).with_name("guest_init.py")
PR_SET_PDEATHSIG = 1


class QemuMissing(RuntimeError):
    """qemu-system-x86_64 is not installed."""


class VmError(RuntimeError):
    """The VM ended without the command's status; `.console` holds its serial console."""

    def __init__(self, message: str, console: str):
        tail = "\n".join(console.splitlines()[-30:])
        super().__init__(f"{message}\n--- VM console (last lines) ---\n{tail}")
        self.console = console


class VmTimeout(VmError):
    pass


@dataclass
class VmResult:
    status: int     # the command's exit status; negative: killed by that signal
    stdout: str
    stderr: str
    console: str    # kernel and init messages from the serial console
    seconds: float  # qemu's start to its exit
    files: dict[str, bytes]  # what the command left in $KEEL_VM_OUT, by name
    boot_seconds: float  # the guest kernel's start to the command's start


def qemu_path() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise QemuMissing(f"{QEMU} not found: install Debian's qemu-system-x86 (scripts/deps)")
    return path


def _die_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def qemu_argv(qemu: str, kernel: Kernel, initrd: Path, scratch: Path, console: Path,
              memory_mib: int, cpus: int) -> list[str]:
    append = " ".join([
        "console=ttyS0", "panic=-1", "quiet", "nokaslr", "tsc=reliable",
        "mitigations=off", f"keel_vm.scratch={scratch}", f"keel_vm.init={GUEST_INIT}",
        f"keel_vm.modules={kernel.modules}"])
    return [
        qemu, "-machine", "q35,accel=tcg", "-cpu", "max", "-smp", str(cpus),
        "-m", str(memory_mib), "-nodefaults", "-no-user-config", "-display", "none",
        "-no-reboot", "-kernel", str(kernel.image), "-initrd", str(initrd), "-append", append,
        "-chardev", f"file,id=con,path={console}", "-serial", "chardev:con",
        "-fsdev", "local,id=root,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=root,mount_tag=hostroot",
        "-fsdev", f"local,id=scratch,path={scratch},security_model=none",
        "-device", "virtio-9p-pci,fsdev=scratch,mount_tag=scratch",
    ]


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def run_in_vm(argv: Sequence[str], *, timeout: float = 300, cwd: str | None = None,
              env: Mapping[str, str] | None = None, memory_mib: int = 2048, cpus: int = 2,
              kernel: Kernel | None = None) -> VmResult:
    """Boot, run `argv`, power off; the command's status and output. See the module doc."""
    qemu = qemu_path()
    kernel = kernel or find_kernel()
    tmp = Path(tempfile.mkdtemp(prefix="keel-vm-"))
    proc = None
    try:
        scratch = tmp / "scratch"
        scratch.mkdir()
        out_dir = scratch / "out"
        out_dir.mkdir()
        job_env = dict(env if env is not None else os.environ)
        job_env["KEEL_VM_OUT"] = str(out_dir)
        job = {"argv": list(argv), "cwd": cwd or os.getcwd(), "env": job_env}
        (scratch / "job.json").write_text(json.dumps(job))
        initrd = build_initramfs(kernel, tmp / "initrd.cpio")
        console = tmp / "console.log"
        start = time.monotonic()
        proc = subprocess.Popen(
            qemu_argv(qemu, kernel, initrd, scratch, console, memory_mib, cpus),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        try:
            qemu_out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise VmTimeout(f"VM still running after {timeout:.0f} s: killed", _read(console))
        seconds = time.monotonic() - start
        text = _read(console)
        status = _read(scratch / "status").strip()
        if not status:
            raise VmError(f"the VM stopped (qemu exit {proc.returncode}) without the command's "
                          f"status; qemu said: {qemu_out.decode(errors='replace').strip()}",
                          text)
        files = {p.name: p.read_bytes() for p in out_dir.iterdir() if p.is_file()}
        return VmResult(int(status), _read(scratch / "stdout"), _read(scratch / "stderr"), text,
                        seconds, files, float(_read(scratch / "started") or 0))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
