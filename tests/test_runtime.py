"""Inference runtimes: every runtime gives fp32's labels; graphs are exported with the model, never into it later."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.models.registry import get_family
from stance.models.runtime import DEFAULT_RUNTIME, ONNX_FILES, RUNTIME_DIR, RUNTIMES
from stance.pipeline import Pipeline

from .conftest import SEED
from .test_models import OVERFIT, TEXTS, Y

# Score tolerance per runtime against fp32 PyTorch. Measured on this fixture: onnx 6e-8, torch-int8
# 2e-4, onnx-int8 8e-4 (the fine-tuned family; the embedding family moves less). Labels must not move.
SCORE_TOLERANCE = {"torch": 0.0, "onnx": 1e-5, "torch-int8": 0.005, "onnx-int8": 0.005}


@pytest.fixture(scope="module", params=["embedding.v1", "finetune.v1"])
def fitted(request, tiny_encoder, tmp_path_factory):
    """A model of each encoder family fitted on the fixture, saved as a pipeline folder."""
    params = {"encoder": tiny_encoder, **OVERFIT[request.param]}
    fit_args = {"eval_set": (TEXTS, Y)} if request.param == "finetune.v1" else {}
    model = get_family(request.param)(**params).fit(TEXTS, Y, **fit_args)
    folder = tmp_path_factory.mktemp(request.param) / "model"
    Pipeline(model, input_mode="sentence").save(folder)
    return folder


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_every_runtime_gives_the_fp32_labels(fitted, runtime):
    pipeline = Pipeline.load(fitted)
    pipeline.set_runtime("torch")
    ref_labels, ref_scores = pipeline.classifier.predict(TEXTS), pipeline.classifier.predict_proba(TEXTS)
    pipeline.set_runtime(runtime)
    labels, scores = pipeline.classifier.predict(TEXTS), pipeline.classifier.predict_proba(TEXTS)
    assert (labels == ref_labels).all()
    assert (ref_labels == Y).all()  # the fixture is learnt, so the comparison is between confident predictions
    diff = max(float(np.abs(a - b).max()) for a, b in zip(scores, ref_scores, strict=True))
    assert diff <= SCORE_TOLERANCE[runtime]


def test_saved_model_carries_its_graphs_and_default_runtime(fitted, capsys):
    for file in ONNX_FILES.values():
        assert (fitted / RUNTIME_DIR / file).stat().st_size > 10_000
    assert json.loads((fitted / "pipeline.json").read_text())["runtime"] == DEFAULT_RUNTIME
    before = sorted(p.name for p in fitted.rglob("*"))
    pipeline = Pipeline.load(fitted)
    assert pipeline.runtime == DEFAULT_RUNTIME
    pipeline.classifier.predict(TEXTS)
    assert "exporting" not in capsys.readouterr().err  # the stored graph is used
    assert sorted(p.name for p in fitted.rglob("*")) == before


def test_a_folder_without_graphs_is_left_alone(fitted, tmp_path, monkeypatch, capsys):
    import shutil

    old = tmp_path / "old-model"
    shutil.copytree(fitted, old)
    shutil.rmtree(old / RUNTIME_DIR)
    monkeypatch.setenv("STANCE_CACHE", str(tmp_path / "cache"))
    pipeline = Pipeline.load(old)
    labels = pipeline.classifier.predict(TEXTS)
    assert (labels == Y).all()
    assert "exporting the encoder to ONNX" in capsys.readouterr().err
    assert not (old / RUNTIME_DIR).exists()
    assert list((tmp_path / "cache").rglob(ONNX_FILES[DEFAULT_RUNTIME]))


def test_unknown_runtime_is_a_clear_error(fitted):
    with pytest.raises(StanceError, match="Unknown runtime 'fp16'; expected one of torch, torch-int8, onnx, onnx-int8"):
        Pipeline.load(fitted).set_runtime("fp16")
    result = CliRunner().invoke(app, ["score", str(SEED), "--out", "x.jsonl", "--model", str(fitted),
                                      "--runtime", "fp16"])
    assert result.exit_code == 1
    assert "error: Unknown runtime 'fp16'" in result.output


def test_export_writes_a_folder_that_scores_like_its_source(fitted, tmp_path):
    runner = CliRunner()
    out = tmp_path / "exported"
    result = runner.invoke(app, ["export", "--model", str(fitted), "--out", str(out), "--runtime", "onnx"])
    assert result.exit_code == 0, result.output
    assert "runtime/encoder.onnx" in result.output
    assert json.loads((out / "pipeline.json").read_text())["runtime"] == "onnx"
    rows = {}
    for name, model in (("source", fitted), ("exported", out)):
        target = tmp_path / f"{name}.jsonl"
        args = ["score", str(SEED), "--out", str(target), "--model", str(model), "--runtime", "onnx"]
        assert runner.invoke(app, args).exit_code == 0
        rows[name] = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(rows["source"]) == 43
    assert [(r["stance"], r["sentiment"]) for r in rows["source"]] == \
        [(r["stance"], r["sentiment"]) for r in rows["exported"]]
    again = runner.invoke(app, ["export", "--model", str(fitted), "--out", str(out)])
    assert again.exit_code == 1
    assert "the folder is not empty" in again.output


def test_rows_say_when_a_sentence_exceeds_the_token_window(fitted):
    from stance.types import Document

    long_sentence = "The envoy said " + ", ".join(["the talks would resume"] * 60) + "."
    preds = Pipeline.load(fitted).score_documents([Document("d", f"Talks resumed. {long_sentence}")])[0]
    assert [(p.sentence.text[:14], p.truncated) for p in preds] == [("Talks resumed.", False), ("The envoy said", True)]
    assert len(preds[1].sentence.text) < 2000  # cut by the encoder's 128-token window, not by max_chars


def test_choose_runtime_takes_the_fastest_within_the_accuracy_bound(fitted, tmp_path):
    from stance.models.runtime import choose_runtime

    pipeline = Pipeline.load(fitted)
    runtime, scores = choose_runtime(pipeline.classifier, TEXTS, Y, fitted)
    assert runtime == "onnx-int8"  # the same labels as fp32 on the fixture
    assert scores["torch_stance"] == scores["onnx-int8_stance"] == 1.0

    class Lossy:  # int8 runtimes lose a sentence, fp32 ONNX does not
        runtime = "torch"

        def set_runtime(self, runtime, folder=None):
            self.runtime = runtime

        def predict(self, X):
            pred = Y.copy()
            if self.runtime.endswith("int8"):
                pred[0] = ["neutral", "neutral"]
            return pred

    runtime, scores = choose_runtime(Lossy(), TEXTS, Y, tmp_path)
    assert runtime == "onnx"
    assert scores["onnx-int8_stance"] < scores["torch_stance"] - 0.01


def test_fast_tokenizer_gives_the_transformers_ids(tiny_encoder):
    from transformers import AutoTokenizer

    from stance.models.tokenize import FastTokenizer

    texts = [*TEXTS, "", "日本語 😀 «quotes»", "word " * 300]
    ours = FastTokenizer(tiny_encoder)(texts, padding=True, truncation=True, max_length=128, return_tensors="np")
    ref = AutoTokenizer.from_pretrained(tiny_encoder)(texts, padding=True, truncation=True, max_length=128,
                                                      return_tensors="np")
    assert (ours["input_ids"] == ref["input_ids"]).all()
    assert (ours["attention_mask"] == ref["attention_mask"]).all()


def test_onnx_scoring_never_imports_transformers_or_torch(tiny_encoder, tmp_path):
    import subprocess
    import sys

    fitted = tmp_path / "model"  # the embedding family; the fine-tuned one keeps torch heads
    Pipeline(get_family("embedding.v1")(encoder=tiny_encoder, **OVERFIT["embedding.v1"]).fit(TEXTS, Y)).save(fitted)
    code = ("import sys; from stance.pipeline import Pipeline; p = Pipeline.load(sys.argv[1]); p.set_runtime('onnx'); "
            "p.classifier.predict_proba(['We are ready.']); print(sorted({'torch', 'transformers'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code, str(fitted)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
