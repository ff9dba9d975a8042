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
import pandas as pd

from stance.config import RunConfig, dump_config
from stance.evaluate import (
    classification_metrics,
    expected_calibration_error,
    format_report,
    pr_curves,
    reliability_bins,
)
from stance.models.base import gold_index, model_input, previous_texts
from stance.models.registry import get_family
from stance.models.runtime import RUNTIME_DIR, choose_runtime
from stance.pipeline import Pipeline
from stance.text.segment import clean_text
from stance.tracking import METRIC_FOR_PROMOTION, Tracker
from stance.types import LABELS, TASKS

MISCLASSIFIED_TABLE = "misclassified_validation.json"


def inputs_of(rows: Any, mode: str) -> list[str]:
    """Model inputs of corpus rows (clean text, gold speaker and kind, the previous row of its document)."""
    rows = list(rows)
    clean = [clean_text(r["text"]) for r in rows]
    previous = previous_texts([(r["doc_id"], r["sent_idx"]) for r in rows], clean)
    return [model_input(c, r["speaker"] or None, r["kind"], mode, p)
            for r, c, p in zip(rows, clean, previous, strict=True)]


def labels_of(rows: Any) -> np.ndarray:
    """The ``(n, 2)`` (stance, sentiment) label array of corpus rows."""
    return np.array([[r["stance"], r["sentiment"]] for r in rows], dtype=object)


def split_metrics(pipeline: Pipeline, rows: Any, prefix: str,
                  probas: list[np.ndarray] | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """Metrics of one split: flat numbers to log, and the full reports per task.

    A task's report is ``classification_metrics`` plus ``ece``, ``reliability`` and
    ``pr_curves`` (the plots' data), and each sentence's ``pred`` and ``confidence`` (the
    probability of the predicted label). ``probas`` are the classifier's scores of ``rows`` when
    already computed.
    """
    rows = list(rows)
    if probas is None:
        probas = pipeline.classifier.predict_proba(inputs_of(rows, pipeline.input_mode))
    y = labels_of(rows)
    flat: dict[str, float] = {}
    reports: dict[str, Any] = {}
    for j, task in enumerate(TASKS):
        classes = list(pipeline.classifier.classes_[j])
        pred = [classes[k] for k in probas[j].argmax(axis=1)]
        if task == "stance":  # meta lines are neutral by rule, as in the pipeline
            pred = [("neutral" if r["kind"] == "meta" else p) for r, p in zip(rows, pred, strict=True)]
        report = classification_metrics(list(y[:, j]), pred, LABELS.of(task))
        gold_idx = gold_index(classes, y[:, j])
        report["ece"] = expected_calibration_error(probas[j], gold_idx)
        report["reliability"] = reliability_bins(probas[j], gold_idx)
        report["pr_curves"] = pr_curves(probas[j], list(y[:, j]), classes)
        report["pred"] = pred
        report["confidence"] = [float(probas[j][i, classes.index(p)]) for i, p in enumerate(pred)]
        reports[task] = report
        flat[f"{prefix}_{task}_macro_f1"] = report["macro_f1"]
        flat[f"{prefix}_{task}_accuracy"] = report["accuracy"]
        flat[f"{prefix}_{task}_ece"] = report["ece"]
        for lab, c in report["per_class"].items():
            for measure in ("precision", "recall", "f1"):
                flat[f"{prefix}_{task}_{measure}_{lab}"] = c[measure]
    return flat, reports


def calibrated_metrics(pipeline: Pipeline, corpus: Any) -> tuple[dict[str, float], dict[str, Any]]:
    """Fit the temperatures on validation; metrics of validation, test, their real part and each source.

    ECE before calibration is logged as ``<split>_<task>_ece_raw``; every other figure is of the
    calibrated scores (macro-F1 is the same either way: a temperature never changes the argmax).
    ``<split>_real_*`` pools the real sources (``stance.data.REAL_SOURCES``): the headline figures.
    """
    classifier = pipeline.classifier
    splits = {"val": corpus["validation"].to_list(), "test": corpus["test"].to_list()}
    raw = {k: classifier._predict_proba(inputs_of(rows, pipeline.input_mode)) for k, rows in splits.items()}
    metrics: dict[str, float] = {}
    for prefix, rows in splits.items():
        gold = labels_of(rows)
        for j, task in enumerate(TASKS):
            metrics[f"{prefix}_{task}_ece_raw"] = expected_calibration_error(
                raw[prefix][j], gold_index(classifier.classes_[j], gold[:, j]))
    temperatures = classifier.calibrate([], labels_of(splits["val"]), probas=raw["val"])
    metrics.update({f"{task}_temperature": t for task, t in zip(TASKS, temperatures, strict=True)})
    reports: dict[str, Any] = {}
    calibrated = {k: classifier.calibrated(v) for k, v in raw.items()}
    for prefix, rows in splits.items():
        flat, reports[prefix] = split_metrics(pipeline, rows, prefix, calibrated[prefix])
        metrics.update(flat)
        metrics.update(subset_metrics(pipeline, rows, calibrated[prefix], prefix))
    return metrics, reports


def subset_metrics(pipeline: Pipeline, rows: list[dict[str, Any]], probas: list[np.ndarray],
                   prefix: str) -> dict[str, float]:
    """Macro-F1 per task of each source in ``rows`` and of their real part (``<prefix>_real_*``, with per-class F1)."""
    from stance.data import REAL_SOURCES

    subsets = {source: [i for i, r in enumerate(rows) if r["source"] == source]
               for source in sorted({r["source"] for r in rows})}
    subsets["real"] = [i for i, r in enumerate(rows) if r["source"] in REAL_SOURCES]
    metrics: dict[str, float] = {}
    for name, idx in subsets.items():
        if not idx:
            continue
        flat, _ = split_metrics(pipeline, [rows[i] for i in idx], f"{prefix}_{name}", [p[idx] for p in probas])
        keep = [k for k in flat if k.endswith("_macro_f1") or (name == "real" and "_f1_" in k)]
        metrics.update({k: flat[k] for k in keep})
    return metrics


def newsmtsc_metrics(pipeline: Pipeline, folder: str | Path) -> dict[str, float]:
    """Sentiment F1m on NewsMTSC's two evaluation sets (sentence-level input, not target-aware)."""
    from stance import newsmtsc

    def predict(sentences: list[str]) -> list[str]:
        X = [model_input(clean_text(s), None, "body", pipeline.input_mode) for s in sentences]
        return [str(v) for v in pipeline.classifier.predict(X)[:, TASKS.index("sentiment")]]

    return {f"newsmtsc_{name}_sentiment_f1m": v for name, v in newsmtsc.evaluate(predict, folder).items()}


THROUGHPUT_SAMPLE = 512  # sentences timed: enough for a steady rate, few enough for a large encoder


def throughput(classifier: Any, X: list[str]) -> float:
    """Classifier sentences per second on an evenly spaced sample of ``X`` (one warm-up batch first)."""
    from stance.models.encoder import memo_paused

    sample = X[::max(1, len(X) // THROUGHPUT_SAMPLE)][:THROUGHPUT_SAMPLE]
    with memo_paused():
        classifier.predict_proba(sample[:16])
        started = time.perf_counter()
        classifier.predict_proba(sample)
        return len(sample) / max(time.perf_counter() - started, 1e-9)


def training_set(config: RunConfig, corpus: Any) -> tuple[list[dict[str, Any]], np.ndarray, dict[str, int]]:
    """The training rows (corpus train split, plus NewsMTSC sentiment rows if the config says so).

    Returns the rows, each row's sample weight and what was added.
    """
    rows = corpus["train"].to_list()
    weights = config.data.source_weights
    sample_weight = [weights.get(r["source"], 1.0) for r in rows]
    added: dict[str, int] = {}
    if config.data.newsmtsc:
        from stance import newsmtsc

        held_out = {r["group"] for split in ("validation", "test") for r in corpus[split]}
        texts = {r["text"].strip() for split in corpus for r in corpus[split]}
        extra, counts = newsmtsc.sentiment_rows(config.data.newsmtsc, held_out, texts, config.data.newsmtsc_limit,
                                                config.seed)
        rows += extra
        sample_weight += [config.data.newsmtsc_weight] * len(extra)
        added = {f"newsmtsc_{k}": v for k, v in counts.items()}
    return rows, np.array(sample_weight, dtype=float), added


def _git_commit() -> str:
    """The commit of the checkout the ``stance`` code runs from (not of the working directory)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False,
                              cwd=Path(__file__).resolve().parent).stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def log_datasets(tracker: Tracker, corpus: Any, corpus_dir: str | Path) -> None:
    """Log each split as an MLflow dataset input: its rows, source folder, digest and size."""
    source = str(Path(corpus_dir).resolve())
    for split in corpus:
        tracker.log_dataset(corpus[split].to_pandas(), name=f"{Path(corpus_dir).name}.{split}", source=source,
                            context=split)


def log_plots(tracker: Tracker, reports: dict[str, dict[str, Any]]) -> None:
    """Per split and task: confusion matrices (counts and row-normalised), PR curves, reliability."""
    from stance.plots import close, confusion_figure, pr_figure, reliability_figure

    for prefix, by_task in reports.items():
        for task, rep in by_task.items():
            title = f"{prefix} {task}"
            for fig, name in ((confusion_figure(rep, title), f"confusion_{prefix}_{task}.png"),
                              (confusion_figure(rep, title, normalise=True), f"confusion_norm_{prefix}_{task}.png"),
                              (pr_figure(rep["pr_curves"], f"{title}: precision-recall"), f"pr_{prefix}_{task}.png"),
                              (reliability_figure(rep["reliability"], rep["ece"], title),
                               f"reliability_{prefix}_{task}.png")):
                tracker.log_figure(fig, f"plots/{name}")
                close(fig)


def misclassified(rows: Any, reports: dict[str, Any]) -> pd.DataFrame:
    """The sentences where stance or sentiment is wrong, with gold, prediction and its probability."""
    records = []
    for i, row in enumerate(rows):
        if all(reports[t]["pred"][i] == row[t] for t in TASKS):
            continue
        record = {k: row[k] for k in ("doc_id", "sent_idx", "source", "kind", "speaker", "text")}
        for t in TASKS:
            record.update({f"{t}_gold": row[t], f"{t}_pred": reports[t]["pred"][i],
                           f"{t}_confidence": round(reports[t]["confidence"][i], 4)})
        records.append(record)
    columns = ["doc_id", "sent_idx", "source", "kind", "speaker", "text",
               *[f"{t}_{c}" for t in TASKS for c in ("gold", "pred", "confidence")]]
    return pd.DataFrame(records, columns=columns)


def train(config: RunConfig, tracker: Tracker, output_dir: str | Path, stdout: TextIO | None = None) -> dict[str, Any]:
    """Train, evaluate and save a model as the config says; log everything to ``tracker``.

    Returns:
        The flat metrics, the model folder and what the tracker did with the model.
    """
    from stance.data import load_corpus

    stdout = stdout or sys.stdout
    output_dir = Path(output_dir)
    corpus = load_corpus(config.data.corpus, seed=config.data.split_seed,
                         validation_fraction=config.data.validation_fraction,
                         test_fraction=config.data.test_fraction, sources=config.data.sources)
    family = get_family(config.model.family)
    params = {**config.model.params}
    if "seed" in family().get_params():
        params.setdefault("seed", config.seed)
    train_rows, sample_weight, added = training_set(config, corpus)
    with tracker.start(config.run_name, config.tracking.experiment):
        tracker.log_params({"config": config.model_dump(mode="json"), "git_commit": _git_commit(),
                            **{f"n_{s}": len(corpus[s]) for s in corpus}, **added})
        tracker.log_text(dump_config(config), "config.yaml")
        log_datasets(tracker, corpus, config.data.corpus)
        started = time.perf_counter()
        classifier = family(**params)
        fit_args: dict[str, Any] = {}
        accepted = inspect.signature(classifier.fit).parameters
        if (config.data.source_weights or added) and "sample_weight" in accepted:
            fit_args["sample_weight"] = sample_weight
        if "eval_set" in accepted:  # families that train in epochs
            validation = corpus["validation"]
            fit_args["eval_set"] = (inputs_of(validation, config.model.input), labels_of(validation))
            # Curves live under "epoch/", apart from the final metrics of the same name.
            fit_args["callback"] = lambda epoch, m: tracker.log_metrics({f"epoch/{k}": v for k, v in m.items()},
                                                                        step=epoch)
        classifier.fit(inputs_of(train_rows, config.model.input), labels_of(train_rows), **fit_args)
        train_seconds = time.perf_counter() - started
        split = {"corpus": config.data.corpus, "seed": config.data.split_seed,
                 "validation_fraction": config.data.validation_fraction, "test_fraction": config.data.test_fraction,
                 "sources": list(config.data.sources) if config.data.sources is not None else None}
        pipeline = Pipeline(classifier, input_mode=config.model.input, split=split)
        metrics: dict[str, float] = {"train_seconds": train_seconds}
        flat, reports = calibrated_metrics(pipeline, corpus)
        metrics.update(flat)
        if config.data.newsmtsc_eval and Path(config.data.newsmtsc_eval).is_dir():
            metrics.update(newsmtsc_metrics(pipeline, config.data.newsmtsc_eval))
        text_report = "\n\n".join(format_report(f"{prefix} {task}", reports[prefix][task])
                                  for prefix in reports for task in TASKS)
        tracker.log_text(text_report, "evaluation.txt")
        log_plots(tracker, reports)
        tracker.log_table(misclassified(corpus["validation"].to_list(), reports["val"]), MISCLASSIFIED_TABLE)
        model_dir = pipeline.save(output_dir)
        fixed = pipeline.classifier.fixed_runtime()
        if fixed:  # trained on that runtime's embeddings: it is the model's runtime
            pipeline.write_settings(model_dir, fixed)
            tracker.log_params({"runtime": fixed})
            pipeline.classifier.set_runtime(fixed, model_dir)
        elif any(Path(model_dir).glob(f"**/{RUNTIME_DIR}/*.onnx")):  # an encoder: the fastest runtime within the bound
            runtime, by_runtime = choose_runtime(pipeline.classifier,
                                                 inputs_of(corpus["validation"], pipeline.input_mode),
                                                 labels_of(corpus["validation"]), model_dir)
            pipeline.write_settings(model_dir, runtime)
            tracker.log_params({"runtime": runtime})
            metrics.update({f"runtime/{k.rsplit('_', 1)[0]}/val_{k.rsplit('_', 1)[1]}_macro_f1": v
                            for k, v in by_runtime.items()})
            pipeline.classifier.set_runtime(runtime, model_dir)
        metrics["cpu_sentences_per_s"] = throughput(pipeline.classifier,
                                                    inputs_of(corpus["test"], pipeline.input_mode))
        tracker.log_metrics(metrics)
        print(text_report, file=stdout)
        model_info: dict[str, Any] = {}
        if config.tracking.log_model:
            model_info = tracker.log_model(model_dir, config.tracking.registered_model,
                                           metrics[METRIC_FOR_PROMOTION], config.tracking.promote,
                                           config.tracking.promote_margin)
    return {"metrics": metrics, "model_dir": str(model_dir), "model": model_info,
            "run_id": getattr(tracker, "run_id", None)}
