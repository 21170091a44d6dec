#!/usr/bin/python3
"""XDP program cost: runs build/…/bench/keel_xdp_prog_bench (BPF_PROG_TEST_RUN, root) and prints
ns/packet of keel_xdp for a connection-table hit and a new flow beside a trivial
parse-and-XDP_TX program, with the issue's goals (program cost <= 2x the trivial one;
dataplane.md §6 P2 <= 3x, P3 new/hit <= 2x). Writes docs/bench-xdp-prog.png. Figures, not a
pass/fail test.
Usage: bench/xdp_prog.py [BUILD_DIR]  (default build/release, configured with -DKEEL_BENCH=ON)
"""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^(\S.*?)\s{2,}([\d.]+)\s+([\d.]+)$")


def run(build):
    exe = build / "bench/keel_xdp_prog_bench"
    out = subprocess.run([str(exe), "1000000", "7"], capture_output=True, text=True,
                         timeout=600, check=True).stdout
    print(out, end="")
    return [(m[1], float(m[2])) for m in map(ROW.match, out.splitlines()) if m]


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    trivial = rows[0][1]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    ax.barh([n for n, _ in rows], [t for _, t in rows], color="#4a7ab5")
    ax.axvline(2 * trivial, color="#c0392b", linestyle="--", label="goal: 2x trivial")
    ax.axvline(3 * trivial, color="#e67e22", linestyle=":", label="P2 target: 3x trivial")
    ax.set_xlabel("ns per packet, BPF_PROG_TEST_RUN (median of 7 x 1e6)")
    ax.set_title("keel_xdp program cost, IPv4 TCP, DR")
    ax.invert_yaxis()
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build/release").resolve()
    rows = run(build)
    trivial = rows[0][1]
    for name, ns in rows[1:]:
        print(f"{name}: {ns / trivial:.2f}x trivial (goal 2x: {'met' if ns <= 2 * trivial else 'MISSED'})")
    png = REPO / "docs/bench-xdp-prog.png"
    plot(rows, png)
    print(f"plot: {png.relative_to(REPO)}")


if __name__ == "__main__":
    main()
