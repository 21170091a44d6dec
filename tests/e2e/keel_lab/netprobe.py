"""Tiny network probes run *inside* lab namespaces (stdlib only, IPv4).

The machine has no ping or nc, so the lab ships its own:

    netprobe.py ping ADDR [--count N] [--timeout S]   exit 0 if any echo reply came back
    netprobe.py serve ADDR PORT [--banner TEXT]       TCP server: prints "listening ADDR:PORT",
                                                      then answers each connection with
                                                      BANNER + newline and closes it
    netprobe.py connect ADDR PORT [--timeout S]       TCP client: prints what the server sent

Use `probe_cmd(...)` to build the argv for `Host.run` / `Host.spawn`.
"""

from __future__ import annotations

import argparse
import os
import select
import socket
import struct
import sys
import time

ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY = 8, 0


def probe_cmd(*args: str) -> list[str]:
    """argv that runs this module as a script with the current interpreter."""
    return [sys.executable, os.path.abspath(__file__), *args]


def _checksum(data: bytes) -> int:
    """RFC 1071 internet checksum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _echo_request(ident: int, seq: int) -> bytes:
    """An ICMP echo request with a small payload and a valid checksum."""
    payload = b"keel-netprobe"
    header = struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    csum = _checksum(header + payload)
    return struct.pack("!BBHHH", ICMP_ECHO_REQUEST, 0, csum, ident, seq) + payload


def _is_reply(packet: bytes, addr: str, ident: int, seq: int, src: str) -> bool:
    """True if the raw IPv4 packet is the echo reply from `addr` to our request."""
    ihl = (packet[0] & 0x0F) * 4
    if src != addr or len(packet) < ihl + 8:
        return False
    kind, _code, _csum, r_ident, r_seq = struct.unpack("!BBHHH", packet[ihl:ihl + 8])
    return kind == ICMP_ECHO_REPLY and r_ident == ident and r_seq == seq


def ping(addr: str, count: int, timeout: float) -> bool:
    """Send `count` echo requests, each waiting up to `timeout` s; True if any was answered."""
    ident = os.getpid() & 0xFFFF
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sock:
        for seq in range(1, count + 1):
            try:
                sock.sendto(_echo_request(ident, seq), (addr, 0))
            except OSError as err:  # e.g. network unreachable: no route at all
                print(f"ping {addr}: {err}", file=sys.stderr)
                continue
            deadline = time.monotonic() + timeout
            while (remaining := deadline - time.monotonic()) > 0:
                if not select.select([sock], [], [], remaining)[0]:
                    break
                packet, (src, _) = sock.recvfrom(2048)
                if _is_reply(packet, addr, ident, seq, src):
                    print(f"reply from {addr} seq={seq}")
                    return True
    print(f"ping {addr}: no reply", file=sys.stderr)
    return False


def serve(addr: str, port: int, banner: str) -> None:
    """Accept connections forever, greeting each with `banner` (stop with a signal)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind((addr, port))
        srv.listen(64)
        print(f"listening {addr}:{port}", flush=True)
        while True:
            conn, peer = srv.accept()
            with conn:
                conn.sendall(banner.encode() + b"\n")
            print(f"served {peer[0]}:{peer[1]}", flush=True)


def connect(addr: str, port: int, timeout: float) -> None:
    """Connect, print everything the server sends until it closes."""
    with socket.create_connection((addr, port), timeout=timeout) as conn:
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
    sys.stdout.write(b"".join(chunks).decode(errors="replace"))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_ping = sub.add_parser("ping")
    p_ping.add_argument("addr")
    p_ping.add_argument("--count", type=int, default=1)
    p_ping.add_argument("--timeout", type=float, default=2.0)
    p_serve = sub.add_parser("serve")
    p_serve.add_argument("addr")
    p_serve.add_argument("port", type=int)
    p_serve.add_argument("--banner", default="keel-netprobe")
    p_conn = sub.add_parser("connect")
    p_conn.add_argument("addr")
    p_conn.add_argument("port", type=int)
    p_conn.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    if args.cmd == "ping":
        return 0 if ping(args.addr, args.count, args.timeout) else 1
    if args.cmd == "serve":
        serve(args.addr, args.port, args.banner)
    else:
        connect(args.addr, args.port, args.timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
