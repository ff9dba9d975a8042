"""The training loop: corpus -> model inputs -> classifier -> metrics -> saved, tracked model.

It knows a :class:`stance.tracking.Tracker`, not MLflow, so tests run it with ``NullTracker``.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from stance.config import RunConfig, dump_config
from stance.evaluate import classification_metrics, expected_calibration_error, format_report
from stance.models.base import model_input
from stance.models.registry import get_family
from stance.pipeline import Pipeline
from stance.text.segment import clean_text
from stance.tracking import METRIC_FOR_PROMOTION, Tracker
from stance.types import LABELS, TASKS


def inputs_of(rows: Any, mode: str) -> list[str]:
    """Model inputs of corpus rows (clean text, gold speaker and kind)."""
    return [model_input(clean_text(r["text"]), r["speaker"] or None, r["kind"], mode) for r in rows]


def labels_of(rows: Any) -> np.ndarray:
    """The ``(n, 2)`` (stance, sentiment) label array of corpus rows."""
    return np.array([[r["stance"], r["sentiment"]] for r in rows], dtype=object)


def split_metrics(pipeline: Pipeline, rows: Any, prefix: str) -> tuple[dict[str, float], dict[str, Any]]:
    """Metrics of one split: flat numbers to log, and the full reports per task."""
    X = inputs_of(rows, pipeline.input_mode)
    y = labels_of(rows)
    probas = pipeline.classifier.predict_proba(X)
    flat: dict[str, float] = {}
    reports: dict[str, Any] = {}
    for j, task in enumerate(TASKS):
        classes = list(pipeline.classifier.classes_[j])
        pred = [classes[k] for k in probas[j].argmax(axis=1)]
        if task == "stance":  # meta lines are neutral by rule, as in the pipeline
            pred = [("neutral" if r["kind"] == "meta" else p) for r, p in zip(rows, pred, strict=True)]
        report = classification_metrics(list(y[:, j]), pred, LABELS.of(task))
        gold_idx = np.array([classes.index(g) if g in classes else -1 for g in y[:, j]])
        report["ece"] = expected_calibration_error(probas[j], gold_idx)
        reports[task] = report
        flat[f"{prefix}_{task}_macro_f1"] = report["macro_f1"]
        flat[f"{prefix}_{task}_accuracy"] = report["accuracy"]
        flat[f"{prefix}_{task}_ece"] = report["ece"]
        for lab, c in report["per_class"].items():
            flat[f"{prefix}_{task}_f1_{lab}"] = c["f1"]
    return flat, reports


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                              check=False).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _confusion_figure(report: dict[str, Any], title: str) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, cm = report["labels"], np.array(report["confusion"])
    fig, ax = plt.subplots(figsize=(4.8, 4))
    ax.imshow(cm, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def train(config: RunConfig, tracker: Tracker, output_dir: str | Path, stdout: TextIO | None = None) -> dict[str, Any]:
    """Train, evaluate and save a model as the config says; log everything to ``tracker``.

    Returns:
        The flat metrics, the model folder and what the tracker did with the model.
    """
    from stance.data import load_corpus

    stdout = stdout or sys.stdout
    output_dir = Path(output_dir)
    corpus = load_corpus(config.data.corpus, seed=config.seed, validation_fraction=config.data.validation_fraction,
                         test_fraction=config.data.test_fraction, sources=config.data.sources)
    family = get_family(config.model.family)
    params = {**config.model.params}
    if "seed" in family().get_params():
        params.setdefault("seed", config.seed)
    with tracker.start(config.run_name, config.tracking.experiment):
        tracker.log_params({"config": config.model_dump(mode="json"), "git_commit": _git_commit(),
                            **{f"n_{s}": len(corpus[s]) for s in corpus}})
        tracker.log_text(dump_config(config), "config.yaml")
        started = time.perf_counter()
        classifier = family(**params)
        fit_args: dict[str, Any] = {}
        accepted = inspect.signature(classifier.fit).parameters
        if config.data.source_weights and "sample_weight" in accepted:
            weights = config.data.source_weights
            fit_args["sample_weight"] = np.array([weights.get(s, 1.0) for s in corpus["train"]["source"]])
        if "eval_set" in accepted:  # families that train in epochs
            validation = corpus["validation"]
            fit_args["eval_set"] = (inputs_of(validation, config.model.input), labels_of(validation))
            fit_args["callback"] = lambda epoch, m: tracker.log_metrics(m, step=epoch)
        classifier.fit(inputs_of(corpus["train"], config.model.input), labels_of(corpus["train"]), **fit_args)
        train_seconds = time.perf_counter() - started
        pipeline = Pipeline(classifier, input_mode=config.model.input)
        metrics: dict[str, float] = {"train_seconds": train_seconds}
        reports: dict[str, Any] = {}
        for split, prefix in (("validation", "val"), ("test", "test")):
            flat, rep = split_metrics(pipeline, corpus[split], prefix)
            metrics.update(flat)
            reports[prefix] = rep
        test = corpus["test"].to_list()
        for source in sorted({r["source"] for r in test}):
            rows = [r for r in test if r["source"] == source]
            flat, _ = split_metrics(pipeline, rows, f"test_{source}")
            metrics[f"test_{source}_stance_macro_f1"] = flat[f"test_{source}_stance_macro_f1"]
            metrics[f"test_{source}_sentiment_macro_f1"] = flat[f"test_{source}_sentiment_macro_f1"]
        tracker.log_metrics(metrics)
        text_report = "\n\n".join(format_report(f"{prefix} {task}", reports[prefix][task])
                                  for prefix in reports for task in TASKS)
        tracker.log_text(text_report, "evaluation.txt")
        for prefix in reports:
            for task in TASKS:
                tracker.log_figure(_confusion_figure(reports[prefix][task], f"{prefix} {task}"),
                                   f"confusion_{prefix}_{task}.png")
        model_dir = pipeline.save(output_dir)
        print(text_report, file=stdout)
        model_info = tracker.log_model(model_dir, config.tracking.registered_model, metrics[METRIC_FOR_PROMOTION],
                                       config.tracking.promote, config.tracking.promote_margin)
    return {"metrics": metrics, "model_dir": str(model_dir), "model": model_info,
            "run_id": getattr(tracker, "run_id", None)}
