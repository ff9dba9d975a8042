"""Temperature scaling (Guo et al., 2017): one scalar per task, fitted on validation.

Dividing log-probabilities by ``T`` and renormalising is the same as dividing a softmax or
multinomial logistic model's logits by ``T``; it changes how sure the scores are, never which
label wins, so macro-F1 is untouched while expected calibration error falls.
"""

from __future__ import annotations

import numpy as np

BOUNDS = (0.05, 20.0)


def temper(proba: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities ``proba`` (rows sum to 1) rescaled by ``temperature``."""
    if temperature == 1.0 or not len(proba):
        return proba
    logits = np.log(np.clip(proba, 1e-12, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def nll(proba: np.ndarray, gold_idx: np.ndarray) -> float:
    """Mean negative log-likelihood of the gold columns."""
    return float(-np.log(np.clip(proba[np.arange(len(gold_idx)), gold_idx], 1e-12, 1.0)).mean())


def fit_temperature(proba: np.ndarray, gold_idx: np.ndarray) -> float:
    """The temperature that minimises validation NLL (1.0 when there is nothing to fit on).

    Args:
        proba: ``(n, k)`` uncalibrated probabilities.
        gold_idx: Gold column per row; rows with ``-1`` (a label the model never saw) are ignored.
    """
    from scipy.optimize import minimize_scalar

    keep = gold_idx >= 0
    if keep.sum() < 2:
        return 1.0
    proba, gold_idx = proba[keep], gold_idx[keep]
    result = minimize_scalar(lambda log_t: nll(temper(proba, float(np.exp(log_t))), gold_idx),
                             bounds=tuple(np.log(BOUNDS)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(result.x))
