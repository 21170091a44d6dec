"""The VM harness itself (tests/vm/keel_vm): a command's status and output come back, the guest
runs Debian's kernel with IPVS, the host's files are read-only to it, a hung guest is killed at
the deadline with nothing left behind, and a missing qemu or kernel is said plainly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from keel_vm import KernelMissing, QemuMissing, VmTimeout, find_kernel, run_in_vm
from keel_vm import initramfs, vm

REPO = Path(__file__).resolve().parents[2]
# A timeout is a bound on boot plus the command; the boot alone takes ~10 s under TCG on an idle
# 2-CPU host, several times that on a loaded one.
BOOT_BOUND = 180


def qemu_processes() -> set[int]:
    out = subprocess.run(["pgrep", "-f", "qemu-system-x86_64.*keel-vm-"], text=True,
                         capture_output=True).stdout
    return {int(p) for p in out.split()}


def vm_tmpdirs() -> set[str]:
    return {p for p in os.listdir("/tmp") if p.startswith("keel-vm-")}


def test_command_runs_in_debians_kernel_with_ipvs(vm_kernel, tmp_path):
    marker = REPO / "tests" / "vm" / f".guest-wrote-{os.getpid()}"
    script = (f"echo out; echo err >&2; uname -r; touch {marker} && echo wrote; "
              "modprobe ip_vs && ipvsadm -A -t 198.18.0.100:80 -s wlc && ipvsadm -Ln; "
              "echo report > $KEEL_VM_OUT/report.txt; exit 7")
    before = (qemu_processes(), vm_tmpdirs())
    result = run_in_vm(["/bin/sh", "-c", script], timeout=BOOT_BOUND, kernel=vm_kernel)
    print(f"VM run: {result.seconds:.1f} s from qemu's start to its exit")
    assert result.status == 7, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "out" and result.stderr.splitlines()[0] == "err"
    assert lines[1] == vm_kernel.release  # the guest runs Debian's kernel, not the host's
    assert "wrote" in lines  # the guest may write: into its tmpfs overlay ...
    assert not marker.exists()  # ... and nothing reaches the host
    assert "TCP  198.18.0.100:80 wlc" in result.stdout  # ip_vs and its schedulers load
    assert result.files == {"report.txt": b"report\n"}
    assert (qemu_processes(), vm_tmpdirs()) == before


def test_a_hung_guest_is_killed_at_the_deadline(vm_kernel):
    before = (qemu_processes(), vm_tmpdirs())
    start = time.monotonic()
    with pytest.raises(VmTimeout) as err:
        run_in_vm(["sleep", "3600"], timeout=5, kernel=vm_kernel)
    assert time.monotonic() - start < 5 + 10  # killed, not waited for
    assert "after 5 s" in str(err.value)
    assert (qemu_processes(), vm_tmpdirs()) == before


def start_cli_vm() -> tuple[subprocess.Popen, set[int]]:
    """`python3 -m keel_vm run -- sleep 3600` in a child; returns once its qemu runs."""
    before = qemu_processes()
    child = subprocess.Popen([sys.executable, "-m", "keel_vm", "run", "--timeout", "600", "--",
                              "sleep", "3600"], cwd=Path(__file__).parent,
                             stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not qemu_processes() - before:
        assert child.poll() is None and time.monotonic() < deadline, "qemu did not start"
        time.sleep(0.1)
    return child, qemu_processes() - before


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_run_stops_its_vm_and_removes_its_files(vm_kernel, sig):
    dirs = vm_tmpdirs()
    child, qemu = start_cli_vm()
    child.send_signal(sig)
    _, err = child.communicate(timeout=20)
    assert child.returncode == 130, err
    assert not qemu & qemu_processes()
    assert vm_tmpdirs() == dirs


def test_qemu_dies_with_a_killed_harness(vm_kernel):
    dirs = vm_tmpdirs()
    child, qemu = start_cli_vm()
    child.kill()
    child.communicate(timeout=20)
    deadline = time.monotonic() + 10
    while qemu & qemu_processes():
        assert time.monotonic() < deadline, "qemu outlived the harness that was SIGKILLed"
        time.sleep(0.1)
    for d in vm_tmpdirs() - dirs:  # a SIGKILLed harness cannot remove its directory
        shutil.rmtree(f"/tmp/{d}")


def test_missing_qemu_is_said(monkeypatch):
    monkeypatch.setattr(vm, "QEMU", "qemu-system-x86_64-not-installed")
    with pytest.raises(QemuMissing, match="install Debian's qemu-system-x86"):
        run_in_vm(["true"])


def test_missing_kernel_is_said(monkeypatch, tmp_path):
    monkeypatch.setenv("KEEL_VM_CACHE", str(tmp_path))
    with pytest.raises(KernelMissing, match="scripts/deps"):
        find_kernel()


def test_initramfs_holds_init_busybox_and_modules_after_their_dependencies(vm_kernel, tmp_path):
    order = initramfs.module_order(vm_kernel, initramfs.BOOT_MODULES)
    names = [Path(p).name.split(".ko")[0] for p in order]
    assert names.index("9pnet") < names.index("9pnet_virtio") < names.index("9p")
    assert names.index("virtio") < names.index("virtio_pci")
    image = initramfs.build_initramfs(vm_kernel, tmp_path / "initrd")
    listed = subprocess.run(["/bin/busybox", "cpio", "-t"], input=image.read_bytes(),
                            capture_output=True, check=True).stdout.decode().split()
    assert {"init", "bin/busybox", "modules.order"} <= set(listed)
    assert {f"modules/{Path(p).name}" for p in order} <= set(listed)
