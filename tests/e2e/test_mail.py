"""keeld's SMTP alerts, received by a real SMTP server (Debian's python3-aiosmtpd).

keeld (host d1, 198.18.2.1 on eth0) runs one VRRP instance with smtp_alert; the SMTP server
(host m, 198.18.3.2:2525, reached over a second link, eth1) writes every mail it accepts — HELO name, envelope and the raw message — to
a JSON-lines file. The tests check the mails byte for byte against keepalived 2.2.7's texts:
BACKUP and MASTER on start, FAULT when the interface goes down; and that a server that accepts the
connection but never answers does not hold VRRP up (the instance still becomes MASTER and
goes FAULT on time) while the mail fails after smtp_connect_timeout.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from keel_lab.util import wait_until

KEEL_IP, PEER_IP, VIP = "198.18.2.1", "198.18.2.2", "198.18.2.100"
MAIL_IP, SMTP_IP = "198.18.3.1", "198.18.3.2"  # mail goes over a second link: eth0 goes down
PORT = 2525
# What a loaded 2-core machine may add between the link going down and keeld's log line; VRRP
# reacts to the netlink event itself, so its own share is nil.
SLACK = 1.0
SILENT_TIMEOUT = 3  # smtp_connect_timeout against the silent server
assert SLACK < SILENT_TIMEOUT  # else a FAULT that waited on the mail would pass

CONF = f"""global_defs {{
  router_id LB1
  notification_email {{
    ops@example.org
    second@example.org
  }}
  notification_email_from keel@example.org
  smtp_server {SMTP_IP} {PORT}
  smtp_helo_name lb1.example.org
  smtp_connect_timeout @TIMEOUT@
}}
vrrp_instance VI_1 {{
  state MASTER
  interface eth0
  virtual_router_id 51
  priority 150
  advert_int 1
  smtp_alert
  virtual_ipaddress {{
    {VIP}/24
  }}
}}
"""

SERVER = """
import asyncio, json, sys
from aiosmtpd.smtp import SMTP

out, host, port, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

class Handler:
    async def handle_DATA(self, server, session, envelope):
        with open(out, "a") as f:
            f.write(json.dumps({"helo": session.host_name, "from": envelope.mail_from,
                                "to": envelope.rcpt_tos,
                                "data": envelope.original_content.decode()}) + "\\n")
        return "250 Message accepted for delivery"

async def silent(reader, writer):
    await asyncio.sleep(3600)

async def main():
    loop = asyncio.get_running_loop()
    if mode == "silent":
        server = await asyncio.start_server(silent, host, port)
    else:
        server = await loop.create_server(lambda: SMTP(Handler()), host, port)
    print("listening", flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""

MESSAGE = re.compile(
    r"Date: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\n"
    r"From: keel@example\.org\r\n"
    r"Subject: (?P<subject>[^\r\n]*)\r\n"
    r"X-Mailer: Keepalived\r\n"
    r"To: ops@example\.org, second@example\.org\r\n"
    r"\r\n"
    r"(?P<body>[^\r\n]*)\r\n\r\n\Z")  # keepalived ends the body with an empty line


@pytest.fixture
def setup(lab, keel_build_dir, tmp_path):
    try:
        import aiosmtpd  # noqa: F401  (Debian's python3-aiosmtpd)
    except ImportError:
        pytest.skip("python3-aiosmtpd not installed (scripts/deps installs it)")
    d1, m = lab.host("d1"), lab.host("m")
    lab.veth(d1, m, f"{KEEL_IP}/24", f"{PEER_IP}/24", "eth0", "eth0")
    lab.veth(d1, m, f"{MAIL_IP}/24", f"{SMTP_IP}/24", "eth1", "eth1")
    (tmp_path / "server.py").write_text(SERVER)
    return d1, m, keel_build_dir, tmp_path


def start(setup, mode: str, timeout: int):
    d1, m, build, tmp = setup
    mails = tmp / "mails.jsonl"
    server = m.spawn(["/usr/bin/python3", str(tmp / "server.py"), str(mails), SMTP_IP, str(PORT),
                      mode])
    server.wait_for_output("listening", timeout=10)
    conf = tmp / "keel.conf"
    conf.write_text(CONF.replace("@TIMEOUT@", str(timeout)))
    keeld = d1.spawn([str(build / "src/app/keeld"), "-n", "-l", "-G", "--runtime-dir",
                      str(tmp / "run"), "-f", str(conf)])
    return keeld, mails


def read_mails(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def subject_and_body(mail: dict) -> tuple[str, str]:
    fields = MESSAGE.match(mail["data"])
    assert fields, repr(mail["data"])
    return fields["subject"], fields["body"]


def test_vrrp_transitions_are_mailed_as_keepalived_writes_them(setup):
    d1 = setup[0]
    keeld, mails = start(setup, "smtp", 5)
    keeld.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=15)
    # BACKUP at start (keepalived notifies the initial BACKUP state too), then MASTER.
    got = wait_until(lambda: len(read_mails(mails)) >= 2 and read_mails(mails), timeout=10,
                     what="the BACKUP and MASTER mails")
    for mail in got:
        assert mail["helo"] == "lb1.example.org"
        assert mail["from"] == "keel@example.org"
        assert mail["to"] == ["ops@example.org", "second@example.org"]
    assert [subject_and_body(m) for m in got] == [
        ("[LB1] VRRP Instance VI_1 - Entering BACKUP state",
         "=> VRRP Instance is no longer owning VRRP VIPs <="),
        ("[LB1] VRRP Instance VI_1 - Entering MASTER state",
         "=> VRRP Instance is now owning VRRP VIPs <="),
    ]

    d1.ip("link", "set", "eth0", "down")
    keeld.wait_for_output(r"\(VI_1\) Entering FAULT STATE", timeout=10)
    got = wait_until(lambda: len(read_mails(mails)) >= 3 and read_mails(mails), timeout=10,
                     what="the FAULT mail")
    assert subject_and_body(got[2]) == ("[LB1] VRRP Instance VI_1 - Entering FAULT state",
                                        "=> VRRP Instance is no longer owning VRRP VIPs <=")
    assert len(got) == 3, got


def test_a_server_that_never_answers_holds_nothing_up(setup):
    d1 = setup[0]
    keeld, mails = start(setup, "silent", SILENT_TIMEOUT)
    keeld.wait_for_output(r"\(VI_1\) Entering MASTER STATE", timeout=15)
    # The MASTER mail now hangs on a server that accepted and says nothing; VRRP carries on.
    time.sleep(0.5)
    down = time.monotonic()
    d1.ip("link", "set", "eth0", "down")
    keeld.wait_for_output(r"\(VI_1\) Entering FAULT STATE", timeout=10)
    assert time.monotonic() - down < SLACK, "FAULT waited on the mail"
    keeld.wait_for_output(r"SMTP alert to \S+ failed: timed out waiting for greeting",
                          timeout=SILENT_TIMEOUT + SLACK)
    assert read_mails(mails) == []
