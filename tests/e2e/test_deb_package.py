"""The Debian packages (debian/), as an operator gets them: built with `dpkg-buildpackage -b` from
a clean clone of HEAD (as CI's own checkout is), their contents listed with `dpkg-deb -c`, lintian
clean at its default level, installed with `dpkg -i` on this machine, the seed lab's two directors
run from the installed keeld through the unit's ExecStart line and driven with the installed
keelctl, the decapsulator attached by the installed keel-decap through its unit's commands, and
both packages purged again, also when a test fails.

Root only (dpkg -i, network namespaces). The build is the cost: a release build (DEB_BUILD_OPTIONS
nocheck: no unit tests, which the other suites run; noautodbgsym) from a clean tree, measured and
printed. KEEL_DEB_DIR=DIR takes keel_*.deb, keel-decap_*.deb and keel_*.changes from DIR instead
(for iterating on these tests; CI builds).
"""

from __future__ import annotations

import os
import re
import resource
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from keel_lab.lb_lab import xdp_pass_object
from keel_lab.seed_lab import DIRECTORS, VIP, SeedLab
from keel_lab.util import wait_until

REPO = Path(__file__).resolve().parents[2]
BUILD_LIMIT = 2400  # seconds; a clean release build on 2 busy cores takes minutes
SLACK = 2.0  # as test_seed_lab.py
PACKAGES = ("keel", "keel-decap")
UNIT = Path("/lib/systemd/system/keel.service")
DECAP_UNIT = Path("/lib/systemd/system/keel-decap@.service")

pytestmark = pytest.mark.keel_timeout(BUILD_LIMIT)
timings: dict[str, float] = {}


def run(argv: list[str], timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def installed(package: str) -> bool:
    out = run(["dpkg-query", "-W", "-f", "${Status}", package])
    return out.returncode == 0 and "installed" in out.stdout.split()


# -- building --------------------------------------------------------------------------------


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_from_clean_clone(workdir: Path) -> Path:
    """Clones HEAD into workdir/keel and builds the binary packages there; returns workdir."""
    clone = workdir / "keel"
    out = run(["git", "-c", "safe.directory=*", "clone", "--quiet", "--no-hardlinks", str(REPO),
               str(clone)])
    assert out.returncode == 0, out.stderr
    env = {**os.environ, "DEB_BUILD_OPTIONS": f"nocheck noautodbgsym parallel={os.cpu_count()}"}
    start, cpu = time.monotonic(), children_cpu()
    log = workdir / "build.log"
    with log.open("w") as f:
        done = subprocess.run(["dpkg-buildpackage", "-b", "-us", "-uc"], cwd=clone, env=env,
                              stdout=f, stderr=subprocess.STDOUT, timeout=BUILD_LIMIT - 120)
    timings["build"] = time.monotonic() - start
    timings["build_cpu"] = children_cpu() - cpu
    assert done.returncode == 0, "dpkg-buildpackage failed:\n" + log.read_text()[-6000:]
    return workdir


@pytest.fixture(scope="module")
def debs(tmp_path_factory) -> dict[str, Path]:
    """{"keel": deb, "keel-decap": deb, "changes": changes file, "tree": the clone or None}."""
    if os.geteuid() != 0:
        pytest.skip("the package test installs with dpkg -i: root only")
    if any(installed(p) for p in PACKAGES):
        pytest.skip("keel is installed on this host already; this test would replace and purge it")
    given = os.environ.get("KEEL_DEB_DIR")
    where = Path(given) if given else build_from_clean_clone(tmp_path_factory.mktemp("deb"))
    found = {p: sorted(where.glob(f"{p}_*.deb")) for p in PACKAGES}
    found["changes"] = sorted(where.glob("keel_*.changes"))
    assert all(len(v) == 1 for v in found.values()), found
    paths = {k: v[0] for k, v in found.items()}
    paths["tree"] = None if given else where / "keel"
    return paths


def contents(deb: Path) -> dict[str, str]:
    """{path: mode string} of a .deb's files (directories end with /)."""
    out = run(["dpkg-deb", "-c", str(deb)])
    assert out.returncode == 0, out.stderr
    return {line.split()[5]: line.split()[0] for line in out.stdout.splitlines()}


def field(deb: Path, name: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), name]).stdout.strip()


def shipped_docs(tree: Path) -> set[str]:
    """The documentation the keel package ships: docs/**/*.md and *.png, the man sources aside."""
    out = run(["git", "-C", str(tree), "ls-files", "docs"]).stdout.split()
    return {p.removeprefix("docs/") for p in out
            if p.endswith((".md", ".png")) and not p.startswith("docs/man/")}


def test_packages_hold_what_the_operator_needs(debs, capsys):
    if "build" in timings:
        with capsys.disabled():
            print(f"\n  dpkg-buildpackage -b from a clean clone: {timings['build']:.0f} s, "
                  f"{timings['build_cpu']:.0f} CPU s ({os.cpu_count()} CPUs, load "
                  f"{os.getloadavg()[0]:.1f})")
    keel = contents(debs["keel"])
    files = {p for p, mode in keel.items() if not mode.startswith("d")}
    want = {"./etc/default/keel", "./lib/systemd/system/keel.service", "./usr/bin/keelctl",
            "./usr/sbin/keeld", "./usr/share/bash-completion/completions/keelctl",
            "./usr/share/bash-completion/completions/keeld",
            "./usr/share/man/man5/keel-compatibility.5.gz", "./usr/share/man/man8/keelctl.8.gz",
            "./usr/share/man/man8/keeld.8.gz", "./usr/share/doc/keel/changelog.gz",
            "./usr/share/doc/keel/copyright",
            "./usr/share/doc/keel/examples/keel.service.d/keepalived-compat.conf"}
    # The docs as written (uncompressed: they link to each other, the unit names them).
    docs = {p.removeprefix("./usr/share/doc/keel/") for p in files
            if p.startswith("./usr/share/doc/keel/") and p.endswith((".md", ".png"))}
    tree = debs["tree"] or REPO
    assert docs == shipped_docs(tree)
    assert {"migrating-from-keepalived.md", "operations.md"} <= docs
    assert files - {f"./usr/share/doc/keel/{d}" for d in docs} == want
    assert keel["./usr/sbin/keeld"] == keel["./usr/bin/keelctl"] == "-rwxr-xr-x"
    assert "./etc/keel/" in keel
    assert run(["dpkg-deb", "-f", str(debs["keel"]), "Version"]).stdout.strip() == \
        re.search(r"project\(keel VERSION (\S+)", (tree / "CMakeLists.txt").read_text()).group(1)
    assert "libbpf1" in field(debs["keel"], "Depends")
    conffiles = run(["dpkg-deb", "--info", str(debs["keel"]), "conffiles"]).stdout.split()
    assert conffiles == ["/etc/default/keel"]

    decap = contents(debs["keel-decap"])
    assert {p for p, mode in decap.items() if not mode.startswith("d")} == {
        "./etc/default/keel-decap", "./lib/systemd/system/keel-decap@.service",
        "./usr/sbin/keel-decap", "./usr/share/man/man8/keel-decap.8.gz",
        "./usr/share/doc/keel-decap/changelog.gz", "./usr/share/doc/keel-decap/copyright"}
    assert decap["./usr/sbin/keel-decap"] == "-rwxr-xr-x"
    depends = field(debs["keel-decap"], "Depends")
    assert "libbpf1" in depends  # and not keel: a real server runs it alone
    assert "keel" not in {d.split()[0] for d in depends.split(", ")}
    conffiles = run(["dpkg-deb", "--info", str(debs["keel-decap"]), "conffiles"]).stdout.split()
    assert conffiles == ["/etc/default/keel-decap"]


def test_lintian_is_clean_at_its_default_level(debs, capsys):
    lintian = shutil.which("lintian")
    assert lintian, "lintian is not installed (scripts/deps installs it)"
    start = time.monotonic()
    out = run([lintian, "--fail-on", "error,warning", str(debs["changes"])], timeout=600)
    with capsys.disabled():
        print(f"\n  lintian: {time.monotonic() - start:.0f} s")
    tags = [line for line in out.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert out.returncode == 0 and not tags, out.stdout + out.stderr


# -- installed -------------------------------------------------------------------------------


def purge() -> list[str]:
    """Purges both packages; returns what is left of them."""
    run(["dpkg", "--purge", *PACKAGES], timeout=300)
    left = [p for p in PACKAGES if installed(p)]
    return left + [str(p) for p in (Path("/usr/sbin/keeld"), Path("/usr/bin/keelctl"),
                                    Path("/etc/default/keel"), Path("/etc/keel"), UNIT,
                                    Path("/usr/sbin/keel-decap"), DECAP_UNIT,
                                    Path("/etc/default/keel-decap")) if p.exists()]


@pytest.fixture(scope="module")
def install(debs):
    try:
        out = run(["dpkg", "-i", str(debs["keel"]), str(debs["keel-decap"])], timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        yield
    finally:
        left = purge()
        assert not left, f"dpkg --purge left {left}"


def exec_start() -> list[str]:
    """The unit's ExecStart as systemd runs it: $KEEL_OPTIONS from its EnvironmentFile."""
    unit = UNIT.read_text()
    line = re.search(r"^ExecStart=(.*)$", unit, re.MULTILINE).group(1)
    env_file = re.search(r"^EnvironmentFile=-?(.*)$", unit, re.MULTILINE).group(1)
    options = run(["env", "-i", "sh", "-c", f'. {env_file}; printf %s "$KEEL_OPTIONS"']).stdout
    return shlex.split(line.replace("$KEEL_OPTIONS", options))


def test_installed_files_work_together(install, tmp_path):
    argv = exec_start()
    assert argv[:2] == ["/usr/sbin/keeld", "--dont-fork"], argv
    version = run([argv[0], "--version"])
    assert version.returncode == 0 and version.stdout.startswith("keeld (keel) v")
    assert run(["/usr/bin/keelctl", "--version"]).stdout.strip() == \
        f"keelctl (keel) {version.stdout.split()[2]}"
    for page in ("keeld", "keelctl", "keel-compatibility", "keel-decap"):
        out = run(["man", "-w", page])
        assert out.returncode == 0 and out.stdout.startswith("/usr/share/man/"), (page, out)
    for doc in re.findall(r"file:(\S+)", UNIT.read_text()):  # the unit's Documentation=
        assert Path(doc).is_file(), doc
    completion = run(["bash", "--norc", "-c", "source /usr/share/bash-completion/completions/"
                      "keelctl && complete -p keelctl"])
    assert completion.stdout.strip() == "complete -F _keelctl keelctl", completion.stderr
    # The installed units pass systemd's own checks, the drop-in that undoes the hardening too
    # (read from beside a copy of the unit: a broken setting in it would be reported).
    tool = shutil.which("systemd-analyze")
    if tool:
        for unit in (UNIT, DECAP_UNIT):
            out = run([tool, "verify", str(unit)], timeout=60)
            assert out.returncode == 0 and unit.name not in out.stderr, out.stderr
        shutil.copy(UNIT, tmp_path / UNIT.name)
        (tmp_path / "keel.service.d").mkdir()
        dropin = Path("/usr/share/doc/keel/examples/keel.service.d/keepalived-compat.conf")
        shutil.copy(dropin, tmp_path / "keel.service.d")
        out = run([tool, "verify", str(tmp_path / UNIT.name)], timeout=60)
        assert out.returncode == 0 and "keel.service" not in out.stderr, out.stderr


def test_keeld_prefers_etc_keel_keel_conf_to_keepalived_conf(install, tmp_path):
    """The default configuration rule, on the installed keeld, in a private mount namespace
    whose /etc/keel and /etc/keepalived are the test's own directories."""
    if not Path("/etc/keepalived").is_dir():
        pytest.skip("/etc/keepalived does not exist here (Debian's keepalived is not installed)")
    for name, router_id in (("keel", "FROM_KEEL"), ("keepalived", "FROM_KEEPALIVED")):
        (tmp_path / name).mkdir()
        conf = "keel.conf" if name == "keel" else "keepalived.conf"
        (tmp_path / name / conf).write_text(f"global_defs {{\n  router_id {router_id}\n}}\n")
    (tmp_path / "empty").mkdir()

    def router_id(etc_keel: Path) -> str:
        script = (f"mount --bind {etc_keel} /etc/keel && "
                  f"mount --bind {tmp_path / 'keepalived'} /etc/keepalived && "
                  "/usr/sbin/keeld --dump-config")
        out = run(["unshare", "--mount", "sh", "-c", script])
        assert out.returncode == 0, out.stderr
        return re.search(r'"router_id": "(\w+)"', out.stdout).group(1)

    assert router_id(tmp_path / "keel") == "FROM_KEEL"
    assert router_id(tmp_path / "empty") == "FROM_KEEPALIVED"


def test_seed_lab_runs_on_the_installed_keeld_through_the_unit_command(install, lab):
    seed = SeedLab(lab, Path("/nonexistent"), keeld_command=exec_start(),
                   keelctl_path=Path("/usr/bin/keelctl"))
    seed.build()
    for name in DIRECTORS:
        result = seed.config_test(name)
        assert result.returncode == 0, result.stderr
    seed.start_keeld("master")
    seed.start_keeld("backup")
    t = seed.timers
    seed.wait_holders(["master"], timeout=t.master_down("master") + SLACK)
    listing = seed.keelctl_list("master")
    assert listing.returncode == 0, listing.stderr
    assert re.search(rf"^TCP  {re.escape(VIP)}:80 rr persistent 50\s*$", listing.stdout,
                     re.MULTILINE), listing.stdout
    for i in range(2):
        assert re.search(rf"^  -> {re.escape(seed.real_addr(i))}:80\s+Route\s+1\b",
                         listing.stdout, re.MULTILINE), listing.stdout
    wait_until(lambda: all(r["ok"] for r in seed.fetch(3)), timeout=10,
               what="the page through the VIP")
    assert seed.stop_keeld("master") == 0
    seed.wait_holders(["backup"], timeout=t.skew("backup") + SLACK)
    wait_until(lambda: all(r["ok"] for r in seed.fetch(3)), timeout=10,
               what="the page through the VIP from the BACKUP")


def decap_command(key: str, directors: str | None = None) -> list[str]:
    """The keel-decap@eth0 unit's `key` (ExecStart, ExecReload, ExecStop) as systemd runs it:
    %i is eth0 and $VARIABLES come from its EnvironmentFile, KEEL_DECAP_DIRECTORS set to
    `directors` after it when given; unquoted, they split into words as systemd splits them."""
    unit = DECAP_UNIT.read_text()
    line = re.search(rf"^{key}=(.*)$", unit, re.MULTILINE).group(1).replace("%i", "eth0")
    env_file = re.search(r"^EnvironmentFile=-?(.*)$", unit, re.MULTILINE).group(1)
    assign = "" if directors is None else f"KEEL_DECAP_DIRECTORS={shlex.quote(directors)}; "
    out = run(["env", "-i", "sh", "-c", f'. {env_file}; {assign}set -f; printf "%s\\n" {line}'])
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_keel_decap_attaches_only_its_own_program(install, lab):
    real = lab.host("real")
    other = lab.host("other")
    lab.veth(real, other, "198.18.0.11/24", "198.18.0.12/24", ifname_a="eth0")

    def command(key: str, directors: str | None = None) -> subprocess.CompletedProcess:
        return real.run(decap_command(key, directors), check=False)

    def attached() -> str:
        m = re.search(r"prog/xdp id \d+ name (\S+)", real.ip("-d", "link", "show", "dev",
                                                            "eth0").stdout)
        return m.group(1) if m else ""

    def status() -> int:
        return real.run(["/usr/sbin/keel-decap", "status", "eth0"], check=False).returncode

    # The shipped /etc/default/keel-decap names no director: the unit fails until one is set.
    unset = command("ExecStart")
    assert unset.returncode == 2 and "--director" in unset.stderr and attached() == ""
    directors = "198.18.0.12 2001:db8:18::12"
    assert status() == 3
    assert command("ExecStart", directors).returncode == 0 and attached() == "keel_decap"
    assert status() == 0
    assert command("ExecReload", directors).returncode == 0 and attached() == "keel_decap"
    assert command("ExecStop").returncode == 0 and attached() == ""
    # Another program on the interface is neither replaced nor removed.
    real.ip("link", "set", "dev", "eth0", "xdp", "obj", str(xdp_pass_object(lab)), "sec", "xdp")
    before = attached()
    refused = command("ExecStart", directors)
    assert refused.returncode == 1 and "not replacing it" in refused.stderr
    assert command("ExecStop").returncode == 1 and attached() == before == "keel_lab_pass"
