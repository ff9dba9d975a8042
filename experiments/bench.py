"""CPU benchmark of every stage and speed variant; writes experiments/BENCH.md.

Input: the corpus's test-split documents (whole articles and transcripts), repeated until at
least ``--min-sentences`` sentences. Measures, on this machine's cores:

* segmentation alone, and segmentation + speaker attribution in one and two processes;
* the classifier alone for each registered model family and each runtime (fp32 PyTorch,
  PyTorch dynamic int8, ONNX Runtime fp32 and int8), with its stance and sentiment macro-F1 on
  the test split (gold sentences and speakers) beside fp32's;
* for the default model: batch size, length bucketing and thread count;
* end to end (``score_inputs``: read, segment, attribute, classify, write) on the default runtime,
  p50/p95 latency per document, cold model load in a fresh process, peak RSS of a `stance score` run.

Absolute times vary between machines; compare the ratios within one run. Run: ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def tree_rss_mb(pid: int) -> float:
    """The resident memory of ``pid`` and all its descendants now, in MB (Linux ``/proc``)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def peak_rss_run(cmd: list[str], every: float = 0.1) -> float:
    """Run ``cmd`` to the end; the highest summed RSS of its process tree, sampled every ``every`` s."""
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(every)
    if proc.returncode:
        raise SystemExit(f"bench: {' '.join(cmd)} failed:\n{proc.stderr.read() if proc.stderr else ''}")
    return peak


def family_models(default_uri: str | None) -> dict[str, str]:
    """The newest registered version of each model family, plus the default (champion)."""
    import mlflow
    from mlflow import MlflowClient

    from stance.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(None))
    chosen: dict[str, str] = {}
    versions = sorted(MlflowClient().search_model_versions("name='stance'"), key=lambda v: -int(v.version))
    for version in versions:
        run = MlflowClient().get_run(version.run_id) if version.run_id else None
        family = run.data.params.get("config.model.family") if run else None
        if family and family not in chosen:
            chosen[family] = f"models:/stance/{version.version}"
    if default_uri is None:  # the champion: measured once, under its family's label when it is that version
        champion = MlflowClient().get_model_version_by_alias("stance", "champion").version
        for family, uri in list(chosen.items()):
            if uri == f"models:/stance/{champion}":
                del chosen[family]
                chosen["default"] = uri
                return chosen
    chosen["default"] = default_uri or "models:/stance@champion"
    return chosen


def macro_f1(pipeline: Any, gold: list[dict[str, Any]]) -> tuple[float, float]:
    """Stance and sentiment macro-F1 of the classifier on gold sentences with gold speakers."""
    from stance.evaluate import classification_metrics
    from stance.models.base import model_input
    from stance.types import LABELS

    inputs = [model_input(g["text"], g.get("speaker"), g.get("kind", "body"), pipeline.input_mode) for g in gold]
    pred = pipeline.classifier.predict(inputs)
    stance, sentiment = (classification_metrics([g[t] for g in gold], list(pred[:, j]), LABELS.of(t))["macro_f1"]
                         for j, t in enumerate(("stance", "sentiment")))
    return stance, sentiment


def classifier_rate(pipeline: Any, inputs: list[str]) -> float:
    pipeline.classifier.predict_proba(inputs[:16])  # warm up (runner built, graph loaded)
    return len(inputs) / timed(lambda: pipeline.classifier.predict_proba(inputs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="default model: folder or MLflow URI (default: champion)")
    parser.add_argument("--min-sentences", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="only the default model, fewer variants")
    parser.add_argument("--out", default=str(ROOT / "experiments" / "BENCH.md"))
    args = parser.parse_args()

    import torch

    from stance.assess import load_gold
    from stance.models.base import model_input
    from stance.models.runtime import DEFAULT_RUNTIME, RUNTIMES
    from stance.score import score_inputs
    from stance.text.nlp import load_nlp, parse
    from stance.text.segment import segment
    from stance.text.speakers import attribute
    from stance.tracking import resolve_pipeline
    from stance.types import Document

    cores = os.cpu_count() or 1
    torch.set_num_threads(cores)
    docs, gold = load_gold(ROOT / "seeds" / "corpus", "test")
    whole = [d for d in docs if not d.doc_id.startswith("mt-")]
    per_round = sum(len(segment(d.text)) for d in whole)
    rounds = max(1, -(-args.min_sentences // per_round))
    corpus = [Document(f"{d.doc_id}#{r}", d.text) for r in range(rounds) for d in whole]
    lines: list[str] = []
    rows: list[tuple[str, str, int, float, str]] = []  # stage, variant, sentences, seconds, note

    # Segmentation and attribution.
    n_sent = sum(len(segment(d.text)) for d in corpus)
    rows.append(("segmentation", "blingfire + rules", n_sent, timed(lambda: [segment(d.text) for d in corpus]), ""))
    nlp = load_nlp()
    for workers in (1, 2) if cores >= 2 else (1,):
        def seg_attr(workers: int = workers) -> None:
            spans = [segment(d.text) for d in corpus]
            parsed = parse(nlp, [s.clean for sp in spans for s in sp], workers=workers)
            pos = 0
            for sp in spans:
                attribute(sp, parsed[pos: pos + len(sp)])
                pos += len(sp)
        rows.append(("segmentation + attribution", f"{workers} process{'es' if workers > 1 else ''}", n_sent,
                     timed(seg_attr), "spaCy parse in one call"))
    print(f"segmentation + attribution done ({n_sent} sentences)", file=sys.stderr)

    # Classifier alone: each family x runtime, with accuracy.
    sentences = list(gold)
    inputs_base = [(g["text"], g.get("speaker"), g.get("kind", "body")) for g in sentences]
    reps = max(1, -(-args.min_sentences // len(inputs_base)))
    models = {"default": args.model or "models:/stance@champion"} if args.quick else family_models(args.model)
    acc_rows: list[str] = []
    default_pipeline = None
    own_runtime = DEFAULT_RUNTIME
    for label, uri in models.items():
        pipeline = resolve_pipeline(uri)
        if label == "default":  # the runtime training chose for it (pipeline.json), as `stance score` runs it
            own_runtime = pipeline.runtime or DEFAULT_RUNTIME
        family = type(pipeline.classifier).__name__
        inputs = [model_input(t, s, k, pipeline.input_mode) for t, s, k in inputs_base] * reps
        has_encoder = family != "TfidfClassifier"
        fp32 = None
        for runtime in RUNTIMES if has_encoder else ("torch",):
            pipeline.set_runtime(runtime)
            rate = classifier_rate(pipeline, inputs)
            f1s = macro_f1(pipeline, sentences)
            fp32 = fp32 or f1s
            name = runtime if has_encoder else "scikit-learn"
            rows.append(("classifier alone", f"{label} ({family}), {name}", len(inputs), len(inputs) / rate, ""))
            acc_rows.append(f"| {label} ({family}) | {name} | {rate:.0f} | {f1s[0]:.4f} ({f1s[0] - fp32[0]:+.4f}) | "
                            f"{f1s[1]:.4f} ({f1s[1] - fp32[1]:+.4f}) |")
            print(acc_rows[-1], file=sys.stderr)
        if label == "default":
            default_pipeline = pipeline
    assert default_pipeline is not None
    pipeline = default_pipeline
    inputs = [model_input(t, s, k, pipeline.input_mode) for t, s, k in inputs_base] * reps

    # Batch size, bucketing, threads (default model, its own runtime).
    knob_rows: list[str] = []
    if hasattr(pipeline.classifier, "_encoder"):  # one frozen encoder (the knobs are its own)
        pipeline.set_runtime(own_runtime)
        encoder = pipeline.classifier._encoder()
        for batch in (16, 64, 256):
            encoder.batch_size = batch
            knob_rows.append(f"| batch size {batch} | {classifier_rate(pipeline, inputs):.0f} |")
        encoder.batch_size, encoder.bucket = 64, False
        knob_rows.append(f"| batch 64, no length bucketing | {classifier_rate(pipeline, inputs):.0f} |")
        encoder.bucket = True
        for threads in sorted({1, cores}):
            os.environ["STANCE_THREADS"] = str(threads)
            pipeline.set_runtime(own_runtime)
            knob_rows.append(f"| {threads} thread{'s' if threads > 1 else ''} | "
                             f"{classifier_rate(pipeline, inputs):.0f} |")
        os.environ.pop("STANCE_THREADS")
    pipeline.set_runtime(own_runtime)
    print("knobs done", file=sys.stderr)

    # End to end, in process and through the CLI.
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "articles.jsonl"
        src.write_text("".join(json.dumps({"id": d.doc_id, "text": d.text}) + "\n" for d in corpus), encoding="utf-8")
        summary: Any = None

        def run() -> None:
            nonlocal summary
            summary = score_inputs(pipeline, [src], Path(tmp) / "rows.jsonl", progress=False)
        e2e = timed(run)
        rows.append(("end to end (score_inputs)", f"default, {own_runtime}", summary.sentences, e2e,
                     "read, segment, attribute, classify, write"))
        latencies = []
        for doc in whole:
            start = time.perf_counter()
            pipeline.score_documents([doc])
            latencies.append((time.perf_counter() - start) * 1000)
        load_code = ("import time; t0 = time.perf_counter(); from stance.pipeline import load_model; "
                     "t1 = time.perf_counter(); p = load_model({uri!r}); p.classifier.predict_proba(['x']); "
                     "t2 = time.perf_counter(); print(t1 - t0, t2 - t1)")
        out = subprocess.run([sys.executable, "-c", load_code.format(uri=args.model)], capture_output=True,
                             text=True, cwd=ROOT, check=True).stdout.split()
        import_s, load_s = float(out[0]), float(out[1])
        cli = [str(Path(sys.executable).parent / "stance"), "score", str(src), "--out", str(Path(tmp) / "cli.jsonl")]
        if args.model:
            cli += ["--model", args.model]
        # The summed RSS of the CLI and its spaCy workers, sampled (ru_maxrss would report the
        # high-water mark this big process hands down to the children it starts).
        rss: list[float] = []
        cli_s = timed(lambda: rss.append(peak_rss_run(cli)))
        rss_mb = rss[0]

    table = ["| stage | variant | sentences | seconds | sentences/s | note |", "|---|---|---|---|---|---|"]
    table += [f"| {s} | {v} | {n} | {sec:.1f} | {n / sec:.0f} | {note} |" for s, v, n, sec, note in rows]
    p50, p95 = statistics.median(latencies), statistics.quantiles(latencies, n=20)[18]
    lines = [
        "# Benchmark (generated by `make bench`; do not edit)",
        "",
        f"Machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, torch "
        f"{torch.__version__}. Input: {len(whole)} test documents x {rounds} = {len(corpus)} documents, "
        f"{n_sent} sentences; classifier inputs: the {len(inputs_base)} test sentences x {reps}. "
        f"Default model: {args.model or 'models:/stance@champion'}; its runtime: {own_runtime}.",
        "",
        "## Stages",
        "",
        *table,
        "",
        f"`stance score` CLI on the same {len(corpus)} documents: {cli_s:.1f} s wall including start-up and model "
        f"load ({summary.sentences / cli_s:.0f} sentences/s); peak RSS {rss_mb:.0f} MB (the CLI and its "
        f"worker processes together, sampled every 0.1 s).",
        "",
        f"Latency per document (whole pipeline, one document per call, {len(whole)} documents): "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms.",
        "",
        f"Cold start in a fresh process: imports {import_s:.1f} s, model load to first prediction {load_s:.1f} s.",
        "",
        "## Runtimes: speed and accuracy (classifier alone; macro-F1 on the test split, change vs fp32)",
        "",
        "| model | runtime | sentences/s | stance macro-F1 | sentiment macro-F1 |",
        "|---|---|---|---|---|",
        *acc_rows,
        "",
    ]
    if knob_rows:
        lines += ["## Knobs (default model, its runtime, classifier alone)", "",
                  "| setting | sentences/s |", "|---|---|", *knob_rows, ""]
    report = "\n".join(lines)
    Path(args.out).write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
