"""Peer configurations the benchmarks share, so every comparison runs the same HAProxy."""
from __future__ import annotations


def haproxy_tcp(bind: str, servers: list[str]) -> str:
    """HAProxy 2.6 in TCP mode: round robin from `bind` ("ADDR:PORT") over `servers`."""
    lines = ["global", "  maxconn 4000", "  nbthread 2", "defaults", "  mode tcp",
             "  timeout connect 3s", "  timeout client 30s", "  timeout server 30s",
             "frontend f", f"  bind {bind}", "  default_backend b", "backend b",
             "  balance roundrobin"]
    lines += [f"  server s{i + 1} {server}" for i, server in enumerate(servers)]
    return "\n".join(lines) + "\n"
