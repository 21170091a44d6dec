"""The VM's initramfs, built at test time: busybox (Debian's busybox-static), the kernel modules
that reach the host's root filesystem (virtio PCI, 9p over virtio, overlayfs, with their
dependencies from modules.dep), and /init, which mounts the host's root read-only under a
tmpfs overlay and hands over to keel_vm/guest_init.py there.

The archive is written here (cpio "newc", uncompressed: the kernel unpacks it as it is).
"""

from __future__ import annotations

import io
import stat
from pathlib import Path

from .kernel import Kernel

BUSYBOX = Path("/bin/busybox")  # busybox-static: no shared libraries to carry
# What /init needs before the root is mounted; modules.dep adds their dependencies.
BOOT_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay", "crc32c_generic"]

# Kernel command line words /init reads: keel_vm.init (the guest init's path on the host),
# keel_vm.modules (the kernel's modules directory on the host).
INIT_SCRIPT = r"""#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
for m in $($bb cat /modules.order); do
  $bb insmod /modules/$m || echo "keel-vm: insmod $m failed"
done
arg() { for w in $($bb cat /proc/cmdline); do case $w in "$1"=*) echo "${w#*=}";; esac; done; }
init=$(arg keel_vm.init)
modules=$(arg keel_vm.modules)
$bb mkdir -p /lower /upper /newroot
$bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 hostroot /lower \
  || { echo "keel-vm: cannot mount the host root"; $bb poweroff -f; }
$bb mount -t tmpfs -o mode=0755 upper /upper
$bb mkdir -p /upper/data /upper/work
$bb mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work root /newroot \
  || { echo "keel-vm: cannot mount the overlay"; $bb poweroff -f; }
release=$($bb uname -r)
$bb mkdir -p /newroot/lib/modules
$bb mount -t tmpfs -o mode=0755 modules /newroot/lib/modules
$bb mkdir -p /newroot/lib/modules/$release
$bb mount --bind /lower$modules /newroot/lib/modules/$release
$bb umount /proc /sys /dev
exec $bb switch_root /newroot /usr/bin/python3 -I -S $init
"""


def module_order(kernel: Kernel, wanted: list[str]) -> list[str]:
    """The module files (relative to the modules directory) to insmod, dependencies first."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (kernel.modules / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        by_name[Path(path).name.split(".ko")[0].replace("-", "_")] = path
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        for dep in deps.get(path, []):
            visit(dep)
        order.append(path)

    for name in wanted:
        if name not in by_name:
            raise FileNotFoundError(f"module {name} not in {kernel.modules}/modules.dep")
        visit(by_name[name])
    return order


class _Cpio:
    """A newc archive writer: directories, regular files, nothing else."""

    def __init__(self) -> None:
        self.out = io.BytesIO()
        self.ino = 1

    def _entry(self, name: str, mode: int, data: bytes) -> None:
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name) + 1, 0]
        header = b"070701" + b"".join(f"{f:08x}".encode() for f in fields)
        self.ino += 1
        self.out.write(header + name.encode() + b"\0")
        self.out.write(b"\0" * (-self.out.tell() % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-self.out.tell() % 4))

    def directory(self, name: str) -> None:
        self._entry(name, stat.S_IFDIR | 0o755, b"")

    def file(self, name: str, data: bytes, mode: int = 0o644) -> None:
        self._entry(name, stat.S_IFREG | mode, data)

    def finish(self) -> bytes:
        self._entry("TRAILER!!!", 0, b"")
        return self.out.getvalue()


def build_initramfs(kernel: Kernel, dest: Path) -> Path:
    """Write the initramfs for `kernel` to `dest`."""
    if not BUSYBOX.is_file():
        raise FileNotFoundError(f"{BUSYBOX} missing: install busybox-static (scripts/deps)")
    order = module_order(kernel, BOOT_MODULES)
    cpio = _Cpio()
    for d in ("bin", "proc", "sys", "dev", "modules"):
        cpio.directory(d)
    cpio.file("bin/busybox", BUSYBOX.read_bytes(), 0o755)
    cpio.file("init", INIT_SCRIPT.encode(), 0o755)
    names = []
    for path in order:
        name = Path(path).name
        names.append(name)
        cpio.file(f"modules/{name}", (kernel.modules / path).read_bytes())
    cpio.file("modules.order", ("\n".join(names) + "\n").encode())
    dest.write_bytes(cpio.finish())
    return dest
