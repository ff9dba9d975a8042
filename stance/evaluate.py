"""Pure evaluation: gold and predictions in, metrics out (plots are made from the output)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np


def classification_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Macro-F1, accuracy, per-class precision/recall/F1/support and the confusion matrix.

    Macro-F1 averages over the labels present in gold or predictions (as scikit-learn does with
    ``labels=`` restricted to those seen), so an absent class does not count as a zero.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} labels but predictions {len(pred)}")
    labels = list(labels)
    present = [lab for lab in labels if lab in set(gold) | set(pred)]
    p, r, f, s = precision_recall_fscore_support(gold, pred, labels=labels, zero_division=0)
    out: dict[str, Any] = {
        "n": len(gold),
        "accuracy": float(np.mean([g == q for g, q in zip(gold, pred, strict=True)])) if gold else 0.0,
        "macro_f1": float(np.mean([f[labels.index(lab)] for lab in present])) if present else 0.0,
        "per_class": {lab: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
                      for i, lab in enumerate(labels)},
        "labels": labels,
        "confusion": confusion_matrix(gold, pred, labels=labels).tolist() if gold else [],
    }
    return out


def expected_calibration_error(probas: np.ndarray, gold_idx: np.ndarray, bins: int = 10) -> float:
    """ECE of the top-label confidence over equal-width bins."""
    if len(gold_idx) == 0:
        return 0.0
    conf = probas.max(axis=1)
    correct = probas.argmax(axis=1) == gold_idx
    edges = np.linspace(0, 1, bins + 1)
    ece = 0.0
    for lo, hi in itertools.pairwise(edges):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def reliability_bins(probas: np.ndarray, gold_idx: np.ndarray, bins: int = 10) -> dict[str, list[float]]:
    """Per equal-width confidence bin: mean confidence, accuracy and count (the reliability diagram's data).

    Empty bins are left out, so the lists have one entry per bin that holds a prediction.
    """
    conf = probas.max(axis=1) if len(gold_idx) else np.zeros(0)
    correct = probas.argmax(axis=1) == gold_idx if len(gold_idx) else np.zeros(0, dtype=bool)
    out: dict[str, list[float]] = {"confidence": [], "accuracy": [], "count": [], "lower": [], "upper": []}
    for lo, hi in itertools.pairwise(np.linspace(0, 1, bins + 1)):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            out["confidence"].append(float(conf[mask].mean()))
            out["accuracy"].append(float(correct[mask].mean()))
            out["count"].append(int(mask.sum()))
            out["lower"].append(float(lo))
            out["upper"].append(float(hi))
    return out


def pr_curves(probas: np.ndarray, gold: Sequence[str], classes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """One-vs-rest precision-recall curve and average precision per class of ``classes``.

    ``probas[:, k]`` is the score of ``classes[k]``. A class absent from ``gold`` has no curve
    (precision is undefined there) and is left out.
    """
    from sklearn.metrics import average_precision_score, precision_recall_curve

    gold_arr = np.asarray(gold)
    out: dict[str, dict[str, Any]] = {}
    for k, label in enumerate(classes):
        positive = gold_arr == label
        if not positive.any():
            continue
        precision, recall, _ = precision_recall_curve(positive, probas[:, k])
        out[label] = {"precision": precision.tolist(), "recall": recall.tolist(),
                      "average_precision": float(average_precision_score(positive, probas[:, k]))}
    return out


def normalise_speaker(name: str | None) -> str:
    """Case, a leading article and titles removed, for lenient speaker comparison."""
    s = (name or "").lower().strip()
    s = re.sub(r"^(the|a|an)\s+", "", s)
    s = re.sub(r"\b(president|prime minister|mr\.|ms\.|mrs\.|dr\.)\s+", "", s)
    return " ".join(s.split())


def speaker_accuracy(gold: Sequence[str | None], pred: Sequence[str]) -> dict[str, float]:
    """Exact and normalised speaker accuracy over sentences with a gold speaker (not null)."""
    pairs = [(g, p) for g, p in zip(gold, pred, strict=True) if g]
    if not pairs:
        return {"speaker_accuracy": 0.0, "speaker_accuracy_normalised": 0.0, "speaker_n": 0}
    return {
        "speaker_accuracy": sum(g == p for g, p in pairs) / len(pairs),
        "speaker_accuracy_normalised": sum(normalise_speaker(g) == normalise_speaker(p) for g, p in pairs) / len(pairs),
        "speaker_n": len(pairs),
    }


def boundary_f1(gold_spans: Sequence[tuple[int, int]], pred_spans: Sequence[tuple[int, int]]) -> dict[str, float]:
    """Precision, recall and F1 of sentence spans (a sentence counts when both ends match)."""
    g, p = set(gold_spans), set(pred_spans)
    tp = len(g & p)
    precision = tp / len(p) if p else 0.0
    recall = tp / len(g) if g else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"boundary_precision": precision, "boundary_recall": recall, "boundary_f1": f1}


def format_report(name: str, metrics: dict[str, Any]) -> str:
    """A plain-text table: macro-F1, accuracy, per-class P/R/F1 and the confusion matrix."""
    labels = metrics["labels"]
    lines = [f"{name}: macro-F1 {metrics['macro_f1']:.3f}  accuracy {metrics['accuracy']:.3f}  (n={metrics['n']})",
             f"  {'label':<12} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>6}"]
    for lab in labels:
        c = metrics["per_class"][lab]
        lines.append(f"  {lab:<12} {c['precision']:>6.3f} {c['recall']:>6.3f} {c['f1']:>6.3f} {c['support']:>6d}")
    lines.append("  confusion (rows gold, columns predicted): " + " ".join(f"{lab[:5]:>6}" for lab in labels))
    for lab, row in zip(labels, metrics["confusion"], strict=False):
        lines.append(f"  {lab:<12} " + " ".join(f"{v:>6d}" for v in row))
    return "\n".join(lines)
