#!/usr/bin/python3
"""Holds many established HTTP connections through a VIP across an event (a failover), inside
the VM: one process for all of them, since every Python start costs seconds under TCG.

    flows.py VIP PORT PATH --sources A,B --per-source N --go FILE [--timeout S]

Phase 1 opens per-source N keep-alive connections from each source address, sends one GET on
each and prints {"phase": 1, "open": K, "reals": {conn: real}}. Then it waits (at most
--timeout s) until FILE exists, sends one more GET on each connection and prints
{"phase": 2, "ok": K, "broken": [conn, ...], "moved": [conn, ...]}: a connection is broken when
the request fails, moved when another real answered. Loops are bounded in count and time; the
addresses are the lab's own.
"""

import argparse
import json
import os
import socket
import sys
import time


def request(sock: socket.socket, vip: str, path: str, timeout: float) -> str:
    """One GET on a kept-open connection; the page's last word (who answered)."""
    sock.settimeout(timeout)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {vip}\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed before the headers")
        buf += chunk
    head, _, body = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if not head.startswith(b"HTTP/1.1 200"):
        raise ConnectionError(head.split(b"\r\n")[0].decode(errors="replace"))
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed in the body")
        body += chunk
    return body.decode(errors="replace").strip().rsplit(" ", 1)[-1]


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("vip")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--sources", required=True)
    p.add_argument("--per-source", type=int, default=1)
    p.add_argument("--go", required=True)
    p.add_argument("--timeout", type=float, default=120)
    a = p.parse_args()
    conns = {}
    reals = {}
    errors = []
    for src in a.sources.split(","):
        for i in range(a.per_source):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((src, 0))
            try:
                s.settimeout(5)
                s.connect((a.vip, a.port))
                name = f"{src}:{s.getsockname()[1]}"
                reals[name] = request(s, a.vip, a.path, 5)
                conns[name] = s
            except OSError as e:
                errors.append(f"{src}#{i}: {e}")
                s.close()
    print(json.dumps({"phase": 1, "open": len(conns), "reals": reals, "errors": errors}),
          flush=True)
    deadline = time.monotonic() + a.timeout
    while not os.path.exists(a.go):
        if time.monotonic() > deadline:
            print(json.dumps({"phase": 2, "error": "no go signal"}), flush=True)
            return 1
        time.sleep(0.05)
    broken, moved = [], []
    for name, s in conns.items():
        try:
            who = request(s, a.vip, a.path, 10)
            if who != reals[name]:
                moved.append(name)
        except OSError as e:
            broken.append(f"{name}: {e}")
        s.close()
    print(json.dumps({"phase": 2, "ok": len(conns) - len(broken) - len(moved), "broken": broken,
                      "moved": moved}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
