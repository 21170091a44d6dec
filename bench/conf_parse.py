#!/usr/bin/python3
"""Reader benchmark: parse and validate generated keepalived.conf files of growing size with
`keeld -t` and, in the same run, `keepalived -t` (Debian's keepalived 2.2.7), and print wall
time and peak memory side by side with their ratios. Writes docs/bench-conf-parse.png.
Figures, not a pass/fail test. Usage: bench/conf_parse.py [BUILD_DIR]  (default build/release)
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZES = [(100, 10), (1000, 10), (10000, 10)]  # (virtual servers, real servers each)
RUNS = 3


def measure(argv, cwd):
    """Best wall time (s) and peak RSS (MiB) of RUNS runs of argv, through /usr/bin/time."""
    best = None
    for _ in range(RUNS):
        out = subprocess.run(["/usr/bin/time", "-f", "TIME %e %M", *argv], cwd=cwd,
                             capture_output=True, text=True, timeout=600)
        m = re.search(r"TIME ([0-9.]+) ([0-9]+)", out.stderr)
        if m is None or out.returncode not in (0, 5):  # 5: the config has errors but was read
            sys.exit(f"bench: {argv[0]} failed (exit {out.returncode}):\n{out.stderr[-2000:]}")
        sample = (float(m.group(1)), int(m.group(2)) / 1024)
        best = sample if best is None or sample[0] < best[0] else best
    return best


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build/release").resolve()
    keeld = build / "src/app/keeld"
    keepalived = shutil.which("keepalived") or "/usr/sbin/keepalived"
    rows = []
    with tempfile.TemporaryDirectory(prefix="keel-bench-") as tmp:
        for vs, rs in SIZES:
            conf = Path(tmp) / f"{vs}x{rs}.conf"
            with conf.open("w") as f:
                subprocess.run([sys.executable, REPO / "bench/gen_conf.py", str(vs), str(rs)],
                               stdout=f, check=True)
            print(f"[{len(rows) + 1}/{len(SIZES)}] {vs} x {rs}: {conf.stat().st_size >> 10} KiB",
                  flush=True)
            k = measure([str(keeld), "-t", "-f", str(conf)], tmp)
            p = measure([keepalived, "-t", "-f", str(conf)], tmp)
            rows.append((vs, rs, k, p))
    print(f"\n{'config':>12} {'keeld s':>9} {'keepalived s':>13} {'speed-up':>9} "
          f"{'keeld MiB':>10} {'keepalived MiB':>15} {'memory':>7}")
    for vs, rs, (kt, km), (pt, pm) in rows:
        print(f"{vs:>7} x {rs:<3} {kt:>9.2f} {pt:>13.2f} {pt / max(kt, 0.001):>8.1f}x "
              f"{km:>10.0f} {pm:>15.0f} {km / pm:>6.1f}x")
    plot(rows, REPO / "docs/bench-conf-parse.png")


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{vs}x{rs}" for vs, rs, _, _ in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    x = range(len(rows))
    for ax, i, title in ((a, 0, "wall time (s)"), (b, 1, "peak memory (MiB)")):
        ax.bar([v - 0.2 for v in x], [r[2][i] for r in rows], 0.4, label="keeld -t")
        ax.bar([v + 0.2 for v in x], [r[3][i] for r in rows], 0.4, label="keepalived -t")
        ax.set_xticks(list(x), labels)
        ax.set_xlabel("virtual servers x real servers")
        ax.set_title(title)
        ax.legend()
    fig.suptitle("Reading keepalived.conf: keel vs keepalived 2.2.7 (same machine, same run)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"\nplot: {path.relative_to(REPO)}")


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    main()
