"""A tiny HTTP/1.0 client run *inside* a lab namespace (stdlib only, IPv4 and IPv6).

    httpget.py URL_HOST PORT PATH --count N [--timeout S] [--source ADDR] [--post-bytes B]
    httpget.py URL_HOST PORT PATH --keepalive-for S [--interval I]

Opens N connections one after another, each with a fresh source port, GETs PATH (or POSTs B
bytes of a fixed pattern to it) and prints one JSON line per connection: {"ok": bool,
"status": int, "len": int, "sha256": str, "sent_sha256": str, "body": first 200 bytes,
"error": str}. The real servers of the lab put their name into each
page, so a test learns which real answered. Every socket operation has a timeout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import socket
import sys


def pattern(n: int) -> bytes:
    """`n` bytes that are not a short repetition (so a dropped or reordered segment shows)."""
    return hashlib.shake_256(b"keel").digest(n) if n else b""


def get(host: str, port: int, path: str, timeout: float, source: str | None,
        post: bytes | None = None) -> dict:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            if source:
                s.bind((source, 0))
            s.connect((host, port))
            if post is None:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: keel\r\n\r\n".encode())
            else:
                s.sendall(f"POST {path} HTTP/1.0\r\nHost: keel\r\n"
                          f"Content-Length: {len(post)}\r\n\r\n".encode() + post)
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        raw = b"".join(chunks)
        head, _, body = raw.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        return {"ok": status == 200, "status": status, "len": len(body),
                "sha256": hashlib.sha256(body).hexdigest(),
                "sent_sha256": hashlib.sha256(post or b"").hexdigest(),
                "body": body[:200].decode(errors="replace"), "error": ""}
    except OSError as err:
        return {"ok": False, "status": 0, "len": 0, "sha256": "", "sent_sha256": "", "body": "",
                "error": f"{type(err).__name__}: {err}"}


def keepalive(host: str, port: int, path: str, timeout: float, seconds: float,
              interval: float) -> None:
    """One HTTP/1.1 connection, a GET every `interval` s for `seconds` s; one JSON line per
    response ({"ok", "status", "body", "error"}), stopping at the first error."""
    import time
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    end = time.monotonic() + seconds
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect((host, port))
            buf = b""
            while time.monotonic() < end:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: keel\r\n\r\n".encode())
                while b"\r\n\r\n" not in buf:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("connection closed")
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
                while len(buf) < length:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("connection closed")
                    buf += data
                body, buf = buf[:length], buf[length:]
                status = int(head.split(b" ", 2)[1])
                print(json.dumps({"ok": status == 200, "status": status,
                                  "body": body[:200].decode(errors="replace"), "error": ""}),
                      flush=True)
                time.sleep(interval)
    except (OSError, ValueError, IndexError) as err:
        print(json.dumps({"ok": False, "status": 0, "body": "",
                          "error": f"{type(err).__name__}: {err}"}), flush=True)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("path")
    p.add_argument("--count", type=int, default=1)
    p.add_argument("--timeout", type=float, default=3.0)
    p.add_argument("--source")
    p.add_argument("--post-bytes", type=int)
    p.add_argument("--keepalive-for", type=float, help="seconds of GETs on one connection")
    p.add_argument("--interval", type=float, default=0.2)
    a = p.parse_args()
    if a.keepalive_for is not None:
        keepalive(a.host, a.port, a.path, a.timeout, a.keepalive_for, a.interval)
        return 0
    post = pattern(a.post_bytes) if a.post_bytes is not None else None
    for _ in range(a.count):
        print(json.dumps(get(a.host, a.port, a.path, a.timeout, a.source, post)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
