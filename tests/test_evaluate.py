"""Pure evaluation functions on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from stance.evaluate import (
    boundary_f1,
    classification_metrics,
    expected_calibration_error,
    format_report,
    speaker_accuracy,
)

LABELS = ("optimistic", "dismissive", "conditional", "neutral")


def test_macro_f1_and_confusion():
    gold = ["optimistic", "dismissive", "neutral", "neutral"]
    pred = ["optimistic", "neutral", "neutral", "neutral"]
    m = classification_metrics(gold, pred, LABELS)
    # optimistic F1 1.0, dismissive 0.0, neutral P=2/3 R=1 -> 0.8; conditional absent -> not averaged
    assert m["macro_f1"] == pytest.approx((1.0 + 0.0 + 0.8) / 3)
    assert m["accuracy"] == 0.75
    assert m["confusion"][1] == [0, 0, 0, 1]
    assert "dismissive" in format_report("stance", m)


def test_lengths_must_match():
    with pytest.raises(ValueError, match="gold has 2 labels but predictions 1"):
        classification_metrics(["neutral", "neutral"], ["neutral"], LABELS)


def test_ece_of_a_perfectly_calibrated_and_an_overconfident_model():
    probas = np.array([[0.9, 0.1], [0.9, 0.1]])
    assert expected_calibration_error(probas, np.array([0, 0])) == pytest.approx(0.1)
    assert expected_calibration_error(probas, np.array([1, 1])) == pytest.approx(0.9)


def test_speaker_accuracy_skips_null_gold_and_normalises():
    m = speaker_accuracy(["Jen Psaki", None, "the Kremlin"], ["Jen Psaki", "AUTHOR", "The Kremlin"])
    assert m["speaker_n"] == 2 and m["speaker_accuracy"] == 0.5 and m["speaker_accuracy_normalised"] == 1.0


def test_boundary_f1():
    m = boundary_f1([(0, 5), (6, 10)], [(0, 5), (6, 9), (9, 10)])
    assert m["boundary_precision"] == pytest.approx(1 / 3) and m["boundary_recall"] == 0.5
