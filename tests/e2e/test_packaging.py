"""`cmake --install` puts keeld, keelctl, the systemd unit and the docs where the unit says,
and the unit passes `systemd-analyze verify` (when the host has systemd-analyze). Runs the
build directory's install rules into the test's own directories only.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def install(build_dir, prefix: str, destdir=None) -> None:
    env = {**os.environ}
    env.pop("DESTDIR", None)
    if destdir is not None:
        env["DESTDIR"] = str(destdir)
    subprocess.run(["cmake", "--install", str(build_dir), "--prefix", prefix], env=env,
                   check=True, capture_output=True, text=True, timeout=120)


def unit_values(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), value.strip())
    return out


def test_install_puts_files_where_the_unit_says(keel_build_dir, tmp_path):
    dest = tmp_path / "dest"
    install(keel_build_dir, "/usr", dest)
    unit = dest / "usr/lib/systemd/system/keel.service"
    values = unit_values(unit.read_text())
    assert values["Type"] == "notify"
    assert values["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert values["RuntimeDirectory"] == "keel"  # keeld's runtime directory as root: /run/keel
    assert int(values["LimitNOFILE"]) >= 65536  # systemd's default soft limit is 1024
    keeld = values["ExecStart"].split()[0]
    assert keeld == "/usr/sbin/keeld"
    assert os.access(dest / keeld.lstrip("/"), os.X_OK)
    assert os.access(dest / "usr/bin/keelctl", os.X_OK)
    assert (dest / "usr/share/doc/keel/operations.md").exists()
    caps = set(values["CapabilityBoundingSet"].split())
    assert {"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_BPF"} <= caps
    assert "CAP_SYS_MODULE" not in caps and "CAP_DAC_OVERRIDE" not in caps


def test_unit_passes_systemd_analyze_verify(keel_build_dir, tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this host")
    prefix = tmp_path / "prefix"  # a real prefix: verify checks that ExecStart exists
    install(keel_build_dir, str(prefix))
    out = subprocess.run([tool, "verify", str(prefix / "lib/systemd/system/keel.service")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "keel.service" not in out.stderr, out.stderr
