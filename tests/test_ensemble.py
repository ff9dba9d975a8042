"""The ensemble family: a weighted mean of calibrated member probabilities, members saved in its folder."""

from __future__ import annotations

import numpy as np
import pytest

from stance.config import config_from_dict
from stance.errors import StanceError
from stance.models.base import load_classifier
from stance.models.ensemble import EnsembleClassifier
from stance.models.runtime import ONNX_FILES, RUNTIME_DIR
from stance.pipeline import Pipeline

from .test_models import TEXTS, Y

EXTRA = ["[AUTHOR] The harvest was a disaster for the farmers.", "[AUTHOR] The festival was a joy."]
Y_EXTRA = np.array([[None, "negative"], [None, "positive"]], dtype=object)


def two_tfidf(complete_rows: bool = False) -> EnsembleClassifier:
    return EnsembleClassifier(members=[
        {"family": "tfidf.v1", "weight": 3.0, "params": {"C": 100.0}},
        {"family": "tfidf.v1", "weight": 1.0, "params": {"C": 0.5}, "complete_rows": complete_rows},
    ])


def test_probabilities_are_the_weighted_mean_of_the_calibrated_members():
    y_val = Y.copy()
    y_val[::2, 0] = "neutral"  # a validation set on which the members are over-sure
    model = two_tfidf().fit(TEXTS, Y, eval_set=(TEXTS, y_val))
    first, second = model.members_
    assert first.temperatures_[0] > 1.0  # each member was calibrated on the eval set
    probas = model.predict_proba(TEXTS)
    for j in range(2):
        expected = np.zeros_like(probas[j])
        for weight, member in ((0.75, first), (0.25, second)):
            columns = [list(model.classes_[j]).index(c) for c in member.classes_[j]]
            expected[:, columns] += weight * member.predict_proba(TEXTS)[j]
        assert np.allclose(probas[j], expected)
    assert list(model.classes_[0]) == ["optimistic", "dismissive", "conditional", "neutral"]


def test_complete_rows_keeps_sentiment_only_rows_from_that_member():
    model = two_tfidf(complete_rows=True).fit(TEXTS + EXTRA, np.vstack([Y, Y_EXTRA]))
    first, second = ({name.split("__")[-1] for name in m.vectorizer_.get_feature_names_out()} for m in model.members_)
    assert "harvest" in first and "festival" in first
    assert "harvest" not in second and "festival" not in second
    assert "ceasefire" in second


def test_folder_round_trip_keeps_members_and_calibration(tmp_path):
    model = two_tfidf().fit(TEXTS, Y, eval_set=(TEXTS, Y))
    model.calibrate(TEXTS, Y)
    folder = model.save(tmp_path / "m")
    assert sorted(p.name for p in (folder / "members").iterdir()) == ["0", "1"]
    loaded = load_classifier(folder)
    assert isinstance(loaded, EnsembleClassifier)
    assert [m.temperatures_ for m in loaded.members_] == [m.temperatures_ for m in model.members_]
    for a, b in zip(loaded.predict_proba(TEXTS), model.predict_proba(TEXTS), strict=True):
        assert np.allclose(a, b)


def test_encoder_members_export_their_graphs_and_load_on_onnx(tiny_encoder, tmp_path, capsys):
    model = EnsembleClassifier(members=[
        {"family": "embedding.v1", "params": {"encoder": tiny_encoder, "C": 1000.0}},
        {"family": "tfidf.v1", "params": {"C": 1000.0}},
    ]).fit(TEXTS, Y)
    folder = Pipeline(model, input_mode="sentence").save(tmp_path / "m")
    assert (folder / "members" / "0" / RUNTIME_DIR / ONNX_FILES["onnx"]).stat().st_size > 10_000
    assert not (folder / "members" / "1" / RUNTIME_DIR).exists()
    pipeline = Pipeline.load(folder)
    assert pipeline.runtime == "onnx"
    assert (pipeline.classifier.predict(TEXTS) == Y).all()
    assert "exporting" not in capsys.readouterr().err  # the member's stored graph is used


@pytest.mark.parametrize(("members", "problem"), [
    ([], "model.params.members: an ensemble needs at least one member"),
    ([{"params": {}}], "model.params.members.0: expected a mapping with a 'family'"),
    ([{"family": "tfidf.v1", "wieght": 1}], "model.params.members.0: unknown keys ['wieght']"),
    ([{"family": "tfidf.v1", "weight": 0}], "model.params.members.0.weight: expected a number above 0"),
    ([{"family": "tfidf.v1", "params": {"C": "high"}}], "model.params.members.0.params.C: Input should be"),
    ([{"family": "ensemble.v1"}], "cannot be a member of an ensemble"),
])
def test_config_names_what_is_wrong_with_a_member(members, problem):
    with pytest.raises(StanceError) as err:
        config_from_dict({"model": {"family": "ensemble.v1", "params": {"members": members}}})
    assert problem in str(err.value)


def test_the_default_members_are_the_ensemble_recipe():
    from pathlib import Path

    from stance.config import load_config
    from stance.models.ensemble import member_specs

    recipe = load_config(Path(__file__).parents[1] / "configs" / "ensemble.yaml")
    assert member_specs(recipe.model.params["members"]) == member_specs(None)
