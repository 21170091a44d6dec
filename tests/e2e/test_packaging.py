"""`cmake --install` puts keeld, keelctl, keel-decap, the systemd units, the man pages, bash
completion and the docs where the units say, and the units pass
`systemd-analyze verify` (when the host has systemd-analyze), with and without the drop-in that
undoes the hardening. Runs the build directory's install rules into the test's own directories
only. tests/e2e/test_deb_package.py builds and installs the Debian packages.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
    assert values["Conflicts"] == "keepalived.service"
    # keel-decap (its program built in: no object beside it) and its unit, which passes the
    # directors from its EnvironmentFile (debian/keel-decap.default).
    assert os.access(dest / "usr/sbin/keel-decap", os.X_OK)
    assert not (dest / "usr/lib/keel").exists()
    decap_unit = unit_values((dest / "usr/lib/systemd/system/keel-decap@.service").read_text())
    assert decap_unit["EnvironmentFile"] == "-/etc/default/keel-decap"
    attach = ("/usr/sbin/keel-decap attach %i $KEEL_DECAP_OPTIONS "
              "--director $KEEL_DECAP_DIRECTORS")
    assert decap_unit["ExecStart"] == decap_unit["ExecReload"] == attach
    assert decap_unit["ExecStop"] == "/usr/sbin/keel-decap detach %i"
    for name in ("keelctl", "keeld"):
        assert (dest / "usr/share/bash-completion/completions" / name).exists()
    assert (dest / "usr/share/doc/keel/examples/keel.service.d/keepalived-compat.conf").exists()
    if shutil.which("scdoc"):
        for page in ("man8/keeld.8", "man8/keelctl.8", "man8/keel-decap.8",
                     "man5/keel-compatibility.5"):
            assert (dest / "usr/share/man" / page).exists(), page


def test_unit_passes_systemd_analyze_verify(keel_build_dir, tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this host")
    prefix = tmp_path / "prefix"  # a real prefix: verify checks that ExecStart exists
    install(keel_build_dir, str(prefix))
    units = prefix / "lib/systemd/system"
    for unit in ("keel.service", "keel-decap@.service"):
        out = subprocess.run([tool, "verify", "--man=no", str(units / unit)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert unit not in out.stderr, out.stderr


def test_the_drop_in_that_undoes_the_hardening_passes_verify(keel_build_dir, tmp_path):
    """packaging/keel.service.d/keepalived-compat.conf, as docs/migrating-from-keepalived.md
    installs it, beside the unit (verify reads drop-ins there: a broken copy is reported). The
    man pages the unit names are not installed system-wide here: --man=no."""
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this host")
    prefix = tmp_path / "prefix"
    install(keel_build_dir, str(prefix))
    unit = prefix / "lib/systemd/system/keel.service"
    dropin_dir = unit.parent / "keel.service.d"
    dropin_dir.mkdir()
    shipped = prefix / "share/doc/keel/examples/keel.service.d/keepalived-compat.conf"
    text = shipped.read_text()
    assert {"ProtectSystem=no", "PrivateTmp=no", "ProtectHome=no", "CapabilityBoundingSet=~",
            "NoNewPrivileges=no"} <= set(text.splitlines())

    def verify(dropin: str) -> str:
        (dropin_dir / "keepalived-compat.conf").write_text(dropin)
        out = subprocess.run([tool, "verify", "--man=no", str(unit)], capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stderr

    assert "keepalived-compat.conf" not in verify(text)
    assert "keepalived-compat.conf" in verify(text.replace("ProtectSystem=no",
                                                           "ProtectSystem=bogus"))


def test_the_migration_guide_shows_the_drop_in_as_shipped():
    repo = Path(__file__).resolve().parents[2]
    shipped = (repo / "packaging/keel.service.d/keepalived-compat.conf").read_text()
    guide = (repo / "docs/migrating-from-keepalived.md").read_text()
    assert f"```ini\n{shipped}```" in guide
