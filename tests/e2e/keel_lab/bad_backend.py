#!/usr/bin/python3
"""A scripted misbehaving backend for health-checker tests (reliability.md §2.3).

Usage: bad_backend.py ADDRESS PORT MODE [--log FILE] [--cert CERT --key KEY]

Serves every connection with one behaviour (MODE); with --log, appends a line with a
monotonic timestamp per accepted connection, so a test can see how often it is checked.
Every behaviour is bounded: a stream sends at most STREAM_CAP bytes and a drip lasts at
most DRIP_MAX seconds, then the connection closes.
"""

from __future__ import annotations

import argparse
import socket
import ssl
import sys
import threading
import time

BODY = b"keel real server\n"
STREAM_CAP = 64 << 20
DRIP_MAX = 60.0


def ok_response(body: bytes = BODY) -> bytes:
    return (b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


def stream(conn: socket.socket, head: bytes, chunk: bytes) -> None:
    conn.sendall(head)
    sent = 0
    while sent < STREAM_CAP:
        conn.sendall(chunk)
        sent += len(chunk)


def drip(conn: socket.socket, data: bytes, interval: float) -> None:
    end = time.monotonic() + DRIP_MAX
    for b in data:
        if time.monotonic() > end:
            return
        conn.sendall(bytes([b]))
        time.sleep(interval)


def rst(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def read_request(conn: socket.socket) -> None:
    data = b""
    conn.settimeout(5)
    try:
        while b"\r\n\r\n" not in data and len(data) < 65536:
            got = conn.recv(4096)
            if not got:
                return
            data += got
    except OSError:
        return


def serve(conn: socket.socket, mode: str) -> None:
    if mode == "silent":  # accept, never send, never close (until the peer does)
        conn.settimeout(DRIP_MAX)
        try:
            while conn.recv(4096):
                pass
        except OSError:
            pass
        return
    if mode == "rst_at_accept":
        rst(conn)
        return
    read_request(conn)
    if mode == "ok":
        conn.sendall(ok_response())
    elif mode == "status_404":
        conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    elif mode == "slow_drip":
        drip(conn, ok_response(), 1.0)
    elif mode == "rst_mid_headers":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Ty")
        time.sleep(0.05)
        rst(conn)
    elif mode == "garbage_status":
        conn.sendall(b"aa aaaaHTTP/1.1aa200 OK\r\n\r\n")
    elif mode == "status_2000":
        conn.sendall(b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n")
    elif mode == "huge_header":
        conn.sendall(b"HTTP/1.0 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n" + BODY)
    elif mode == "endless_headers":
        stream(conn, b"HTTP/1.0 200 OK\r\n", b"X-More: yes\r\n" * 256)
    elif mode == "endless_body":
        stream(conn, b"HTTP/1.0 200 OK\r\n\r\n", b"z" * 65536)
    elif mode == "conflicting_length":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 17\r\nContent-Length: 5\r\n\r\n" + BODY)
    elif mode == "short_body":
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n" + BODY)
    elif mode == "bad_chunked":
        conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n")
    elif mode == "wrong_digest":
        conn.sendall(ok_response(b"not the expected body\n"))
    else:
        raise SystemExit(f"bad_backend.py: unknown mode {mode}")


TLS_MODES = {"tls_ok", "tls_silent", "tls_garbage"}


def handle(conn: socket.socket, mode: str, tls: ssl.SSLContext | None) -> None:
    try:
        if mode == "tls_silent":  # TCP accepted, the handshake never answered
            serve(conn, "silent")
        elif mode == "tls_garbage":
            conn.recv(4096)
            conn.sendall(b"this is not a TLS ServerHello\r\n" * 64)
            time.sleep(1)
        elif mode == "tls_ok" and tls is not None:
            with tls.wrap_socket(conn, server_side=True) as s:
                serve(s, "ok")
        else:
            serve(conn, mode)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("address")
    ap.add_argument("port", type=int)
    ap.add_argument("mode")
    ap.add_argument("--log")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    tls = None
    if args.mode == "tls_ok":
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.cert, args.key)
    family = socket.AF_INET6 if ":" in args.address else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.address, args.port))
    srv.listen(128)
    print(f"bad_backend {args.mode} listening on {args.address}:{args.port}", flush=True)
    while True:
        conn, _ = srv.accept()
        if args.log:
            with open(args.log, "a") as f:
                f.write(f"{time.monotonic():.6f}\n")
        threading.Thread(target=handle, args=(conn, args.mode, tls), daemon=True).start()


if __name__ == "__main__":
    sys.exit(main())
