"""Health checks against misbehaving backends (issue 6, reliability.md §2.3).

One keeld checks, at once, one real server per misbehaviour (each a scripted
bad_backend.py, a hanging or flooding MISC_CHECK script, a black-holed TCP port) beside
well-behaved ones. Every bad backend must fail its own check - its notify_down fires once -
within the bound keepalived's scheduling gives, while the good ones never go down and
keep being checked every delay_loop: one backend's misbehaviour never slows another's
check, and keeld stays up.

Bounds (docs/reference/keepalived.md §3.2): the first check starts 1 s + random(0..warmup) after start,
warmup defaults to delay_loop; at start-up one failure is enough to go DOWN; a probe ends
at its deadline, connect_timeout (misc_timeout for MISC_CHECK).
"""

from __future__ import annotations

import hashlib
import signal
import sys
import time
from pathlib import Path

from keel_lab.util import wait_until

VIP = "10.79.0.100"
DIR_ADDR, RS_ADDR = "10.79.0.1", "10.79.0.2"
DELAY_LOOP = 2
CONNECT_TIMEOUT = 2
MISC_TIMEOUT = 2
SLACK = 3.0
BAD_BACKEND = Path(__file__).resolve().parent / "keel_lab" / "bad_backend.py"
BODY_MD5 = hashlib.md5(b"keel real server\n").hexdigest()

HTTP_GOOD = ["ok"]
HTTP_BAD = ["slow_drip", "silent", "rst_at_accept", "rst_mid_headers", "garbage_status",
            "status_2000", "status_404", "huge_header", "endless_headers", "endless_body",
            "conflicting_length", "short_body", "bad_chunked", "wrong_digest"]
TLS_GOOD = ["tls_ok"]
TLS_BAD = ["tls_silent", "tls_garbage"]


def http_real(port: int, name: str, notify: Path, tls: bool = False) -> str:
    kind = "SSL_GET" if tls else "HTTP_GET"
    return f"""  real_server {RS_ADDR} {port} {{
    notify_up "{notify} UP {name}"
    notify_down "{notify} DOWN {name}"
    {kind} {{
      url {{
        path /index.html
        digest {BODY_MD5}
        status_code 200
      }}
      connect_timeout {CONNECT_TIMEOUT}
    }}
  }}
"""


def misc_real(port: int, name: str, notify: Path, script: str) -> str:
    return f"""  real_server {RS_ADDR} {port} {{
    notify_up "{notify} UP {name}"
    notify_down "{notify} DOWN {name}"
    MISC_CHECK {{
      misc_path "{script}"
      misc_timeout {MISC_TIMEOUT}
    }}
  }}
"""


def tcp_real(port: int, name: str, notify: Path) -> str:
    return f"""  real_server {RS_ADDR} {port} {{
    notify_up "{notify} UP {name}"
    notify_down "{notify} DOWN {name}"
    TCP_CHECK {{
      connect_timeout {CONNECT_TIMEOUT}
    }}
  }}
"""


def notify_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_each_bad_backend_fails_its_own_check_in_time_and_good_ones_stay_up(
        lab, keel_build_dir, tmp_path):
    d, rs = lab.host("dir"), lab.host("rs")
    lab.veth(d, rs, f"{DIR_ADDR}/24", f"{RS_ADDR}/24", "eth0", "eth0")

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    rs.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=rs",
            "-days", "1", "-keyout", str(key), "-out", str(cert)])

    notify_log = tmp_path / "notify.log"
    notify = tmp_path / "notify.sh"
    notify.write_text(f"#!/bin/sh\necho \"$1 $2\" >> {notify_log}\n")
    notify.chmod(0o755)
    hang = tmp_path / "hang.sh"
    hang.write_text("#!/bin/sh\nexec sleep 1000\n")
    flood = tmp_path / "flood.sh"
    flood.write_text("#!/bin/sh\nexec yes keel-flood\n")
    good = tmp_path / "good.sh"
    good.write_text("#!/bin/sh\nexit 0\n")
    for script in (hang, flood, good):
        script.chmod(0o755)

    reals = []
    port = 8000
    checked: dict[str, Path] = {}
    for name in HTTP_GOOD + HTTP_BAD + TLS_GOOD + TLS_BAD:
        port += 1
        log = tmp_path / f"{name}.conns"
        checked[name] = log
        argv = [sys.executable, str(BAD_BACKEND), RS_ADDR, str(port), name, "--log", str(log)]
        if name == "tls_ok":
            argv += ["--cert", str(cert), "--key", str(key)]
        proc = rs.spawn(argv)
        proc.wait_for_output("listening")
        reals.append(http_real(port, name, notify, tls=name.startswith("tls")))
    for name, script in (("misc_good", good), ("misc_hang", hang), ("misc_flood", flood)):
        port += 1
        reals.append(misc_real(port, name, notify, str(script)))
    port += 1
    # Nothing listens there and the real server drops the SYNs: the connect never completes.
    blackhole = port
    nft = tmp_path / "drop.nft"
    nft.write_text(f"table ip keelbad {{\n chain in {{\n  type filter hook input priority 0;\n"
                   f"  tcp dport {blackhole} drop\n }}\n}}\n")
    rs.run(["nft", "-f", str(nft)])
    reals.append(tcp_real(blackhole, "tcp_blackhole", notify))

    conf = tmp_path / "keel.conf"
    conf.write_text(f"""global_defs {{
  router_id bad
}}
virtual_server {VIP} 80 {{
  delay_loop {DELAY_LOOP}
  lb_algo rr
  lb_kind NAT
  protocol TCP
""" + "".join(reals) + "}\n")
    keeld = d.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-f", str(conf)])
    started = time.monotonic()

    bad = HTTP_BAD + TLS_BAD + ["misc_hang", "misc_flood", "tcp_blackhole"]
    # First probe by 1 + warmup (= delay_loop); the longest deadline after that.
    bound = 1 + DELAY_LOOP + max(CONNECT_TIMEOUT, MISC_TIMEOUT) + SLACK
    try:
        wait_until(lambda: all(f"DOWN {n}" in notify_lines(notify_log) for n in bad),
                   timeout=bound + 2, what="every bad backend's notify_down")
    except TimeoutError:
        missing = [n for n in bad if f"DOWN {n}" not in notify_lines(notify_log)]
        raise AssertionError(f"no notify_down for {missing}:\n{keeld.tail(60)}") from None
    assert time.monotonic() - started <= bound + 2

    # Observe a few more delay_loops: good ones stay up and keep being checked on time.
    time.sleep(3 * DELAY_LOOP)
    assert keeld.alive(), keeld.tail()
    lines = notify_lines(notify_log)
    for name in HTTP_GOOD + TLS_GOOD + ["misc_good"]:
        assert f"DOWN {name}" not in lines, (name, lines)
    for name in bad:
        assert lines.count(f"DOWN {name}") == 1, (name, lines)  # once per transition
    for name in HTTP_GOOD + TLS_GOOD:
        stamps = [float(x) for x in checked[name].read_text().split()]
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        assert len(stamps) >= 3, (name, stamps)
        # Each check starts delay_loop after the previous one ended: never later than that
        # plus the time a good probe takes, whatever the bad backends are doing.
        assert max(gaps) <= DELAY_LOOP + 1.5, (name, gaps)
    assert keeld.stop(signal.SIGTERM, timeout=10) == 0
