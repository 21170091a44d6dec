#!/usr/bin/python3
"""Writes a large keepalived.conf for the reader benchmark: N virtual servers, each with M real
servers that carry an HTTP_GET checker. Addresses come from 198.18.0.0/15 and are never used.
Usage: gen_conf.py N M > file
"""
import sys


def main(n: int, m: int) -> None:
    out = sys.stdout
    out.write("global_defs {\n  router_id bench\n}\n")
    for v in range(n):
        vip = f"198.18.{v // 250}.{v % 250 + 1}"
        out.write(f"virtual_server {vip} 80 {{\n  delay_loop 6\n  lb_algo rr\n  lb_kind DR\n"
                  f"  protocol TCP\n")
        for r in range(m):
            rip = f"198.19.{(v * m + r) // 250 % 250}.{(v * m + r) % 250 + 1}"
            out.write(f"  real_server {rip} 80 {{\n    weight 1\n    HTTP_GET {{\n"
                      f"      url {{ path /health }}\n      connect_timeout 3\n    }}\n  }}\n")
        out.write("}\n")


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
