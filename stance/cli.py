"""The ``stance`` command line: thin typer commands over the library.

Every user mistake ends in one line on stderr (what, expected, seen, fix) and exit code 1;
``stance score`` exits 2 when some documents were skipped (see the errors file).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer

from stance.errors import Errors, StanceError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Speaker stance toward negotiations, and sentiment, for every sentence of an article.")


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Print a StanceError as one line and exit 1, never a traceback."""
    try:
        yield
    except StanceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def train(
    config: Annotated[Path, typer.Option("--config", "-c", help="YAML run config, e.g. configs/tfidf.yaml")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="override: key=value (dotted keys)")] = None,
    output: Annotated[Path, typer.Option(help="where the model folder is written")] = Path("models/model-last"),
    promote: Annotated[bool, typer.Option("--promote", help="make this model the champion whatever its score")] = False,
    track: Annotated[bool, typer.Option(help="log the run to MLflow")] = True,
) -> None:
    """Train a model, evaluate it on held-out documents, log and register it."""
    from stance.config import load_config

    with user_errors():
        cfg = load_config(config, set_)
        if promote:
            cfg = cfg.model_copy(update={"tracking": cfg.tracking.model_copy(update={"promote": "always"})})
        from stance.tracking import MlflowTracker, NullTracker
        from stance.train import train as run_training

        tracker = MlflowTracker() if track else NullTracker()
        result = run_training(cfg, tracker, output)
        m, info = result["metrics"], result["model"]
        typer.echo(f"real text: validation stance macro-F1 {m['val_real_stance_macro_f1']:.3f}, "
                   f"test {m['test_real_stance_macro_f1']:.3f}; sentiment test {m['test_real_sentiment_macro_f1']:.3f} "
                   f"(authored test stance {m.get('test_authored_stance_macro_f1', float('nan')):.3f})")
        if info:
            state = "champion" if info["promoted"] else "challenger (champion kept)"
            typer.echo(f"run {result['run_id']}: registered {info['model_uri']} as {state}")


@app.command()
def score(
    inputs: Annotated[list[str], typer.Argument(help=".txt files or folders, JSONL, CSV, Parquet (.gz too)")],
    out: Annotated[str, typer.Option("--out", "-o", help="output file (.jsonl, .csv, .parquet); a folder for spark")],
    model: Annotated[str | None, typer.Option(help="model folder or MLflow URI; default the champion")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl | csv | parquet (default: by --out)")] = None,
    errors: Annotated[Path | None, typer.Option(help="where bad documents are reported")] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 32,
    text_col: Annotated[str, typer.Option(help="column (JSONL field) holding the article text")] = "text",
    id_col: Annotated[str | None, typer.Option(help="column holding the id [default: id, else file:row]")] = None,
    date_col: Annotated[str, typer.Option(help="optional column passed through to rows as 'date'")] = "date",
    max_chars: Annotated[int, typer.Option(min=0, help="longer documents are skipped (0: no limit)")] = 1_000_000,
    resume: Annotated[bool, typer.Option("--resume", help="finish a killed run, keep its committed batches")] = False,
    engine: Annotated[str, typer.Option(help="local | spark")] = "local",
    master: Annotated[str, typer.Option(help="Spark master URL (--engine spark)")] = "local[*]",
    runtime: Annotated[str | None, typer.Option(
        help="torch | torch-int8 | onnx | onnx-int8 [default: the one stored with the model, else onnx]")] = None,
) -> None:
    """Score articles: one row per sentence with speaker, stance and sentiment."""
    from stance.readers import Columns
    from stance.score import output_format, score_inputs

    with user_errors():
        columns = Columns(text_col, id_col or "id", date_col, id_required=id_col is not None)
        label = model or "models:/stance@champion"
        if engine == "spark":
            from stance.spark_engine import score_spark

            summary = score_spark(inputs, out, label, fmt, errors, columns, max_chars, master)  # URIs kept whole
        elif engine == "local":
            output_format(Path(out), fmt)
            from stance.tracking import resolve_pipeline

            pipeline = resolve_pipeline(model)
            if runtime:
                pipeline.set_runtime(runtime)
            summary = score_inputs(pipeline, inputs, out, fmt, errors, batch_size,
                                   label, columns=columns, max_chars=max_chars, resume=resume)
        else:
            raise StanceError(f"Unknown --engine {engine!r}; expected 'local' or 'spark'.")
        if summary.documents == 0 and summary.n_bad:
            for bad in summary.examples:
                typer.echo(f"error: {bad.reason}", err=True)
            raise StanceError(Errors.E017.format(n_bad=summary.n_bad, errors=summary.errors_file))
        typer.echo(summary.describe(), err=True)
        if summary.n_bad:
            raise typer.Exit(2)


@app.command()
def export(
    out: Annotated[Path, typer.Option("--out", "-o", help="new model folder to write")],
    model: Annotated[str | None, typer.Option(help="model folder or MLflow URI; default the champion")] = None,
    runtime: Annotated[str | None, typer.Option(
        help="runtime stored in the folder [default: the model's own]")] = None,
) -> None:
    """Write a self-contained model folder with its ONNX graphs, for `stance score --model FOLDER`."""
    from stance.models.runtime import check_runtime
    from stance.tracking import resolve_pipeline

    with user_errors():
        if runtime is not None:
            check_runtime(runtime)
        if out.exists() and any(out.iterdir()):
            raise StanceError(Errors.E051.format(uri=model or "models:/stance@champion", out=out,
                                                 detail="the folder is not empty"))
        pipeline = resolve_pipeline(model)
        runtime = pipeline.runtime = runtime or pipeline.runtime
        try:
            pipeline.save(out)
        except OSError as exc:
            raise StanceError(Errors.E051.format(uri=model or "models:/stance@champion", out=out, detail=exc)) from None
        files = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
        typer.echo(f"exported {model or 'models:/stance@champion'} to {out} (runtime {runtime}): {', '.join(files)}")


@app.command()
def report(
    scores: Annotated[Path, typer.Argument(help="rows written by `stance score` (.jsonl, .csv, .parquet)")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="report file (default for md: print it)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html | md")] = "html",
    dates: Annotated[Path | None, typer.Option(help="doc_id -> date, as JSON or CSV (doc_id,date)")] = None,
    top: Annotated[int, typer.Option(min=1, help="strongest sentences shown per stance")] = 5,
    max_articles: Annotated[int, typer.Option(min=0, help="articles given their own table")] = 200,
) -> None:
    """Each speaker's stance distribution, the strongest sentences, and stance over time."""
    from stance.report import write_report

    with user_errors():
        if out is None and fmt == "html":
            raise StanceError("stance report --format html needs --out FILE (or use --format md to print).")
        text = write_report(scores, out, fmt, dates, top, max_articles)
        if out is None:
            typer.echo(text)
        else:
            typer.echo(f"wrote {out}", err=True)


@app.command()
def evaluate(
    data: Annotated[Path, typer.Option(help="corpus folder (seeds/corpus) or a <doc>.gold.jsonl beside <doc>.txt")],
    model: Annotated[str | None, typer.Option(help="model folder or MLflow URI; default the champion "
                                              "(--task speakers needs none)")] = None,
    split: Annotated[str, typer.Option(help="corpus split: train, validation, test or all")] = "test",
    task: Annotated[str, typer.Option(help="labels (stance, sentiment, speakers) or speakers")] = "labels",
    source: Annotated[str | None, typer.Option(help="only this corpus source, e.g. authored")] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the metrics as JSON")] = None,
) -> None:
    """Evaluate a model end to end on gold documents: macro-F1, per-class P/R/F1, confusion."""
    from stance.assess import assess
    from stance.evaluate import format_report
    from stance.tracking import resolve_pipeline

    with user_errors():
        if task not in ("labels", "speakers"):
            raise StanceError(f"Unknown --task {task!r}; expected 'labels' or 'speakers'.")
        pipeline = None if task == "speakers" and model is None else resolve_pipeline(model)  # attribution only
        result = assess(pipeline, data, split, task, source)
        typer.echo(f"{result['documents']} documents, {result['sentences']} gold sentences")
        typer.echo(f"sentence boundary F1 {result['boundary_f1']:.3f} (P {result['boundary_precision']:.3f}, "
                   f"R {result['boundary_recall']:.3f})")
        typer.echo(f"speaker accuracy {result['speaker_accuracy']:.3f} "
                   f"(normalised {result['speaker_accuracy_normalised']:.3f}, n={result['speaker_n']})")
        typer.echo(f"{'source':<18} {'n':>6} {'speaker acc.':>12} {'normalised':>10}")
        for src, acc in result["speakers_by_source"].items():
            typer.echo(f"{src:<18} {acc['speaker_n']:>6} {acc['speaker_accuracy']:>12.3f} "
                       f"{acc['speaker_accuracy_normalised']:>10.3f}")
        for t in ("stance", "sentiment"):
            if t in result:
                typer.echo(format_report(t, result[t]))
        if json_out:
            json_out.write_text(json.dumps(result, indent=2), encoding="utf-8")


@app.command()
def compare(
    run_ids: Annotated[list[str] | None, typer.Argument(help="runs to compare (default: all)")] = None,
    experiment: Annotated[str, typer.Option(help="MLflow experiment")] = "stance",
    metric: Annotated[str, typer.Option(help="sort by this metric")] = "val_real_stance_macro_f1",
    html_out: Annotated[Path | None, typer.Option("--html", help="also write the table and a chart as HTML")] = None,
) -> None:
    """A table of runs, their key metrics and the params that differ, best first."""
    from stance.compare import compare_runs

    with user_errors():
        compare_runs(experiment, run_ids or [], metric, html_out)
        if html_out is not None:
            typer.echo(f"wrote {html_out}", err=True)


@app.command()
def promote(
    version: Annotated[str, typer.Argument(help="registered model version, e.g. 3")],
    alias: Annotated[str, typer.Option(help="alias to set")] = "champion",
) -> None:
    """Point an alias (default: champion) at a registered model version."""
    from stance.tracking import promote as set_alias

    with user_errors():
        typer.echo(f"{set_alias(version, alias=alias)} -> version {version}")


@app.command("corpus-check")
def corpus_check(corpus: Annotated[Path, typer.Option(help="corpus folder")] = Path("seeds/corpus")) -> None:
    """Validate the corpus and print its counts (the data card's figures)."""
    from stance.corpus_stats import corpus_counts

    with user_errors():
        typer.echo(corpus_counts(corpus))


@app.command()
def demo(
    config: Annotated[Path, typer.Option(help="config trained when no champion exists")] = Path("configs/default.yaml"),
) -> None:
    """Train the default model if none is registered, then score and print the seed article."""
    from stance.demo import run

    with user_errors():
        run(config)


def main() -> None:
    """Entry point of the ``stance`` script."""
    app(prog_name="stance")


if __name__ == "__main__":
    main()
