"""keeld under a descriptor flood (docs/operations.md, "What keeld guarantees under load and
abuse"): with a low RLIMIT_NOFILE, a client that opens far more proxy sessions than keeld has
descriptors for — UDP datagrams from distinct ports and TCP connections held open — must not
take the descriptors that the health checks, the track scripts and the control socket need.

While the flood holds its sessions open, the TCP_CHECK stays UP (no "failed", no "Removing
service"), the vrrp_script keeps passing (the MASTER keeps its priority), and the control
socket answers `keelctl -Ln` every second.

The data plane's share (base/fd_budget.h) is the cap on the proxy's descriptors: this test
needs the proxy to honour it (its per-client and total session caps).
"""

from __future__ import annotations

import re
import signal
import subprocess
import time

import pytest

from keel_lab.util import wait_until

NOFILE = 256  # keeld's soft and hard limit: its own needs are ~170 descriptors
FLOOD = 400  # UDP sessions and TCP connections, each: far more than the data plane's share
HOLD = 8.0  # seconds the flooder keeps its sessions open
WATCH = 6.0  # seconds the test checks that everything else still works
TPORT, UPORT = 8081, 5354  # the backends, on 127.0.0.1 in the director's namespace

CONF = """global_defs {{
  keel_dataplane proxy
  keel_proxy_workers 1
}}
vrrp_script chk {{
  script "/bin/true"
  interval 1
  timeout 2
  fall 1
  rise 1
  weight -60
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {{
    198.18.0.100/24
  }}
  track_script {{
    chk
  }}
}}
virtual_server 198.18.0.1 8080 {{
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 {tport} {{
    TCP_CHECK {{
      connect_timeout 1
    }}
  }}
}}
virtual_server 198.18.0.1 5353 {{
  lb_algo rr
  lb_kind NAT
  protocol UDP
  real_server 127.0.0.1 {uport} {{
  }}
}}
"""

# A TCP server that accepts and holds connections, and a UDP echo server.
BACKEND = f"""
import selectors, socket
sel = selectors.DefaultSelector()
t = socket.create_server(("127.0.0.1", {TPORT}), backlog=1024)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", {UPORT}))
sel.register(t, selectors.EVENT_READ)
sel.register(u, selectors.EVENT_READ)
held = []
while True:
    for key, _ in sel.select():
        if key.fileobj is t:
            held.append(t.accept()[0])
        else:
            data, peer = u.recvfrom(2048)
            u.sendto(data, peer)
"""

# FLOOD UDP datagrams from as many sockets (distinct source ports) and FLOOD TCP connections,
# all held open for HOLD seconds.
FLOODER = f"""
import socket, time
held = []
for _ in range({FLOOD}):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", ("198.18.0.1", 5353))
    held.append(s)
for _ in range({FLOOD}):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("198.18.0.1", 8080))
    held.append(s)
print("flooding", flush=True)
time.sleep({HOLD})
"""


@pytest.fixture
def director(lab, keel_build_dir, tmp_path):
    switch = lab.switch("sw")
    host = lab.host("director")
    lab.connect(host, switch, "198.18.0.1/24")
    client = lab.host("client")
    lab.connect(client, switch, "198.18.0.2/24")
    host.spawn(["/usr/bin/python3", "-c", BACKEND])
    conf = tmp_path / "keepalived.conf"
    conf.write_text(CONF.format(tport=TPORT, uport=UPORT))
    run = tmp_path / "run"
    proc = host.spawn(["prlimit", f"--nofile={NOFILE}:{NOFILE}", "--",
                       str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                       "--runtime-dir", str(run), "--instance", "flood", "-f", str(conf)])
    proc.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=15)
    proc.wait_for_output(r"TCP connection to \[127\.0\.0\.1\]:tcp:\d+ success", timeout=15)
    return host, client, proc, run


def keelctl(host, keel_build_dir, run, *args: str) -> subprocess.CompletedProcess:
    """keelctl against the flooded keeld; a control socket that does not answer in 10 s is a
    failed call (exit 124), not a hung test."""
    argv = [str(keel_build_dir / "src/app/keelctl"), "--runtime-dir", str(run), "--instance",
            "flood", *args]
    try:
        return host.run(argv, check=False, timeout=10)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, 124, "", "keelctl: no answer within 10 s")


def test_a_session_flood_starves_neither_checks_nor_scripts_nor_the_control_socket(
        director, keel_build_dir):
    host, client, proc, run = director
    mark = len(proc.output())
    flooder = client.spawn(["/usr/bin/python3", "-c", FLOODER])
    flooder.wait_for_output(r"flooding", timeout=30)
    end = time.monotonic() + WATCH
    while time.monotonic() < end:
        out = keelctl(host, keel_build_dir, run, "-Ln")
        assert out.returncode == 0, out.stderr
        assert "198.18.0.1:8080" in out.stdout
        time.sleep(1.0)
    checks = keelctl(host, keel_build_dir, run, "checks")
    assert checks.returncode == 0, checks.stderr
    during = proc.output()[mark:]
    assert not re.search(r"TCP_CHECK on service .* failed|TCP connection to .* failed", during), \
        during
    assert "Removing service" not in during, during
    assert not re.search(r"VRRP_Script\(chk\) failed|Changing effective priority", during), during
    assert "Entering BACKUP STATE" not in during, during
    assert proc.alive()
    flooder.stop(signal.SIGTERM, timeout=10)
    assert proc.stop(signal.SIGTERM, timeout=10) == 0
