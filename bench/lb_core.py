#!/usr/bin/python3
"""Load-balancing core figures: runs build/…/bench/keel_lb_bench (Google Benchmark) and prints
ns per scheduling decision for every scheduler at 10 and 1,000 real servers, the Maglev build
time, and the cost of a health event in a 10,000-service table, each beside the issue's goal. Writes
docs/bench-lb-core.png. Figures, not a pass/fail test.
Usage: bench/lb_core.py [BUILD_DIR]  (default build/release, configured with -DKEEL_BENCH=ON)
"""

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GOAL_NS = {"pick": 100.0, "maglev": 50e6}  # a decision under 100 ns; a Maglev build under 50 ms


def run(build):
    exe = build / "bench/keel_lb_bench"
    out = subprocess.run([str(exe), "--benchmark_format=json", "--benchmark_repetitions=3",
                          "--benchmark_report_aggregates_only=true"],
                         capture_output=True, text=True, timeout=1200, check=True)
    rows = []
    for b in json.loads(out.stdout)["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        name = b["run_name"]
        if b.get("label"):  # BM_Pick/<index>/<reals>: name it by its scheduler
            name = f"pick {b['label']}, {name.rsplit('/', 1)[-1]} reals"
        rows.append((name, b["real_time"] * scale))
    return rows


def goal(name):
    low = name.lower()
    if "maglev" in low and "build" in low:
        return GOAL_NS["maglev"]
    if "pick" in low or "sched" in low:
        return GOAL_NS["pick"]
    return None


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def plot(rows, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    picks = [(n, t) for n, t in rows if goal(n) == GOAL_NS["pick"]]
    if not picks:
        return
    fig, ax = plt.subplots(figsize=(10, max(4, len(picks) * 0.25)))
    ax.barh([n for n, _ in picks], [t for _, t in picks], color="#4a7ab5")
    ax.axvline(GOAL_NS["pick"], color="#c0392b", linestyle="--", label="goal: 100 ns")
    ax.set_xscale("log")
    ax.set_xlabel("ns per scheduling decision (median of 3, log scale)")
    ax.set_title("keel lb core: scheduler decision cost")
    ax.invert_yaxis()
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    build = Path(sys.argv[1] if len(sys.argv) > 1 else REPO / "build/release").resolve()
    print("running keel_lb_bench (3 repetitions each) ...", flush=True)
    rows = run(build)
    print(f"{'benchmark':<48} {'median':>12} {'goal':>10}  verdict")
    for name, ns in rows:
        g = goal(name)
        verdict = "" if g is None else ("met" if ns < g else "MISSED")
        print(f"{name:<48} {human(ns):>12} {human(g) if g else '-':>10}  {verdict}")
    png = REPO / "docs/bench-lb-core.png"
    plot(rows, png)
    print(f"plot: {png.relative_to(REPO)}")


if __name__ == "__main__":
    main()
