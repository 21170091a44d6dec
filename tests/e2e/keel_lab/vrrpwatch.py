"""Counts the VRRP adverts seen on a segment, by priority; run *inside* a lab namespace.

    vrrpwatch.py LOCAL_ADDR --for SECONDS

Joins 224.0.0.18 on the interface holding LOCAL_ADDR, reads IP protocol 112 until SECONDS have
passed or SIGTERM arrives, then prints one JSON line: {"adverts": N, "priority_zero": Z,
"by_vrid": {...}}. A reload must never send a priority-0 advert (RFC 3768 §6.4.3: that is the
MASTER leaving).
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import sys
import time

VRRP_PROTO = 112
VRRP_GROUP = "224.0.0.18"


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("local")
    p.add_argument("--for", dest="seconds", type=float, required=True)
    a = p.parse_args()
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, VRRP_PROTO)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                    socket.inet_aton(VRRP_GROUP) + socket.inet_aton(a.local))
    counts = {"adverts": 0, "priority_zero": 0, "by_vrid": {}}
    print("ready", flush=True)
    deadline = time.monotonic() + a.seconds
    while not stop["now"] and time.monotonic() < deadline:
        try:
            ready, _, _ = select.select([sock], [], [], 0.2)
        except InterruptedError:
            continue
        if not ready:
            continue
        data = sock.recv(2048)
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl + 3:
            continue
        vrid, priority = data[ihl + 1], data[ihl + 2]
        counts["adverts"] += 1
        counts["by_vrid"][str(vrid)] = counts["by_vrid"].get(str(vrid), 0) + 1
        if priority == 0:
            counts["priority_zero"] += 1
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
