"""The classifier contract, run over every registered family, and an overfit-a-tiny-set test."""

from __future__ import annotations

import numpy as np
import pytest

from stance.errors import StanceError
from stance.models.base import load_classifier, model_input, previous_texts
from stance.models.registry import FAMILIES, get_family
from stance.types import LABELS

TEXTS = [
    "[PARTY] We are ready for serious work and hope for a deal.",
    "[PARTY] These talks are a waste of time and they are not serious.",
    "[PARTY] We will sign only if the tariffs are lifted first.",
    "[AUTHOR] The talks will begin on Thursday in Geneva.",
    "[PARTY] We are confident an agreement is close.",
    "[PARTY] The offer is an insult and a theater prop.",
    "[PARTY] Nothing will happen until the ceasefire holds.",
    "[AUTHOR] The delegation arrived by train.",
]
Y = np.array([
    ["optimistic", "positive"], ["dismissive", "negative"], ["conditional", "neutral"], ["neutral", "neutral"],
    ["optimistic", "positive"], ["dismissive", "negative"], ["conditional", "neutral"], ["neutral", "neutral"],
], dtype=object)


# Settings under which each family should memorise eight sentences.
OVERFIT = {
    "tfidf.v1": {"C": 1000.0},
    "embedding.v1": {"C": 1000.0},
    "finetune.v1": {"epochs": 40, "lr": 3e-3, "patience": 40, "batch_size": 8},
}


def params_of(name: str, tiny_encoder: str, overfit: bool = False) -> dict:
    """Constructor arguments of family ``name`` on the tiny encoder (``overfit``: the memorising settings)."""
    if name == "ensemble.v1":
        return {"members": [{"family": f, "weight": w, "params": params_of(f, tiny_encoder, overfit)}
                            for f, w in (("embedding.v1", 2.0), ("finetune.v1", 1.0))]}
    params = dict(OVERFIT[name]) if overfit else {}
    if name != "tfidf.v1":
        params["encoder"] = tiny_encoder
    return params


def make(name: str, tiny_encoder: str, overfit: bool = False):
    return get_family(name)(**params_of(name, tiny_encoder, overfit))


def trains_in_epochs(name: str) -> bool:
    return name in {"finetune.v1", "ensemble.v1"}


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_contract(name, tiny_encoder, tmp_path):
    model = make(name, tiny_encoder)
    with pytest.raises(Exception, match="fitted|heads_"):
        model.predict_proba(TEXTS[:1])
    assert model.fit(TEXTS, Y) is model
    pred = model.predict(TEXTS)
    assert pred.shape == (len(TEXTS), 2)
    probas = model.predict_proba(TEXTS)
    for j, task in enumerate(("stance", "sentiment")):
        assert set(model.classes_[j]) <= set(LABELS.of(task))
        assert np.allclose(probas[j].sum(axis=1), 1.0)
    folder = model.save(tmp_path / "m")
    loaded = load_classifier(folder)
    assert type(loaded) is type(model)
    assert (loaded.predict(TEXTS) == pred).all()
    assert np.allclose(loaded.predict_proba(TEXTS)[0], probas[0], atol=1e-5)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_overfits_a_tiny_set(name, tiny_encoder):
    model = make(name, tiny_encoder, overfit=True)
    fit_args = {"eval_set": (TEXTS, Y)} if trains_in_epochs(name) else {}
    model.fit(TEXTS, Y, **fit_args)
    assert (model.predict(TEXTS) == Y).all()


def test_finetune_reports_every_epoch(tiny_encoder):
    seen = []
    model = get_family("finetune.v1")(encoder=tiny_encoder, epochs=2, patience=5)
    model.fit(TEXTS, Y, eval_set=(TEXTS, Y), callback=lambda epoch, m: seen.append((epoch, dict(m))))
    assert [e for e, _ in seen] == [1, 2]
    assert sorted(seen[0][1]) == ["train_loss", "train_sentiment_macro_f1", "train_stance_macro_f1", "val_loss",
                                  "val_sentiment_macro_f1", "val_stance_macro_f1"]
    assert all(0.0 <= m[k] <= 1.0 for _, m in seen for k in m if k.endswith("macro_f1"))


def test_bad_labels_are_refused(tiny_encoder):
    bad = Y.copy()
    bad[0, 0] = "hopeful"
    with pytest.raises(ValueError, match="unknown stance labels"):
        get_family("tfidf.v1")().fit(TEXTS, bad)


def test_unknown_family_names_the_available_ones():
    with pytest.raises(StanceError, match="Unknown model family 'bert.v9'.*tfidf.v1"):
        get_family("bert.v9")


def test_model_folder_errors(tmp_path):
    with pytest.raises(StanceError, match="incomplete or damaged: no manifest.json"):
        load_classifier(tmp_path)
    (tmp_path / "manifest.json").write_text('{"family": "tfidf.v1", "labels": {"stance": ["yes", "no"]}}')
    with pytest.raises(StanceError, match="trained with labels"):
        load_classifier(tmp_path)


def test_model_input_tags():
    assert model_input("Talks began.", "AUTHOR") == "[AUTHOR] Talks began."
    assert model_input("We are ready.", "Jen Psaki") == "[PARTY] We are ready."
    assert model_input("Talks stall", "AUTHOR", kind="headline") == "[HEADLINE] Talks stall"
    assert model_input("We are ready.", "Jen Psaki", mode="sentence") == "We are ready."
    assert model_input("We are ready.", "Jen Psaki", mode="context", previous="Talks began.") == \
        "[PARTY] We are ready. [PREVIOUS] Talks began."
    assert model_input("Talks began.", "AUTHOR", mode="context") == "[AUTHOR] Talks began."  # a first sentence
    assert model_input("Yes.", "AUTHOR", mode="speaker", previous="Talks began.") == "[AUTHOR] Yes."


def test_previous_texts_stay_within_a_document():
    keys = [("a", 0), ("a", 1), ("b", 0), ("a", 2), ("b", 1)]
    assert previous_texts(keys, ["A0", "A1", "B0", "A2", "B1"]) == ["", "A0", "", "A1", "B0"]


def test_pipeline_shows_the_previous_sentence_in_context_mode():
    from stance.pipeline import Pipeline
    from stance.types import Sentence

    class Recorder(get_family("tfidf.v1")):
        def _predict_proba(self, X):
            self.seen = list(X)
            return super()._predict_proba(X)

    model = Recorder(C=10.0).fit(TEXTS, Y)
    sents = [Sentence("d", i, 0, len(t), t, t, "body", spk) for i, (t, spk) in
             enumerate([("Talks opened.", "AUTHOR"), ("We are ready.", "Jen Psaki")])]
    Pipeline(model, input_mode="context").classify(sents)
    assert model.seen == ["[AUTHOR] Talks opened.", "[PARTY] We are ready. [PREVIOUS] Talks opened."]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_a_missing_label_trains_only_the_other_head(name, tiny_encoder):
    """Rows with stance None (NewsMTSC sentences) teach sentiment; stance learns from the rest."""
    params = params_of(name, tiny_encoder, overfit=True)
    extra = ["[AUTHOR] The harvest was a disaster for the farmers.", "[AUTHOR] The festival was a joy."]
    X = TEXTS + extra
    y = np.vstack([Y, np.array([[None, "negative"], [None, "positive"]], dtype=object)])
    fit_args = {"eval_set": (TEXTS, Y)} if trains_in_epochs(name) else {}
    model = get_family(name)(**params).fit(X, y, **fit_args)
    assert (model.predict(TEXTS) == Y).all()
    assert list(model.predict(extra)[:, 1]) == ["negative", "positive"]
    with pytest.raises(ValueError, match="no row has a stance label"):
        get_family(name)(**params).fit(extra, np.array([[None, "negative"], [None, "positive"]], dtype=object))


def test_calibration_is_saved_and_changes_confidence_not_labels(tmp_path):
    model = get_family("tfidf.v1")(C=1000.0).fit(TEXTS, Y)
    raw = model.predict_proba(TEXTS)
    pred = model.predict(TEXTS)
    # Validation where half the confident answers are wrong: the fitted temperature must soften.
    y_val = Y.copy()
    y_val[::2, 0] = "neutral"
    temperatures = model.calibrate(TEXTS, y_val)
    assert temperatures[0] > 1.0
    calibrated = model.predict_proba(TEXTS)
    assert (calibrated[0].max(axis=1) < raw[0].max(axis=1)).all()
    assert (model.predict(TEXTS) == pred).all()
    loaded = load_classifier(model.save(tmp_path / "m"))
    assert loaded.temperatures_ == pytest.approx(temperatures)
    assert np.allclose(loaded.predict_proba(TEXTS)[0], calibrated[0])


def test_fit_temperature_recovers_a_known_temperature():
    from stance.models.calibration import fit_temperature, temper

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4000, 3)) * 3
    true = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    gold = np.array([rng.choice(3, p=p) for p in true])
    overconfident = temper(true, 0.5)  # what a model twice too sure would say
    assert fit_temperature(overconfident, gold) == pytest.approx(2.0, rel=0.1)
    assert fit_temperature(overconfident[:1], gold[:1]) == 1.0  # nothing to fit on


def test_embedding_memo_serves_earlier_embeddings_and_counts_them(tiny_encoder):
    from stance.models import encoder as enc

    assert enc.memo_size() == 0  # off unless asked for
    enc.remember_embeddings()
    try:
        model = enc.Encoder(tiny_encoder)
        assert enc.memo_size() == 0  # a run starting now is cold
        first = model.encode(["Talks resumed.", "Talks resumed.", "A deal is near."])
        assert enc.memo_size() == 2
        again = model.encode(["A deal is near.", "New text."])
        assert enc.memo_size() == 3
        assert np.array_equal(again[0], first[2])
        with enc.memo_paused():
            assert np.allclose(model.encode(["A deal is near."])[0], first[2], atol=1e-5)
        assert enc.memo_size() == 3
    finally:
        enc.remember_embeddings(False)


def test_an_embedding_model_trained_on_int8_embeddings_keeps_that_runtime(tiny_encoder, tmp_path):
    """embed_runtime: the heads learn from the quantised graph's embeddings, which are exported once and saved."""
    from stance.pipeline import Pipeline

    model = get_family("embedding.v1")(encoder=tiny_encoder, C=1000.0, embed_runtime="onnx-int8")
    model.fit(TEXTS, Y)
    assert model.fixed_runtime() == "onnx-int8" and model.runtime_ == "onnx-int8"
    assert (model.predict(TEXTS) == Y).all()
    probas = model.predict_proba(TEXTS)
    folder = Pipeline(model).save(tmp_path / "m")
    assert sorted(p.name for p in (folder / "runtime").glob("*.onnx")) == ["encoder-int8.onnx", "encoder.onnx"]
    loaded = Pipeline.load(folder).classifier  # pipeline.json names the runtime it was trained on
    assert loaded.runtime_ == "onnx-int8"
    assert np.allclose(loaded.predict_proba(TEXTS)[0], probas[0], atol=1e-6)
    assert get_family("embedding.v1")(encoder=tiny_encoder).fixed_runtime() is None


def test_an_unknown_embed_runtime_is_a_config_error():
    from stance.config import config_from_dict

    with pytest.raises(StanceError, match=r"model.params.embed_runtime: expected one of \['torch', 'torch-int8', 'onnx', "
                                          r"'onnx-int8'\]; got 'gpu'"):
        config_from_dict({"model": {"family": "embedding.v1", "params": {"embed_runtime": "gpu"}}})
