"""Figures made from the output of :mod:`stance.evaluate` (never from a model): confusion
matrices, precision-recall curves, reliability diagrams, and the bar chart of ``stance compare``.

matplotlib is imported lazily with the Agg backend, so nothing here needs a display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def close(figure: Any) -> None:
    """Free a figure once it is logged (pyplot keeps every open figure alive)."""
    _pyplot().close(figure)


def confusion_figure(report: dict[str, Any], title: str, normalise: bool = False) -> Any:
    """The confusion matrix of a ``classification_metrics`` report; rows gold, columns predicted.

    With ``normalise`` each row is divided by its gold count, so a cell reads as "share of the
    gold class predicted as this"; rows with no gold sentence stay zero.
    """
    plt = _pyplot()
    labels, cm = report["labels"], np.array(report["confusion"], dtype=float).reshape(len(report["labels"]), -1)
    if normalise:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    fig, ax = plt.subplots(figsize=(4.8, 4))
    ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalise else None)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, f"{v:.2f}" if normalise else str(int(v)), ha="center", va="center", color="black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"{title} (row-normalised)" if normalise else title)
    fig.tight_layout()
    return fig


def pr_figure(curves: dict[str, dict[str, Any]], title: str) -> Any:
    """One-vs-rest precision-recall curves (from ``evaluate.pr_curves``), average precision in the legend."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 4))
    for label, curve in curves.items():
        ax.step(curve["recall"], curve["precision"], where="post",
                label=f"{label} (AP {curve['average_precision']:.2f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_title(title)
    ax.legend(loc="lower left", fontsize="small")
    fig.tight_layout()
    return fig


def reliability_figure(bins: dict[str, list[float]], ece: float, title: str) -> Any:
    """Accuracy against mean confidence per bin (from ``evaluate.reliability_bins``); the diagonal is perfect."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4))
    widths = [hi - lo for lo, hi in zip(bins["lower"], bins["upper"], strict=True)]
    ax.bar(bins["lower"], bins["accuracy"], width=widths, align="edge", edgecolor="black", alpha=0.7,
           label="accuracy")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect calibration")
    ax.plot(bins["confidence"], bins["accuracy"], marker="o", color="tab:red", label="mean confidence")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top label)")
    ax.set_ylabel("accuracy")
    ax.set_title(f"{title}, ECE {ece:.3f}")
    ax.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    return fig


def bar_figure(names: Sequence[str], series: Mapping[str, Sequence[float | None]], title: str) -> Any:
    """Grouped horizontal bars: one group per run name, one bar per metric series (None is drawn as 0)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.6 + 0.45 * len(names) * max(1, len(series))))
    height = 0.8 / max(1, len(series))
    for k, (metric, values) in enumerate(series.items()):
        ys = [i + k * height for i in range(len(names))]
        ax.barh(ys, [v or 0.0 for v in values], height=height, label=metric)
    ax.set_yticks([i + height * (len(series) - 1) / 2 for i in range(len(names))], names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("macro-F1")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig
