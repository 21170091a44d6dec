"""keeld on the kernel's IPVS (run inside the VM by tests/vm/test_ipvs.py): the table keelctl
lists is ipvsadm's, byte for byte; someone else's service is left alone; a fwmark service
serves what an nftables rule marks; wlc and lc are IPVS's own, exactly; a reload edits the
table in place and the connections it keeps go on."""

from __future__ import annotations

import os
import re
import signal

from ipvs_lab import VIP, Director, IpvsLab, flow_report, mask_numbers
from keel_lab.util import wait_until

SLACK = 5.0  # scheduling under TCG emulation on a loaded host

VARIED = """global_defs {
  keel_dataplane ipvs
}
virtual_server 198.18.0.100 80 {
  lb_algo rr
  lb_kind DR
  persistence_timeout 50
  protocol TCP
  real_server 198.18.0.11 80 {
  }
  real_server 198.18.0.12 80 {
    weight 2
  }
  real_server 198.18.0.13 8080 {
    lvs_method NAT
    weight 3
    uthreshold 100
    lthreshold 10
  }
}
virtual_server 198.18.0.100 53 {
  lb_algo sh
  sh-port
  sh-fallback
  ops
  lb_kind TUN
  protocol UDP
  real_server 198.18.0.11 53 {
    weight 2
  }
}
virtual_server fwmark 7 {
  lb_algo wlc
  lb_kind DR
  real_server 198.18.0.11 80 {
  }
}
virtual_server 2001:db8::100 80 {
  lb_algo wrr
  flag-1
  flag-3
  lb_kind NAT
  protocol TCP
  real_server 2001:db8::11 80 {
    weight 5
  }
}
virtual_server 198.18.0.100 9 {
  lb_algo nq
  lb_kind TUN
  protocol SCTP
  real_server 198.18.0.11 9 {
  }
  real_server 198.18.0.12 9 {
    lvs_method TUN type gue port 6080 remcsum
  }
}
virtual_server 198.18.0.101 443 {
  lb_algo mh
  mh-port
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  lb_kind DR
  protocol TCP
  real_server 198.18.0.11 443 {
  }
}
"""
FOREIGN = "198.18.0.200:80"
READY = r"IPVS data plane started"


def active_conns(table: str) -> dict[str, int]:
    """ActiveConn per real of an ipvsadm -Ln text."""
    out = {}
    for m in re.finditer(r"^  -> (\S+)\s+\w+\s+\d+\s+(\d+)\s+\d+", table, re.MULTILINE):
        out[m.group(1)] = int(m.group(2))
    return out


def test_keelctl_lists_what_ipvsadm_lists(lab, keel_build_dir):
    host = lab.host("d")
    host.run(["ipvsadm", "-A", "-t", FOREIGN, "-s", "rr"])  # someone else's service
    d = Director(host, "keel", lab.tmpdir / "varied.conf", keel_build_dir)
    d.conf.write_text(VARIED)
    d.start(READY)
    ipvsadm = d.ipvsadm("-Ln")
    assert f"TCP  {FOREIGN} rr" in ipvsadm
    theirs = f"TCP  {FOREIGN} rr\n"
    # keelctl lists keel's services; ipvsadm lists those and the foreign one, line for line.
    assert d.keelctl("-Ln") == ipvsadm.replace(theirs, ""), ipvsadm
    for flag in ("--stats", "--rate"):
        theirs_line = re.compile(rf"^TCP  {re.escape(FOREIGN)} .*\n", re.MULTILINE)
        assert mask_numbers(d.keelctl("-Ln", flag)) == \
            mask_numbers(theirs_line.sub("", d.ipvsadm("-Ln", flag))), flag
    # TUN options reach the kernel (ipvsadm's tunnel column: type, port, r(emote) +c(hecksum)).
    assert re.search(r"^  -> 198\.18\.0\.12:9\s+Tunnel\s+gue:6080:r\+c\s", d.ipvsadm("-Ln", "--tun-info"),
                     re.MULTILINE), d.ipvsadm("-Ln", "--tun-info")
    assert re.search(rf"IPVS service TCP {re.escape(FOREIGN)} is not keel's",
                     d.proc.output())
    assert d.stop() == 0
    # An orderly stop removes keel's services and leaves the other one.
    after = d.ipvsadm("-Ln")
    assert f"TCP  {FOREIGN} rr" in after
    assert "198.18.0.100" not in after and "FWM" not in after, after


def dr_lab(lab, keel_build_dir, conf: str) -> tuple[IpvsLab, Director]:
    """One director holding the VIP (no VRRP), two nginx reals accepting it on lo."""
    ipvs = IpvsLab(lab, keel_build_dir).build(directors=("master",))
    for real in ipvs.reals:
        ipvs.pages.accept_vip_on_lo(real, VIP)
    ipvs.hosts["master"].ip("addr", "add", f"{VIP}/24", "dev", "eth0")
    d = ipvs.director("master", "keel", conf)
    d.start(READY)
    return ipvs, d


FWMARK = """global_defs {
  keel_dataplane ipvs
}
virtual_server fwmark 7 {
  lb_algo rr
  lb_kind DR
  real_server 198.18.0.11 80 {
  }
  real_server 198.18.0.12 80 {
  }
}
"""
NFT_MARK = f"""table ip keel_fwm {{
  chain pre {{
    type filter hook prerouting priority mangle;
    ip daddr {VIP} tcp dport 80 meta mark set 7
  }}
}}
"""


def test_fwmark_service_serves_what_nftables_marks(lab, keel_build_dir):
    ipvs, d = dr_lab(lab, keel_build_dir, FWMARK)
    rules = lab.tmpdir / "mark.nft"
    rules.write_text(NFT_MARK)
    d.host.run(["nft", "-f", str(rules)])
    answers = ipvs.fetch(VIP, 10)
    # rr over two reals, one new connection after the other: they alternate exactly.
    assert sorted(answers) == ["rs1"] * 5 + ["rs2"] * 5, answers
    assert all(a != b for a, b in zip(answers, answers[1:])), answers
    # The kernel sums its per-CPU counters every 2 s (its rate estimator's period).
    wait_until(lambda: re.search(r"^FWM  7\s+10\s", d.ipvsadm("-Ln", "--stats"), re.MULTILINE),
               timeout=2 * 2 + SLACK, what="10 connections counted on FWM 7")
    # -Lnc: the kernel's connection table, read by both at nearly the same moment; the
    # expire column may tick between the two reads.
    expire = re.compile(r"^(\w+\s+)\d\d:\d\d", re.MULTILINE)
    assert expire.sub(r"\1MM:SS", d.keelctl("-Lnc")) == expire.sub(r"\1MM:SS", d.ipvsadm("-Lnc"))
    assert d.keelctl("-Ln") == d.ipvsadm("-Ln")


WLC = """global_defs {
  keel_dataplane ipvs
}
virtual_server 198.18.0.100 80 {
  lb_algo SCHED
  lb_kind DR
  protocol TCP
  real_server 198.18.0.11 80 {
  }
  real_server 198.18.0.12 80 {
    weight 3
  }
}
"""


def test_wlc_and_lc_are_exact_and_a_reload_keeps_the_connections(lab, keel_build_dir):
    ipvs, d = dr_lab(lab, keel_build_dir, WLC.replace("SCHED", "wlc"))
    rs1, rs2 = "198.18.0.11:80", "198.18.0.12:80"
    go = lab.tmpdir / "go"
    first = ipvs.start_flows(VIP, ["198.18.0.10"], 8, go)
    opened = flow_report(first, 1, timeout=60)
    assert opened["open"] == 8, opened
    # wlc, weights 1 and 3, eight connections opened one after the other and held: the kernel
    # puts each where ActiveConn/weight is lowest, which ends at exactly 2 and 6.
    assert active_conns(d.ipvsadm("-Ln")) == {rs1: 2, rs2: 6}
    assert d.keelctl("-Ln") == d.ipvsadm("-Ln")
    # Reload to lc: the service is edited, not recreated; the eight stay where they are.
    d.conf.write_text(WLC.replace("SCHED", "lc"))
    os.kill(d.proc.pid, signal.SIGHUP)
    d.proc.wait_for_output(r"Reload complete", timeout=30)
    table = d.ipvsadm("-Ln")
    assert "TCP  198.18.0.100:80 lc" in table and active_conns(table) == {rs1: 2, rs2: 6}
    # lc ignores weights: four more go to the real with the fewest, rs1, until it is level.
    second = ipvs.start_flows(VIP, ["198.18.0.10"], 4, go)
    assert flow_report(second, 1, timeout=60)["open"] == 4
    assert active_conns(d.ipvsadm("-Ln")) == {rs1: 6, rs2: 6}
    go.write_text("")
    after = flow_report(first, 2, timeout=60)
    assert after["broken"] == [] and after["moved"] == [] and after["ok"] == 8, after
    flow_report(second, 2, timeout=60)
