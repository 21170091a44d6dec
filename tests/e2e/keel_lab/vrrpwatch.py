"""Counts the VRRP adverts seen on a segment, by priority; run *inside* a lab namespace.

    vrrpwatch.py LOCAL_ADDR --for SECONDS

Joins 224.0.0.18 on the interface holding LOCAL_ADDR, reads IP protocol 112 until SECONDS have
passed or SIGTERM arrives, then prints one JSON line: {"adverts": N, "priority_zero": Z,
"by_vrid": {...}, "max_gap": {VRID: seconds}}. A reload must never send a priority-0 advert (RFC
3768 §6.4.3: that is the MASTER leaving). max_gap is the longest time between two adverts of a
VRID, from the kernel's receive timestamps (SO_TIMESTAMPNS), so this script's own scheduling does
not count.
"""

from __future__ import annotations

import argparse
import json
import select
import signal
import socket
import struct
import sys
import time

VRRP_PROTO = 112
VRRP_GROUP = "224.0.0.18"
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # <asm-generic/socket.h>; also the cmsg type


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
    sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    counts = {"adverts": 0, "priority_zero": 0, "by_vrid": {}, "max_gap": {}}
    last = {}
    print("ready", flush=True)
    deadline = time.monotonic() + a.seconds
    while not stop["now"] and time.monotonic() < deadline:
        try:
            ready, _, _ = select.select([sock], [], [], 0.2)
        except InterruptedError:
            continue
        if not ready:
            continue
        data, ancillary, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(16))
        stamp = time.time()
        for level, kind, value in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                stamp = sec + nsec / 1e9
        ihl = (data[0] & 0x0F) * 4
        if len(data) < ihl + 3:
            continue
        vrid, priority = data[ihl + 1], data[ihl + 2]
        counts["adverts"] += 1
        counts["by_vrid"][str(vrid)] = counts["by_vrid"].get(str(vrid), 0) + 1
        if vrid in last:
            gap = stamp - last[vrid]
            counts["max_gap"][str(vrid)] = max(counts["max_gap"].get(str(vrid), 0.0), gap)
        last[vrid] = stamp
        if priority == 0:
            counts["priority_zero"] += 1
    print(json.dumps(counts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
