"""Debian 12's own kernel for the VM tests, kept in a cache directory and never installed on the
host (no bootloader or initramfs hooks run).

    kernel = find_kernel()          # a cached kernel, or KernelMissing saying how to fetch one
    kernel = fetch_kernel()         # apt-get download + dpkg-deb -x + depmod -b, once

The cache is /var/cache/keel-vm (or $KEEL_VM_CACHE): one directory per kernel package,
`linux-image-6.1.0-N-amd64_VERSION/`, holding the package's files (boot/vmlinuz-*,
lib/modules/KVER/ with modules.dep built by `depmod -b`) and a `ready` stamp written last, so a
fetch that was interrupted leaves nothing that looks usable. scripts/deps fetches it; the tests
only read it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

META_PACKAGE = "linux-image-amd64"  # Debian's "newest 6.1 kernel" package
_IMAGE_RE = re.compile(r"^linux-image-(\d[\w.+~-]*-amd64)$")


class KernelMissing(RuntimeError):
    """No cached kernel; the message says which command fetches one."""


@dataclass(frozen=True)
class Kernel:
    root: Path     # the extracted package
    release: str   # "6.1.0-57-amd64", the modules directory name

    @property
    def image(self) -> Path:
        return self.root / "boot" / f"vmlinuz-{self.release}"

    @property
    def modules(self) -> Path:
        return self.root / "lib" / "modules" / self.release


def cache_dir() -> Path:
    return Path(os.environ.get("KEEL_VM_CACHE", "/var/cache/keel-vm"))


def _release_of(root: Path) -> str | None:
    mods = root / "lib" / "modules"
    found = sorted(p.name for p in mods.iterdir()) if mods.is_dir() else []
    return found[-1] if found else None


def find_kernel(cache: Path | None = None) -> Kernel:
    """The newest ready kernel in the cache."""
    cache = cache or cache_dir()
    ready = sorted(p.parent for p in cache.glob("linux-image-*/ready")) if cache.is_dir() else []
    for root in reversed(ready):
        release = _release_of(root)
        if release and (root / "boot" / f"vmlinuz-{release}").is_file():
            return Kernel(root, release)
    raise KernelMissing(f"no Debian kernel in {cache}: run scripts/deps (or "
                        f"`PYTHONPATH=tests/vm python3 -m keel_vm fetch-kernel`) as root")


def image_package() -> str:
    """The kernel package linux-image-amd64 depends on now, from apt's local lists."""
    out = subprocess.run(["apt-cache", "depends", META_PACKAGE], check=True, text=True,
                         capture_output=True).stdout
    for line in out.splitlines():
        word = line.split(":", 1)[-1].strip()
        if _IMAGE_RE.match(word):
            return word
    raise KernelMissing(f"apt-cache depends {META_PACKAGE} names no kernel image "
                        "(run apt-get update)")


def _run(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, text=True, capture_output=True)
    if done.returncode != 0:
        raise KernelMissing(f"{' '.join(argv)} failed ({done.returncode}): "
                            f"{(done.stderr or done.stdout).strip()}")


def fetch_kernel(cache: Path | None = None) -> Kernel:
    """A cached kernel, downloading and unpacking Debian's current one if there is none."""
    cache = cache or cache_dir()
    try:
        return find_kernel(cache)
    except KernelMissing:
        pass
    package = image_package()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=cache) as tmp:
        work = Path(tmp)
        _run(["apt-get", "download", "-q", package], work)
        debs = list(work.glob(f"{package}_*.deb"))
        if len(debs) != 1:
            raise KernelMissing(f"apt-get download {package} left {debs}")
        deb = debs[0]
        root = work / "root"
        _run(["dpkg-deb", "-x", str(deb), str(root)], work)
        release = _release_of(root)
        if release is None:
            raise KernelMissing(f"{deb.name} holds no lib/modules")
        _run(["depmod", "-b", str(root), release], work)
        (root / "ready").write_text(f"{deb.name}\n")
        dest = cache / deb.name.rsplit("_", 1)[0]
        if dest.exists():
            shutil.rmtree(dest)
        root.rename(dest)
    return find_kernel(cache)
