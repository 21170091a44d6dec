"""The proxy data plane end to end on loopback (docs/dataplane.md, "The proxy data plane"):
keeld with `keel_dataplane proxy` in front of backends that this test serves from threads on
127.0.0.1, on ports chosen free at run time. Each test starts its own keeld and stops it (and its
backends) also on failure.

Counts are exact, not statistical: the proxy schedules every connection with the core
schedulers under one lock per service, so rr alternates and wrr follows its weights exactly.
"""

from __future__ import annotations

import collections
import hashlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from keel_lab.util import wait_until

LO = "127.0.0.1"
CONF = """global_defs {{
  router_id proxy-test
  keel_dataplane proxy
  keel_proxy_workers 2
}}
virtual_server {lo} {port} {{
  lb_algo {algo}
  lb_kind NAT
  protocol {proto}
{extra}
{reals}
}}
"""
REAL = """  real_server {lo} {port} {{
    weight {weight}{check}
  }}"""
TCP_CHECK = """
    TCP_CHECK {
      connect_timeout 1
    }"""
IO_TIMEOUT = 10.0
MIB = 1 << 20


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LO, 0))
        return s.getsockname()[1]


def recv_all(sock: socket.socket) -> bytes:
    out = bytearray()
    while chunk := sock.recv(1 << 16):
        out += chunk
    return bytes(out)


def pattern(n: int) -> bytes:
    """n deterministic bytes (SHA-256 chained), so a shifted or dropped block is noticed."""
    block = hashlib.sha256(b"keel").digest() * 2048  # 64 KiB
    return (block * (n // len(block) + 1))[:n]


class Backend:
    """A TCP real server in threads. A connection's first line says what it wants:
    NAME (reply the name, close), ECHO (echo until EOF), SINK (read to EOF, reply the sha256),
    SOURCE n (send pattern(n), close)."""

    def __init__(self, name: str):
        self.name = name
        self.sock = socket.create_server((LO, 0))
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c: socket.socket):
        try:
            f = c.makefile("rb")
            line = f.readline().decode().split()
            if not line:
                return
            if line[0] == "NAME":
                c.sendall(self.name.encode())
            elif line[0] == "ECHO":
                c.sendall(self.name.encode() + b"\n")
                while chunk := f.read1(1 << 16):
                    c.sendall(chunk)
            elif line[0] == "SINK":
                h = hashlib.sha256()
                while chunk := f.read1(1 << 16):
                    h.update(chunk)
                c.sendall(h.hexdigest().encode())
            elif line[0] == "SOURCE":
                c.sendall(pattern(int(line[1])))
            c.shutdown(socket.SHUT_WR)
            recv_all(c)
        except OSError:
            pass
        finally:
            c.close()

    def kill(self):
        """Gone mid-stream: the listener and every open connection close at once (shutdown
        first: a close alone leaves the socket listening while accept() blocks on it)."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()


class UdpBackend:
    """A UDP real server: answers each datagram with its name and the datagram."""

    def __init__(self, name: str):
        self.name = name
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LO, 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(65536)
                self.sock.sendto(self.name.encode() + b" " + data, peer)
            except OSError:
                return


class Keeld:
    def __init__(self, build_dir: Path, workdir: Path, conf: str, user: str | None):
        self.workdir = workdir
        self.conf = workdir / "keepalived.conf"
        self.conf.write_text(conf)
        self.log = workdir / "keeld.log"
        self.run_dir = workdir / "run"
        argv = [str(build_dir / "src/app/keeld"), "-n", "-l", "--runtime-dir", str(self.run_dir),
                "--instance", "t", "-f", str(self.conf)]
        if user:
            argv = ["setpriv", "--reuid", user, "--regid", "nogroup", "--clear-groups", *argv]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, regex: str, timeout: float = 10.0, after: int = 0) -> None:
        wait_until(lambda: re.search(regex, self.output()[after:]), timeout=timeout,
                   what=f"keeld printing {regex!r}")

    def reload(self, conf: str) -> None:
        mark = len(self.output())
        self.conf.write_text(conf)
        self.proc.send_signal(signal.SIGHUP)
        self.wait_for(r"Reload", after=mark)

    def stats(self) -> str:
        path = self.run_dir / "t" / "keel.stats"
        path.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR2)
        wait_until(lambda: path.exists() and "data plane" in path.read_text(), timeout=5,
                   what="keel.stats")
        return path.read_text()

    def counter(self, name: str) -> int:
        m = re.search(rf"^ {name} (\d+)$", self.stats(), re.M)
        return int(m.group(1)) if m else -1

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


@pytest.fixture
def env(keel_build_dir):
    """A world-readable work directory (keeld may run as nobody) and the keelds started in it."""
    workdir = Path(tempfile.mkdtemp(prefix="keel-proxy-"))
    workdir.chmod(0o1777)  # sticky: keeld refuses a runtime dir under one others may change
    started: list[Keeld] = []

    def start(conf: str, user: str | None = None, ready: str = r"Proxy data plane started") -> Keeld:
        k = Keeld(keel_build_dir, workdir, conf, user)
        started.append(k)
        k.wait_for(ready)
        return k

    yield start
    for k in started:
        k.stop()
    for k in started:
        if k.proc.returncode not in (0, -signal.SIGTERM):
            print(k.output())
    shutil.rmtree(workdir, ignore_errors=True)


def conf(vport: int, reals: list, algo: str = "rr", proto: str = "TCP", extra: str = "",
         weights: list[int] | None = None, check: str = "") -> str:
    weights = weights or [1] * len(reals)
    text = "\n".join(REAL.format(lo=LO, port=r.port, weight=w, check=check)
                     for r, w in zip(reals, weights))
    return CONF.format(lo=LO, port=vport, algo=algo, proto=proto, extra=extra, reals=text)


def connect(vport: int, source: str = LO) -> socket.socket:
    s = socket.socket()
    s.settimeout(IO_TIMEOUT)
    s.bind((source, 0))
    s.connect((LO, vport))
    return s


def ask_name(vport: int) -> str:
    with connect(vport) as s:
        s.sendall(b"NAME\n")
        return recv_all(s).decode()


def echo_streams(vport: int, count: int) -> dict[str, socket.socket]:
    """`count` connections through the proxy in echo mode, by the name of the backend that took
    each (rr over distinct backends gives one each)."""
    streams = {}
    for _ in range(count):
        s = connect(vport)
        s.sendall(b"ECHO\n")
        streams[s.recv(2).decode().strip()] = s
    return streams


def wait_serving(vport: int) -> None:
    def ok():
        try:
            return ask_name(vport) != ""
        except OSError:
            return False
    wait_until(ok, timeout=10, what=f"the proxy answering on {vport}")


def test_quickstart_forwards_as_nobody(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    k = env(conf(vport, [a, b], check=TCP_CHECK, extra="  delay_loop 1"), user="nobody")
    k.wait_for(r"TCP connection to \[127.0.0.1\]:tcp:%d success" % b.port)
    k.wait_for(r"TCP connection to \[127.0.0.1\]:tcp:%d success" % a.port)
    assert "Not running as root" not in k.output()  # keel_dataplane proxy chose it
    names = [ask_name(vport) for _ in range(4)]
    assert sorted(names) == ["a", "a", "b", "b"]
    assert "Proxy data plane" in k.stats()


@pytest.mark.parametrize("algo,weights,n,expect", [
    ("rr", [1, 1], 20, {"a": 10, "b": 10}),
    ("wrr", [3, 1], 40, {"a": 30, "b": 10}),
])
def test_scheduler_distribution_is_exact(env, algo, weights, n, expect):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    env(conf(vport, [a, b], algo=algo, weights=weights))
    wait_serving(vport)
    names = [ask_name(vport) for _ in range(n)]
    assert dict(collections.Counter(names)) == expect
    if algo == "rr":
        assert all(x != y for x, y in zip(names, names[1:])), names


def test_lc_avoids_the_real_holding_a_connection(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    env(conf(vport, [a, b], algo="lc"))
    wait_serving(vport)
    held = connect(vport)
    held.sendall(b"ECHO\n")
    busy = held.recv(2).decode().strip()
    names = [ask_name(vport) for _ in range(10)]
    assert set(names) == ({"a", "b"} - {busy}), (busy, names)
    held.close()


def test_persistence_keeps_a_client_on_one_real(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    env(conf(vport, [a, b], extra="  persistence_timeout 30"))
    wait_serving(vport)
    names = [ask_name(vport) for _ in range(10)]
    assert len(set(names)) == 1, names


def test_weight_zero_drains_on_reload(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    k = env(conf(vport, [a, b]))
    wait_serving(vport)
    held = []
    for _ in range(2):
        s = connect(vport)
        s.sendall(b"ECHO\n")
        held.append((s, s.recv(2).decode().strip()))
    assert {name for _, name in held} == {"a", "b"}
    k.reload(conf(vport, [a, b], weights=[0, 1]))
    k.wait_for(r"Reload")
    wait_until(lambda: all(ask_name(vport) == "b" for _ in range(4)), timeout=5,
               what="new connections only to b")
    assert {ask_name(vport) for _ in range(10)} == {"b"}
    for s, _ in held:  # existing connections, a's included, carry on
        s.sendall(b"still here")
        assert s.recv(64) == b"still here"
        s.close()


def test_removed_real_loses_its_connections(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    k = env(conf(vport, [a, b]))
    wait_serving(vport)
    streams = echo_streams(vport, 2)
    k.reload(conf(vport, [b]))
    assert recv_all(streams["a"]) == b""  # closed by keeld (the backend is still up)
    streams["b"].sendall(b"ping")
    assert streams["b"].recv(16) == b"ping"
    assert k.counter("real_removed") == 1
    for s in streams.values():
        s.close()


def test_backend_killed_mid_stream(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    k = env(conf(vport, [a, b]))
    wait_serving(vport)
    streams = echo_streams(vport, 2)
    a.kill()
    assert recv_all(streams["a"]) == b""  # the client sees the close
    streams["b"].sendall(b"ping")
    assert streams["b"].recv(16) == b"ping"
    assert {ask_name(vport) for _ in range(6)} == {"b"}  # refused on a: retried on b
    assert k.counter("connect_retried") >= 1
    for s in streams.values():
        s.close()


def test_large_transfers_are_byte_exact_both_ways(env):
    a = Backend("a")
    vport = free_port()
    env(conf(vport, [a]))
    wait_serving(vport)
    size = 64 * MIB
    data = pattern(size)
    with connect(vport) as s:
        s.settimeout(60)
        s.sendall(b"SINK\n")
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)  # the half-close reaches the backend after every byte
        assert recv_all(s).decode() == hashlib.sha256(data).hexdigest()
    with connect(vport) as s:
        s.settimeout(60)
        s.sendall(b"SOURCE %d\n" % size)
        got = recv_all(s)
        assert len(got) == size
        assert hashlib.sha256(got).digest() == hashlib.sha256(data).digest()


def test_download_after_the_clients_half_close_arrives_whole(env):
    """The client half-closes after its request; keeld passes the EOF on, the backend sends its
    answer and closes, so its socket reports HUP while most of the answer is still queued."""
    a = Backend("a")
    vport = free_port()
    env(conf(vport, [a]))
    wait_serving(vport)
    size = 16 * MIB
    with connect(vport) as s:
        s.settimeout(60)
        s.sendall(b"SOURCE %d\n" % size)
        s.shutdown(socket.SHUT_WR)
        got = recv_all(s)
    assert len(got) == size
    assert hashlib.sha256(got).digest() == hashlib.sha256(pattern(size)).digest()


def test_udp_sessions(env):
    a, b = UdpBackend("a"), UdpBackend("b")
    vport = free_port(socket.SOCK_DGRAM)
    env(conf(vport, [a, b], proto="UDP"))
    clients = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(4)]
    try:
        names = []
        for i, c in enumerate(clients):
            c.settimeout(IO_TIMEOUT)
            c.bind((LO, 0))
            got = set()
            for j in range(3):
                payload = b"%d-%d" % (i, j)
                c.sendto(payload, (LO, vport))
                data, peer = c.recvfrom(65536)
                assert peer == (LO, vport)  # the reply comes from the VIP
                name, echoed = data.split(b" ", 1)
                assert echoed == payload
                got.add(name.decode())
            assert len(got) == 1  # one session, one real
            names.append(got.pop())
        assert collections.Counter(names) == {"a": 2, "b": 2}
    finally:
        for c in clients:
            c.close()


def test_reload_under_load_refuses_nothing(env):
    a, b = Backend("a"), Backend("b")
    vport = free_port()
    k = env(conf(vport, [a, b]))
    wait_serving(vport)
    stop = threading.Event()
    results = collections.Counter()

    def load():
        while not stop.is_set():
            try:
                results["ok" if ask_name(vport) in ("a", "b") else "empty"] += 1
            except OSError as e:
                results[f"error {e}"] += 1

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for w in ([2, 1], [1, 2], [1, 1]):
            k.reload(conf(vport, [a, b], weights=w))
            k.wait_for(r"Reload")
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=IO_TIMEOUT)
    assert results["ok"] > 0 and set(results) == {"ok"}, results


def test_idle_connection_flood_is_capped_and_good_clients_served(env):
    per_client = 256  # Limits::max_conns_per_client
    flood = 600
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), max(hard, 4096)))
    a = Backend("a")
    vport = free_port()
    k = env(conf(vport, [a]))
    wait_serving(vport)
    idle = []
    try:
        for _ in range(flood):
            idle.append(connect(vport))
        # The proxy accepts the excess and closes it at once, counting each.
        wait_until(lambda: k.counter("drop_client_limit") >= flood - per_client, timeout=10,
                   what="the excess connections refused")
        open_count = 0
        for s in idle:
            s.setblocking(False)
            try:
                open_count += 0 if s.recv(1) == b"" else 1
            except BlockingIOError:
                open_count += 1
            except OSError:
                pass
        assert open_count <= per_client
        with connect(vport, source="127.0.0.2") as s:  # another client is still served
            s.sendall(b"NAME\n")
            assert recv_all(s) == b"a"
    finally:
        for s in idle:
            s.close()


def test_udp_sessions_of_one_client_are_capped_and_others_served(env):
    """250 datagrams from one host on distinct ports took a keeld with `ulimit -n 200` to its
    limit (issue 16): now one client address holds at most max_udp_sessions_per_client (256)
    sessions, the rest of its datagrams are dropped and counted, and another client is served."""
    per_client = 256  # Limits::max_udp_sessions_per_client
    flood = 300
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 4096), max(hard, 4096)))
    a = UdpBackend("a")
    vport = free_port(socket.SOCK_DGRAM)
    k = env(conf(vport, [a], proto="UDP"))
    socks = []
    try:
        for i in range(flood):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((LO, 0))
            socks.append(s)
            s.sendto(b"flood %d" % i, (LO, vport))
        wait_until(lambda: k.counter("drop_udp_client_limit") >= flood - per_client, timeout=10,
                   what="the excess sessions refused")
        assert k.counter("drop_udp_client_limit") == flood - per_client
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
            other.settimeout(IO_TIMEOUT)
            other.bind(("127.0.0.2", 0))
            other.sendto(b"hello", (LO, vport))
            data, _ = other.recvfrom(65536)
            assert data == b"a hello"
    finally:
        for s in socks:
            s.close()


# A backend for the namespace test: answers "NAME\n" with "a" and holds every other connection.
ASYNC_BACKEND = """
import asyncio, sys
async def serve(reader, writer):
    line = await reader.readline()
    if line == b"NAME\\n":
        writer.write(b"a")
        await writer.drain()
    else:
        await reader.read()
    writer.close()
async def main():
    server = await asyncio.start_server(serve, "::1", int(sys.argv[1]), backlog=1024)
    print("listening", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""

# Opens argv[3] connections to [::1]:argv[1] from addresses of the /64 argv[2] and holds them.
HOLD_CLIENTS = """
import socket, sys, time
socks = []
for i in range(1, int(sys.argv[3]) + 1):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, 78, 1)  # IPV6_FREEBIND: any address of the local /48
    s.bind((f"{sys.argv[2]}{i:x}", 0))
    s.connect(("::1", int(sys.argv[1])))
    socks.append(s)
print("opened", len(socks), flush=True)
time.sleep(120)
"""

# One request from argv[2] to [::1]:argv[1]; prints the answer.
ASK_NAME = """
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.IPPROTO_IPV6, 78, 1)
s.settimeout(10)
s.bind((sys.argv[2], 0))
s.connect(("::1", int(sys.argv[1])))
s.sendall(b"NAME\\n")
print(s.recv(16).decode(), flush=True)
"""


def test_tcp_connections_of_one_ipv6_slash_64_are_capped_and_others_served(
        lab, keel_build_dir, tmp_path):
    """One IPv6 host owns a /64: 300 connections from 300 addresses of one /64 count as one
    client (max_conns_per_client 256, keyed on /64 by default), while a client of another /64 is
    served. Runs in a namespace of its own, where 2001:db8:9::/48 is routed locally."""
    if os.geteuid() != 0:
        pytest.skip("needs root")
    per_client = 256  # Limits::max_conns_per_client
    flood = 300
    h = lab.host("p6")
    h.ip("-6", "route", "add", "local", "2001:db8:9::/48", "dev", "lo")
    backend_port, vport = 8081, 8080
    backend = h.spawn([sys.executable, "-c", ASYNC_BACKEND, str(backend_port)])
    backend.wait_for_output("listening")
    conf_file = tmp_path / "keepalived.conf"
    conf_file.write_text(
        "global_defs {\n  keel_dataplane proxy\n  keel_proxy_workers 2\n}\n"
        f"virtual_server ::1 {vport} {{\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
        f"  real_server ::1 {backend_port} {{\n    weight 1\n  }}\n}}\n")
    run_dir = tmp_path / "run"
    keeld = h.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G", "--runtime-dir",
                     str(run_dir), "--instance", "t", "-f", str(conf_file)])
    keeld.wait_for_output("Proxy data plane started")
    wait_until(lambda: h.run([sys.executable, "-c", ASK_NAME, str(vport), "2001:db8:9:2::1"],
                             check=False).stdout.strip() == "a",
               timeout=10, what="the proxy answering")
    holder = h.spawn([sys.executable, "-c", HOLD_CLIENTS, str(vport), "2001:db8:9:1::", str(flood)])
    holder.wait_for_output(f"opened {flood}", timeout=20)

    def counter(name: str) -> int:
        stats = run_dir / "t" / "keel.stats"
        stats.unlink(missing_ok=True)
        keeld.send_signal(signal.SIGUSR2)
        wait_until(lambda: stats.exists() and "data plane" in stats.read_text(), timeout=5,
                   what="keel.stats")
        m = re.search(rf"^ {name} (\d+)$", stats.read_text(), re.M)
        return int(m.group(1)) if m else -1

    wait_until(lambda: counter("drop_client_limit") >= flood - per_client, timeout=10,
               what="the excess connections refused")
    assert counter("drop_client_limit") == flood - per_client
    answer = h.run([sys.executable, "-c", ASK_NAME, str(vport), "2001:db8:9:2::1"]).stdout
    assert answer.strip() == "a"  # another /64 is another client
