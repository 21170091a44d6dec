"""HTTP_GET's regex and SSL_GET's SSL block against real nginx real servers (issue 18).

The lab of test_check_nginx.py (keel_lab.lb_lab): a director running keeld and nginx real
servers on one switch. Bounds come from keepalived's scheduling (docs/reference/keepalived.md
§3.2): a fault is noticed at the next run, at most delay_loop later, and the real is DOWN after
retry + 1 failed attempts, each at most connect_timeout, delay_before_retry apart; a real that
passes again is UP after its next run.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from keel_lab.lb_lab import LbLab, build_lb_lab
from keel_lab.util import wait_until

VIP = "198.18.0.100"
DELAY_LOOP, CONNECT_TIMEOUT, RETRY, DELAY_BEFORE_RETRY = 2, 2, 1, 1
SLACK = 3.0
DOWN_BOUND = (DELAY_LOOP + (RETRY + 1) * CONNECT_TIMEOUT + RETRY * DELAY_BEFORE_RETRY + SLACK)
UP_BOUND = max(DELAY_LOOP, DELAY_BEFORE_RETRY) + CONNECT_TIMEOUT + SLACK
START_BOUND = 1 + DELAY_LOOP + CONNECT_TIMEOUT + SLACK  # first run: 1 s + warmup, one attempt


def start_keeld(lb: LbLab, keel_build_dir, tmp_path, top: str, reals: str):
    conf = tmp_path / "keepalived.conf"
    conf.write_text(f"""global_defs {{
  router_id director
}}
{top}
virtual_server {VIP} 80 {{
  delay_loop {DELAY_LOOP}
  lb_algo rr
  lb_kind DR
  protocol TCP
{reals}}}
""")
    check = lb.director.run([str(keel_build_dir / "src/app/keeld"), "-t", "-f", str(conf)],
                            check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    lb.director.ip("addr", "add", f"{VIP}/32", "dev", "eth0")
    proc = lb.director.spawn([str(keel_build_dir / "src/app/keeld"), "-n", "-l", "-G",
                              "--runtime-dir", str(tmp_path / "run"), "-f", str(conf)])
    proc.wait_for_output(r"XDP program attached to eth0", timeout=15)
    return proc


def html_dir(lb: LbLab, i: int):
    return lb.lab.tmpdir / f"nginx-{lb.reals[i].short_name}" / "html"


def timing() -> str:
    return (f"      connect_timeout {CONNECT_TIMEOUT}\n      retry {RETRY}\n"
            f"      delay_before_retry {DELAY_BEFORE_RETRY}\n      log_all_failures\n")


def test_a_body_that_stops_matching_the_regex_takes_the_real_out(lab, keel_build_dir, tmp_path):
    lb = build_lb_lab(lab, reals=1)
    lb.start_nginx()
    state = html_dir(lb, 0) / "state.html"
    # Long enough that nginx's reply and keel's reads split it: the match is near the end.
    padding = "<!-- " + "x" * 20000 + " -->\n"
    state.write_text(padding + "<p>state: serving</p>\n")
    reals = f"""  real_server {lb.real_addr(0)} 80 {{
    HTTP_GET {{
      url {{
        path /state.html
        regex "state: (serving|degraded)"
        regex_min_offset 100
      }}
{timing()}    }}
  }}
"""
    proc = start_keeld(lb, keel_build_dir, tmp_path, "", reals)
    rs = re.escape(f"[{lb.real_addr(0)}]:tcp:80")
    proc.wait_for_output(r"HTTP_GET on service " + rs + " succeeded", timeout=START_BOUND)

    state.write_text(padding + "<p>state: draining</p>\n")
    changed = time.monotonic()
    proc.wait_for_output(r"Removing service " + rs, timeout=DOWN_BOUND)
    assert time.monotonic() - changed <= DOWN_BOUND
    assert "body does not match regex" in proc.output()

    state.write_text(padding + "<p>state: degraded</p>\n")
    changed = time.monotonic()
    proc.wait_for_output(r"Adding service " + rs, timeout=UP_BOUND)
    assert time.monotonic() - changed <= UP_BOUND


def test_regex_no_match_takes_the_real_out_when_the_body_matches(lab, keel_build_dir, tmp_path):
    lb = build_lb_lab(lab, reals=1)
    lb.start_nginx()
    state = html_dir(lb, 0) / "state.html"
    state.write_text("<p>all good</p>\n")
    reals = f"""  real_server {lb.real_addr(0)} 80 {{
    HTTP_GET {{
      url {{
        path /state.html
        regex "MAINTENANCE"
        regex_no_match
        regex_options caseless
      }}
{timing()}    }}
  }}
"""
    proc = start_keeld(lb, keel_build_dir, tmp_path, "", reals)
    rs = re.escape(f"[{lb.real_addr(0)}]:tcp:80")
    proc.wait_for_output(r"HTTP_GET on service " + rs + " succeeded", timeout=START_BOUND)
    state.write_text("<p>down for maintenance</p>\n")
    proc.wait_for_output(r"Removing service " + rs, timeout=DOWN_BOUND)
    assert "(regex_no_match)" in proc.output()


def openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def make_pki(d: Path) -> dict[str, str]:
    """A CA, nginx's certificate and the checker's client certificate (key encrypted) signed by
    it, and a second CA that signed nothing of these."""
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", *ec, "-nodes", "-keyout", str(d / f"{ca}.key"), "-out",
                str(d / f"{ca}.pem"), "-days", "1", "-subj", f"/CN=keel e2e {ca}")
    for name, key_opts in (("server", ["-nodes"]), ("client", ["-passout", "pass:s3cret"])):
        openssl("req", *ec, *key_opts, "-keyout", str(d / f"{name}.key"), "-out",
                str(d / f"{name}.csr"), "-subj", f"/CN=keel e2e {name}")
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA", str(d / "ca.pem"),
                "-CAkey", str(d / "ca.key"), "-CAcreateserial", "-out", str(d / f"{name}.pem"),
                "-days", "1")
    return {n: str(d / n) for n in ("ca.pem", "other-ca.pem", "server.pem", "server.key",
                                    "client.pem", "client.key")}


NGINX_TLS = """user root;
worker_processes 1;
pid {dir}/nginx-tls.pid;
error_log {dir}/error-tls.log warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  server {{
    listen 443 ssl;
    ssl_certificate {server_pem};
    ssl_certificate_key {server_key};
    ssl_client_certificate {ca};
    ssl_verify_client on;
    root {dir}/html;
    location / {{ }}
  }}
}}
"""


def start_tls_nginx(lb: LbLab, pki: dict[str, str]) -> None:
    """nginx on rs1:443 that serves only clients with a certificate its CA signed."""
    real = lb.reals[0]
    d = lb.lab.tmpdir / f"nginx-{real.short_name}"
    conf = d / "nginx-tls.conf"
    conf.write_text(NGINX_TLS.format(dir=d, server_pem=pki["server.pem"],
                                     server_key=pki["server.key"], ca=pki["ca.pem"]))
    lb.nginx[real.short_name + "-tls"] = real.spawn(["nginx", "-c", str(conf), "-g",
                                                      "daemon off;"])
    wait_until(lambda: real.run(["ss", "-ltn", "sport = :443"]).stdout.count("LISTEN") > 0,
               timeout=10, what="nginx listens on 443")


def ssl_real(lb: LbLab) -> str:
    return f"""  real_server {lb.real_addr(0)} 80 {{
    SSL_GET {{
      connect_port 443
      url {{
        path /index.html
      }}
{timing()}    }}
  }}
"""


@pytest.mark.parametrize("ssl_block, why", [
    ("ca {ca} certificate {cert} key {key} password s3cret", None),
    ("ca {ca}", "HTTP status code 400"),  # nginx: no required SSL certificate was sent
    ("ca {other_ca} certificate {cert} key {key} password s3cret", "certificate verify failed"),
])
def test_ssl_get_presents_the_client_certificate_and_verifies_the_real(
        lab, keel_build_dir, tmp_path, ssl_block, why):
    lb = build_lb_lab(lab, reals=1)
    lb.start_nginx()
    pki = make_pki(tmp_path / "pki")
    start_tls_nginx(lb, pki)
    block = ssl_block.format(ca=pki["ca.pem"], other_ca=pki["other-ca.pem"],
                             cert=pki["client.pem"], key=pki["client.key"])
    top = "SSL {\n  " + "\n  ".join(re.findall(r"\S+ \S+", block)) + "\n}"
    proc = start_keeld(lb, keel_build_dir, tmp_path, top, ssl_real(lb))
    rs = re.escape(f"[{lb.real_addr(0)}]:tcp:80")
    if why is None:
        proc.wait_for_output(r"SSL_GET on service " + rs + " succeeded", timeout=START_BOUND)
        time.sleep(DELAY_LOOP + CONNECT_TIMEOUT)  # a few more runs: it stays in service
        assert "Removing service" not in proc.output()
    else:
        proc.wait_for_output(r"Removing service " + rs, timeout=START_BOUND)
        assert "succeeded" not in proc.output()
        assert why in proc.output()
