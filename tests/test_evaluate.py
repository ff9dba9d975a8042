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


def test_reliability_bins_by_hand():
    from stance.evaluate import expected_calibration_error, reliability_bins

    probas = np.array([[0.95, 0.05], [0.92, 0.08], [0.35, 0.65], [0.38, 0.62]])
    gold = np.array([0, 1, 1, 0])
    bins = reliability_bins(probas, gold, bins=10)
    assert bins["count"] == [2, 2]
    assert bins["lower"] == pytest.approx([0.6, 0.9]) and bins["upper"] == pytest.approx([0.7, 1.0])
    assert bins["confidence"] == pytest.approx([0.635, 0.935])
    assert bins["accuracy"] == pytest.approx([0.5, 0.5])
    ece = sum(n / 4 * abs(a - c) for n, a, c in zip(bins["count"], bins["accuracy"], bins["confidence"], strict=True))
    assert expected_calibration_error(probas, gold) == pytest.approx(ece)
    assert reliability_bins(np.zeros((0, 2)), np.zeros(0, dtype=int))["count"] == []


def test_pr_curves_skip_absent_classes():
    from stance.evaluate import pr_curves

    probas = np.array([[0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.6, 0.4, 0.0]])
    curves = pr_curves(probas, ["a", "b", "b"], ["a", "b", "c"])
    assert set(curves) == {"a", "b"}
    assert curves["a"]["average_precision"] == pytest.approx(1.0)
    assert curves["b"]["average_precision"] == pytest.approx(1.0)  # b's scores 0.8, 0.4 rank above a's 0.1
    assert curves["a"]["recall"][0] == 1.0 and curves["a"]["precision"][-1] == 1.0


def test_evaluation_rebuilds_the_split_the_model_was_trained_with(tmp_path):
    """A model trained with split seed 7 is evaluated on seed 7's test documents, not seed 13's."""
    import io

    from stance.assess import load_gold
    from stance.config import config_from_dict
    from stance.data import load_corpus
    from stance.pipeline import Pipeline
    from stance.tracking import NullTracker
    from stance.train import train

    from .conftest import TINY_CORPUS

    cfg = config_from_dict({"run_name": "split", "data": {"corpus": str(TINY_CORPUS), "split_seed": 7,
                                                          "newsmtsc_eval": None}, "model": {"family": "tfidf.v1"}})
    folder = train(cfg, NullTracker(), tmp_path / "m", stdout=io.StringIO())["model_dir"]
    pipeline = Pipeline.load(folder)
    assert pipeline.split == {"corpus": str(TINY_CORPUS), "seed": 7, "validation_fraction": 0.15,
                              "test_fraction": 0.15, "sources": None}
    docs, _ = load_gold(TINY_CORPUS, "test", pipeline.split)
    seven = set(load_corpus(TINY_CORPUS, seed=7)["test"]["doc_id"])
    thirteen = set(load_corpus(TINY_CORPUS, seed=13)["test"]["doc_id"])
    assert {d.doc_id for d in docs} == seven != thirteen
    trained_on = set(load_corpus(TINY_CORPUS, seed=7)["train"]["doc_id"])
    assert not {d.doc_id for d in docs} & trained_on
