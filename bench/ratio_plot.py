"""The benchmarks' one picture: req/s as a ratio to the baseline, keep-alive and a new connection
per request side by side for each variant, written as a PNG under docs/."""
from __future__ import annotations

from pathlib import Path


def plot_ratios(ratios: dict[str, list[float]], names: list[str], ylabel: str, title: str,
                out: Path) -> Path:
    """`ratios` maps a mode ("keep-alive", "conn/req") to one ratio per name, in `names` order."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.5))
    for k, (mode, vals) in enumerate(ratios.items()):
        ax.bar([i + (k - 0.5) * 0.4 for i in range(len(names))], vals, 0.4, label=mode)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out
