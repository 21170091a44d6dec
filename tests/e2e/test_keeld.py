"""keeld as a process: its command line, and the daemon's life cycle inside a
network namespace (start, SIGHUP, orderly stop on SIGTERM/SIGINT).

keepalived's flags and signals; the engines have their own test files.
"""

from __future__ import annotations

import pwd
import signal
import subprocess

import pytest

from keel_lab.util import wait_until


def keeld(build_dir, *args: str) -> subprocess.CompletedProcess:
    """Runs keeld outside any namespace with a short deadline."""
    return subprocess.run([str(build_dir / "src/app/keeld"), *args], capture_output=True,
                          text=True, timeout=30)


def test_help_lists_keepalived_flags_and_marks_missing_ones(keel_build_dir):
    out = keeld(keel_build_dir, "--help")
    assert out.returncode == 0
    assert "-f, --use-file=FILE" in out.stdout
    assert "-n, --dont-fork" in out.stdout
    snmp = next(line for line in out.stdout.splitlines() if "--snmp " in line)
    assert snmp.endswith("(not implemented yet)")
    vrrp = next(line for line in out.stdout.splitlines() if "--vrrp" in line)
    assert not vrrp.endswith("(not implemented yet)")


def test_version(keel_build_dir):
    out = keeld(keel_build_dir, "-v")
    assert out.returncode == 0
    assert out.stdout.startswith("keeld (keel) v")


@pytest.mark.parametrize("args, message", [
    (["-X"], "keeld: option -X (--release-vips) is not implemented by keel yet"),
    (["-P", "-C"], "keeld: options -P (--vrrp) and -C (--check) exclude each other"),
    (["--bogus"], "keeld: Unknown option --bogus"),
    (["-f"], "keeld: option requires an argument -- 'f'"),
])
def test_refused_command_lines_exit_1_with_a_message(keel_build_dir, args, message):
    out = keeld(keel_build_dir, *args)
    assert out.returncode == 1
    assert out.stderr.strip() == message


def test_reload_reports_changes_and_keeps_a_good_config(lab, keel_build_dir, tmp_path):
    conf = tmp_path / "keepalived.conf"
    conf.write_text(GOOD_CONF)
    proc = lab.host("director").spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                       "-f", str(conf)])
    proc.wait_for_output(r"Configuration .* loaded: 1 VRRP instance\(s\), 0 virtual server")
    conf.write_text(GOOD_CONF.replace("priority 50", "priority 60"))
    proc.send_signal(signal.SIGHUP)
    proc.wait_for_output(r"Reload: VI_1 changed")
    conf.write_text(GOOD_CONF.replace("priority 50", "priority 600"))
    proc.send_signal(signal.SIGHUP)
    proc.wait_for_output(r"Reload aborted: the running configuration stays")
    assert 'invalid priority "600"' in proc.output()
    assert proc.stop(signal.SIGTERM, timeout=10) == 0


def test_signum_prints_keepalived_numbers(keel_build_dir):
    assert keeld(keel_build_dir, "--signum=STOP").stdout.strip() == str(int(signal.SIGTERM))
    assert keeld(keel_build_dir, "--signum=RELOAD").stdout.strip() == str(int(signal.SIGHUP))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_in_a_namespace_stops_in_order_on_signal(lab, keel_build_dir, sig):
    director = lab.host("director")
    proc = director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                           "-f", "/nonexistent/keepalived.conf"])
    proc.wait_for_output(r"Starting keel v\d+\.\d+\.\d+")
    proc.wait_for_output(r"Unable to open configuration file /nonexistent/keepalived.conf")

    proc.send_signal(signal.SIGHUP)
    proc.wait_for_output(r"Reload aborted: the running configuration stays")
    assert proc.alive(), "SIGHUP must not stop keeld"

    assert proc.stop(sig, timeout=10) == 0
    out = proc.output()
    assert f"Stopping ({sig.name})" in out
    assert out.rstrip().endswith(f"Stopped keel v{out.split('Starting keel v')[1].split()[0]}")


GOOD_CONF = """vrrp_instance VI_1 {
  state BACKUP
  interface lo
  virtual_router_id 7
  priority 50
  virtual_ipaddress {
    198.18.0.100/24
  }
}
"""


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# Scripts run as this user, so no script runs as root.
GLOBAL_NOBODY = "global_defs {\n  script_user nobody\n}\n"


@pytest.mark.parametrize("text, extra, rc, stderr", [
    (GOOD_CONF, [], 0, ""),
    (GOOD_CONF.replace("priority 50", "priority 500"), [], 5,
     'keepalived.conf:5:12: error: invalid priority "500": expected an integer 1-255'),
    (GOOD_CONF + "include nothing/*.conf\n", ["-e"], 4, "matched no file"),
    (None, [], 0, "Config files missing"),
    (GOOD_CONF.replace("priority 50", 'priority 50\n  notify_master "/bin/true"'), [], 6,
     "SECURITY VIOLATION - scripts are being executed but script_security not enabled."),
    (GLOBAL_NOBODY + GOOD_CONF.replace("priority 50", 'priority 50\n  notify_master "/bin/true"'),
     [], 0, ""),
    (GOOD_CONF.replace("priority 50", 'priority 50\n  notify_master "/bin/true root"'), [], 6,
     "SECURITY VIOLATION"),
    (GOOD_CONF.replace("priority 50", 'priority 50\n  notify_master "/keel-missing/x"'), [], 0,
     ""),
    ('vrrp_script chk {\n  script "/keel-missing/x"\n  user nobody\n}\n' + GOOD_CONF, [], 5,
     "keepalived.conf:2:10: error: Disabling track script chk since not found/accessible"),
    (None, ["-e"], 4, "no such file"),
    # A configuration error outranks the script-security verdict (6: valid but for scripts).
    (GOOD_CONF.replace("priority 50", 'priority 50\n  notify_master "/bin/true root"')[:-2], [],
     5, "keepalived.conf:1:1: error: missing '}' for the block of 'vrrp_instance' opened here"),
    # Semantic errors name the statement at fault, as syntax errors do.
    (GOOD_CONF.replace("interface lo", "interface keel-nope0"), [], 5,
     "keepalived.conf:3:13: error: (VI_1) interface keel-nope0 doesn't exist"),
    (GOOD_CONF + GOOD_CONF.replace("VI_1", "VI_2").replace("198.18.0.100", "198.18.0.101"), [], 5,
     "keepalived.conf:13:21: error: (VI_2) virtual_router_id 7 on lo is already used by VI_1"),
    # The keyword table's classes (docs/compatibility.md): refused, warned, implemented.
    (GOOD_CONF.replace("priority 50", "priority 50\n  use_vmac"), [], 5,
     "keepalived.conf:6:3: error: 'use_vmac' is refused: keel has no VMAC"),
    ("global_defs {\n  enable_snmp_vrrp\n}\n" + GOOD_CONF, [], 0,
     "keepalived.conf:2:3: warning: 'enable_snmp_vrrp' has no effect in keel: keel has no SNMP"),
    ("global_defs {\n  vrrp_garp_master_repeat 3\n}\n" + GOOD_CONF, [], 0, ""),
])
def test_config_test_exit_codes_are_keepalived_s(keel_build_dir, tmp_path, text, extra, rc,
                                                  stderr):
    if rc == 6 and "root" not in text and _user_exists("keepalived_script"):
        pytest.skip("scripts run as keepalived_script on this host, not as root")
    conf = tmp_path / "keepalived.conf"
    if text is not None:
        conf.write_text(text)
    out = keeld(keel_build_dir, "-t", *extra, "-f", str(conf))
    assert out.returncode == rc, out.stderr
    assert stderr in out.stderr
    if not stderr:
        assert "error" not in out.stderr and "warning" not in out.stderr, out.stderr


# Lists the descriptors the notify script holds, leaving out the one os.listdir used for the
# listing (closed again when the check runs).
FD_LISTER = """#!/usr/bin/python3
import os, sys
held = [int(f) for f in os.listdir("/proc/self/fd") if os.path.exists("/proc/self/fd/" + f)]
with open(sys.argv[1], "w") as out:
    out.write(" ".join(str(f) for f in sorted(held)))
"""


def test_a_notify_script_holds_no_descriptor_of_keelds(lab, keel_build_dir, tmp_path):
    """Every fd keeld opens is close-on-exec and the child closes all above 2: a notify script
    (here a MASTER's) finds only stdin, stdout and stderr, never keeld's netlink or VRRP sockets,
    its epoll, signalfd, pid file or control socket."""
    script = tmp_path / "fds.py"
    script.write_text(FD_LISTER)
    script.chmod(0o755)
    seen = tmp_path / "fds.txt"
    director = lab.host("director")
    lab.connect(director, lab.switch("sw"), "198.18.0.1/24")
    conf = tmp_path / "keepalived.conf"
    conf.write_text(GOOD_CONF.replace("interface lo", "interface eth0").replace(
        "priority 50", f'priority 50\n  advert_int 1\n  notify_master "{script} {seen}"'))
    proc = director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                                       "--runtime-dir", str(tmp_path / "run"), "-f", str(conf)])
    # BACKUP with no peer: MASTER after Master_Down_Interval (3 x 1 s + skew), then the notify.
    wait_until(lambda: seen.exists() and seen.read_text() != "", timeout=15, what="notify ran")
    assert seen.read_text() == "0 1 2"
    assert proc.stop(signal.SIGTERM, timeout=10) == 0



def test_config_test_diff_prints_the_reload_plan_against_a_running_file(keel_build_dir, tmp_path):
    running = tmp_path / "running.conf"
    running.write_text(GOOD_CONF + GOOD_CONF.replace("VI_1", "VI_2").replace("virtual_router_id 7",
                                                                            "virtual_router_id 8")
                       .replace("198.18.0.100", "198.18.0.102"))
    new = tmp_path / "new.conf"
    new.write_text(GOOD_CONF.replace("priority 50", "priority 60").replace(
        "virtual_router_id 7", "virtual_router_id 9"))
    out = keeld(keel_build_dir, "-t", f"--diff={running}", "-f", str(new))
    assert out.returncode == 0, out.stderr
    assert out.stdout == "vrrp_instance VI_1: restart\nvrrp_instance VI_2: remove\n"
    # A new file with errors has no plan: -t's verdict and its diagnostics only.
    new.write_text(GOOD_CONF.replace("priority 50", "priority 500"))
    bad = keeld(keel_build_dir, "-t", f"--diff={running}", "-f", str(new))
    assert bad.returncode == 5 and bad.stdout == "" and "invalid priority" in bad.stderr
