"""keeld -t against keepalived's own sample configurations, read in place.

Each sample gets the verdict class that Debian's keepalived 2.2.7 (`keepalived -t`, installed by
scripts/deps) gives it, run here in the same network namespace — a host whose only interfaces
are lo and eth0. Where keel deliberately differs, the difference is listed below with its reason
(the keyword table, docs/compatibility.md, says the same).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLES = Path("/usr/share/doc/keepalived/samples")  # Debian's keepalived package (scripts/deps)

# keepalived's -t exit codes (docs/reference/keepalived.md §4.1), as verdict classes.
VERDICTS = {0: "valid", 4: "cannot run", 5: "config errors", 6: "scripts insecure"}

# Samples keel judges differently on purpose: (keel's verdict, why).
KEEL_DIFFERS = {
    "quorum": ("config errors",
               "`omega` is refused: keel does not run the quorum_down and notify_down scripts at "
               "stop yet, which the sample asks for"),
    "virtual_server_group": ("config errors",
                             "its group has `fwmark` entries, which no keel data plane serves "
                             "(refused rather than left unserved)"),
}


def verdict(rc: int) -> str:
    return VERDICTS.get(rc, f"exit {rc}")


@pytest.fixture(scope="module")
def samples():
    if not SAMPLES.is_dir():
        pytest.skip(f"the conformance corpus is not at {SAMPLES}")
    return sorted(SAMPLES.glob("keepalived.conf.*"))


@pytest.fixture(scope="module")
def keepalived():
    path = shutil.which("keepalived") or "/usr/sbin/keepalived"
    if not Path(path).exists():
        pytest.skip("Debian's keepalived is not installed (scripts/deps)")
    return path


def test_every_deliberate_difference_names_a_sample(samples):
    names = {p.name.removeprefix("keepalived.conf.") for p in samples}
    assert set(KEEL_DIFFERS) <= names


def test_config_test_verdicts_match_keepalived(lab, keel_build_dir, samples, keepalived):
    host = lab.host("conf")
    host.ip("link", "add", "eth0", "type", "veth", "peer", "name", "peer0")
    keeld = str(keel_build_dir / "src/app/keeld")
    got, want = {}, {}
    for path in samples:
        name = path.name.removeprefix("keepalived.conf.")
        theirs = host.run([keepalived, "-t", "-f", str(path)], check=False, timeout=30)
        ours = host.run([keeld, "-t", "-f", str(path)], check=False, timeout=30)
        assert "Sanitizer" not in ours.stderr, ours.stderr
        got[name] = verdict(ours.returncode)
        want[name] = KEEL_DIFFERS.get(name, (verdict(theirs.returncode),))[0]
    assert got == want
