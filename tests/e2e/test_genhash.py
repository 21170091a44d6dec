"""keeld --genhash (keepalived's genhash): the MD5 of a url's body, against a loopback HTTP
server, compared with Python's own hashlib; and the failure path's exit code and message.

Loopback only: no namespace is needed.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import subprocess
import threading

import pytest

BODY = b"<html><body>keel genhash test \x00\xff binary too</body></html>\n" * 50


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (the stdlib's name)
        self.server.requests.append((self.path, self.headers.get("Host"),
                                     self.headers.get("User-Agent")))
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.requests = []
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join(timeout=10)


def genhash(build_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(build_dir / "src/app/keeld"), "--genhash", *args],
                          capture_output=True, text=True, timeout=30)


def test_genhash_prints_the_md5_of_the_body(keel_build_dir, server):
    port = server.server_address[1]
    out = genhash(keel_build_dir, "-s", "127.0.0.1", "-p", str(port), "-u", "/check?x=1")
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"MD5SUM = {hashlib.md5(BODY).hexdigest()}\n"
    assert server.requests == [("/check?x=1", f"127.0.0.1:{port}", "KeepAliveClient")]


def test_genhash_sends_the_virtualhost(keel_build_dir, server):
    port = server.server_address[1]
    out = genhash(keel_build_dir, "-s", "127.0.0.1", "-p", str(port), "-u", "/",
                  "-V", "www.example")
    assert out.returncode == 0, out.stderr
    assert server.requests[0][1] == "www.example"


def test_genhash_fails_with_exit_1_and_a_reason(keel_build_dir):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = genhash(keel_build_dir, "-s", "127.0.0.1", "-p", str(port), "-u", "/", "-t", "2")
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr == "keeld: genhash: connect: Connection refused\n"
