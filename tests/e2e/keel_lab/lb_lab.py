"""A load-balancing lab: a client, a director and real servers running nginx on one switch,
for the data-plane tests (tests/e2e/test_xdp.py) and the demos.

    lb = build_lb_lab(lab, reals=2)           # addresses in 198.18.0.0/24 and 2001:db8:18::/64
    lb.start_nginx()                          # each real serves /index.html naming itself
    lb.accept_vip_redirect(lb.reals[0], VIP)  # or lb.accept_vip_on_lo(real, VIP)
    results = lb.get(VIP, "/index.html", count=50)

Built for XDP on veth (docs/dataplane.md): the switch port of the director runs an XDP_PASS
program, since a frame an XDP program sends back out of a veth is lost unless the peer runs XDP
too; and every host's eth0 has tx checksum offload off, since a veth sender leaves TCP checksums
to offload and a forwarded segment would arrive with a bad one.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .host import Host, Link, Switch
from .httpget import pattern
from .lab import Lab
from .util import run_cmd, wait_until

NET4 = "198.18.0"
NET6 = "2001:db8:18::"
CLIENT_NAT4 = f"{NET4}.20"      # the client's source for NAT services (reals route it back)
CLIENT_NAT6 = f"{NET6}20"

XDP_PASS_C = """
#include <linux/bpf.h>
__attribute__((section("xdp"), used)) int keel_lab_pass(struct xdp_md* ctx) { return XDP_PASS; }
char LICENSE[] __attribute__((section("license"), used)) = "GPL";
"""

NGINX_ECHO_MODULE = Path("/usr/lib/nginx/modules/ngx_http_echo_module.so")

NGINX_CONF = """{load_echo}
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  default_type application/octet-stream;
  client_body_temp_path {dir}/tmp/body;
  proxy_temp_path {dir}/tmp/proxy;
  fastcgi_temp_path {dir}/tmp/fastcgi;
  uwsgi_temp_path {dir}/tmp/uwsgi;
  scgi_temp_path {dir}/tmp/scgi;
  client_max_body_size 16m;
  client_body_buffer_size 16m;
  server {{
    listen 80;
    listen [::]:80;
    root {dir}/html;
    location / {{ }}
    {echo_location}
  }}
}}
"""


def xdp_pass_object(lab: Lab) -> Path:
    """An XDP program that passes every frame, compiled into the lab's temp dir."""
    obj = lab.tmpdir / "xdp_pass.o"
    if not obj.exists():
        src = lab.tmpdir / "xdp_pass.c"
        src.write_text(XDP_PASS_C)
        clang = shutil.which("clang-14") or shutil.which("clang") or "clang"
        run_cmd([clang, "-target", "bpf", "-O2", "-I/usr/include/x86_64-linux-gnu", "-c",
                 str(src), "-o", str(obj)])
    return obj


@dataclass
class LbLab:
    lab: Lab
    switch: Switch
    client: Host
    director: Host
    reals: list[Host]
    director_link: Link
    directors: list[Host] = field(default_factory=list)  # director, then any standby (.3, ...)
    nginx: dict[str, object] = field(default_factory=dict)

    # -- addresses ------------------------------------------------------------
    @staticmethod
    def addr4(host_no: int) -> str:
        return f"{NET4}.{host_no}"

    @staticmethod
    def addr6(host_no: int) -> str:
        return f"{NET6}{host_no}"

    def real_addr(self, i: int, v6: bool = False) -> str:
        return self.addr6(11 + i) if v6 else self.addr4(11 + i)

    @property
    def director_addr4(self) -> str:
        return self.addr4(2)

    @property
    def director_addr6(self) -> str:
        return self.addr6(2)

    # -- real servers ---------------------------------------------------------
    def page(self, i: int) -> str:
        return f"real server rs{i + 1}\n"

    def start_nginx(self, big_file_bytes: int = 0) -> None:
        """nginx on every real: /index.html names the real; /big.bin (if asked) is the same
        `big_file_bytes` of httpget.pattern() on every real."""
        big = pattern(big_file_bytes)
        for i, real in enumerate(self.reals):
            d = self.lab.tmpdir / f"nginx-{real.short_name}"
            (d / "html").mkdir(parents=True, exist_ok=True)
            (d / "tmp").mkdir(exist_ok=True)
            (d / "html" / "index.html").write_text(self.page(i))
            if big_file_bytes:
                (d / "html" / "big.bin").write_bytes(big)
            conf = d / "nginx.conf"
            echo = NGINX_ECHO_MODULE.exists()
            conf.write_text(NGINX_CONF.format(
                dir=d, load_echo=f"load_module {NGINX_ECHO_MODULE};" if echo else "",
                echo_location="location /echo { echo_read_request_body; echo_request_body; }"
                if echo else ""))
            self.nginx[real.short_name] = real.spawn(
                ["nginx", "-c", str(conf), "-g", "daemon off;"])
        for i, real in enumerate(self.reals):
            wait_until(lambda i=i: self.get(self.real_addr(i), "/index.html", count=1,
                                            host=self.client)[0]["ok"],
                       timeout=10, what=f"nginx on {real.name}")

    def accept_vip_redirect(self, real: Host, vip: str) -> None:
        """The seed's way: the real does not own the VIP; netfilter redirects it to itself."""
        tool = "ip6tables" if ":" in vip else "iptables"
        real.run([tool, "-t", "nat", "-A", "PREROUTING", "-d", vip, "-p", "tcp", "-j",
                  "REDIRECT"])

    def accept_vip_on_lo(self, real: Host, vip: str) -> None:
        """The LVS-DR way: the VIP on lo, and ARP that neither answers nor announces it."""
        for key in ("all", "eth0"):
            real.run(["sysctl", "-qw", f"net.ipv4.conf.{key}.arp_ignore=1",
                      f"net.ipv4.conf.{key}.arp_announce=2"])
        plen = "128" if ":" in vip else "32"
        real.ip("addr", "add", f"{vip}/{plen}", "dev", "lo")

    def attach_decap(self, real: Host, keel_decap: Path) -> None:
        """TUN: keel's decapsulator on the real's eth0 (this kernel has no ipip module), opening
        tunnels from the director only; the real also needs the VIP on lo (accept_vip_on_lo)
        and no reverse-path filter."""
        for key in ("all", "eth0", "default"):
            real.run(["sysctl", "-qw", f"net.ipv4.conf.{key}.rp_filter=0"])
        real.run([str(keel_decap), "attach", "eth0", "--director", self.director_addr4,
                  self.director_addr6])

    def route_back_through_director(self, real: Host) -> None:
        """NAT: the real reaches the client's NAT source through the director."""
        real.ip("route", "replace", f"{CLIENT_NAT4}/32", "via", self.director_addr4)
        real.ip("-6", "route", "replace", f"{CLIENT_NAT6}/128", "via", self.director_addr6)

    def use_nat_source(self, vip: str) -> str:
        """NAT: the client reaches `vip` from CLIENT_NAT4/6 (which the reals route via the
        director); returns that source address."""
        v6 = ":" in vip
        src = CLIENT_NAT6 if v6 else CLIENT_NAT4
        plen = "128" if v6 else "32"
        self.client.ip("addr", "add", f"{src}/{plen}", "dev", "eth0", *(["nodad"] if v6 else []))
        return src

    def move_vip(self, vip: str, to: Host) -> None:
        """Failover without VRRP: the VIP leaves every other director for `to`, and the client's
        neighbour entry follows (what a gratuitous ARP / unsolicited NA does)."""
        plen = "128" if ":" in vip else "32"
        for d in self.directors:
            if d is not to:
                d.ip("addr", "del", f"{vip}/{plen}", "dev", "eth0", check=False)
        to.ip("addr", "replace", f"{vip}/{plen}", "dev", "eth0",
              *(["nodad"] if ":" in vip else []))
        mac = json.loads(to.ip("-j", "link", "show", "dev", "eth0").stdout)[0]["address"]
        self.client.ip("neigh", "replace", vip, "lladdr", mac, "dev", "eth0", "nud", "reachable")

    def keepalive_client(self, addr: str, path: str, seconds: float, interval: float = 0.2):
        """A background client: one connection, a GET every `interval` s (see httpget.py)."""
        script = Path(__file__).with_name("httpget.py")
        return self.client.spawn([sys.executable, str(script), addr, "80", path,
                                  "--keepalive-for", str(seconds), "--interval", str(interval)])

    # -- traffic --------------------------------------------------------------
    @staticmethod
    def can_echo() -> bool:
        """Whether the reals answer POST /echo with the request body (nginx's echo module)."""
        return NGINX_ECHO_MODULE.exists()

    def get(self, addr: str, path: str, count: int = 1, port: int = 80, timeout: float = 3.0,
            source: str | None = None, host: Host | None = None,
            post_bytes: int | None = None) -> list[dict]:
        """`count` fresh-connection GETs (or POSTs of `post_bytes`) from the client (or `host`);
        one dict per connection (see httpget.py)."""
        script = Path(__file__).with_name("httpget.py")
        argv = [sys.executable, str(script), addr, str(port), path, "--count", str(count),
                "--timeout", str(timeout)]
        if source:
            argv += ["--source", source]
        if post_bytes is not None:
            argv += ["--post-bytes", str(post_bytes)]
        out = (host or self.client).run(argv, timeout=count * (timeout + 1) + 10).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def build_lb_lab(lab: Lab, reals: int = 2, directors: int = 1) -> LbLab:
    """client (.10), director (.2; more directors .3, ...) and `reals` real servers (.11, .12,
    ...) on one switch, IPv4 and IPv6, each eth0 with tx offload off; each director's switch port
    runs XDP_PASS."""
    sw = lab.switch("sw")
    hosts: dict[str, Host] = {}
    links: dict[str, Link] = {}
    plan = [("client", 10), ("director", 2)] + [(f"director{i + 2}", 3 + i)
                                                 for i in range(directors - 1)]
    plan += [(f"rs{i + 1}", 11 + i) for i in range(reals)]
    for name, no in plan:
        h = hosts[name] = lab.host(name)
        h.run(["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
               "net.ipv6.conf.default.accept_dad=0"])
        links[name] = lab.connect(h, sw, f"{LbLab.addr4(no)}/24")
        h.ip("-6", "addr", "add", f"{LbLab.addr6(no)}/64", "dev", "eth0", "nodad")
        h.run(["ethtool", "-K", "eth0", "tx", "off"])
    names = ["director"] + [f"director{i + 2}" for i in range(directors - 1)]
    for name in names:
        sw.ip("link", "set", "dev", links[name].b_if, "xdp", "obj", str(xdp_pass_object(lab)),
              "sec", "xdp")
    return LbLab(lab, sw, hosts["client"], hosts["director"],
                 [hosts[f"rs{i + 1}"] for i in range(reals)], links["director"],
                 [hosts[n] for n in names])
