"""The Spark engine of ``stance score``: the MLflow pyfunc model through ``mlflow.pyfunc.spark_udf``.

The same logged model the local engine loads runs on every executor. ``spark_udf`` needs one output
per input row, so the UDF asks the model for one row per article (``params={"output": "documents"}``:
the article's contract rows as a JSON list); the driver then explodes them into one row per sentence,
in input order, and writes a Parquet or JSONL folder. Bad articles (no text, longer than
``max_chars``) are reported in the errors file, like the local engine does.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stance.errors import Errors, StanceError
from stance.readers import DEFAULT_MAX_CHARS, Columns
from stance.score import ScoreSummary
from stance.types import LABELS, Prediction, Sentence

SPARK_FORMATS = ("parquet", "jsonl")


def is_uri(path: str) -> bool:
    """Whether ``path`` is a URI Spark reads itself (``hdfs://``, ``s3a://``, ``file:/``...), not a local path."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", path) is not None


def _spark_format(out: str, fmt: str | None) -> str:
    name = out.rstrip("/").lower()
    chosen = fmt or ("jsonl" if name.endswith((".jsonl", ".json")) else "parquet")
    if chosen not in SPARK_FORMATS:
        raise StanceError(Errors.E013.format(fmt=chosen, available=SPARK_FORMATS))
    return chosen


def pyfunc_uri(model: str, workdir: Path) -> str:
    """An MLflow pyfunc URI for ``model``: a URI or logged-model folder as is; a stance model folder
    (``stance train --output``) is wrapped into a pyfunc model under ``workdir`` first."""
    import mlflow

    from stance.tracking import CHAMPION, StancePyfunc, has_champion, model_signature, tracking_uri

    path = Path(model)
    if path.is_dir() and not (path / "MLmodel").is_file():
        from stance.models.base import MANIFEST

        if not (path / MANIFEST).is_file():  # checked without loading the model: the executors load it
            raise StanceError(Errors.E011.format(path=path, detail=f"no {MANIFEST} and no MLmodel"))
        target = workdir / "pyfunc"
        signature, _ = model_signature()  # no input example: MLflow would load and run the model to check it
        mlflow.pyfunc.save_model(target, python_model=StancePyfunc(), artifacts={"model_dir": str(path.resolve())},
                                 signature=signature)
        return str(target)
    if path.is_dir():
        return str(path)
    mlflow.set_tracking_uri(tracking_uri())
    if not model.startswith(("models:/", "runs:/", "file:", "mlflow-artifacts:")):
        raise StanceError(Errors.E007.format(uri=model, detail="not a folder and not a URI"))
    if model == f"models:/stance@{CHAMPION}" and not has_champion():
        raise StanceError(Errors.E008.format(tracking_uri=tracking_uri()))
    return model


def _check_model(uri: str) -> None:
    """The model must take the ``output`` param (logged by this version of stance)."""
    from mlflow.models import get_model_info

    try:
        signature = get_model_info(uri).signature
    except Exception as exc:
        raise StanceError(Errors.E007.format(uri=uri, detail=f"{type(exc).__name__}: {str(exc)[:200]}")) from None
    params = {p.name for p in signature.params} if signature is not None and signature.params else set()
    if "output" not in params:
        raise StanceError(Errors.E037.format(uri=uri, detail="it was logged without the 'output' parameter"))


def row_schema() -> Any:
    """The Spark schema of a contract row, derived from :meth:`Prediction.to_row` itself."""
    from pyspark.sql import types as T

    sentence = Sentence("d", 0, 0, 1, "x", "x")
    row = Prediction(sentence, "neutral", dict.fromkeys(LABELS.stance, 0.0), "neutral",
                     dict.fromkeys(LABELS.sentiment, 0.0)).to_row("m")

    def spark_type(name: str, value: Any) -> Any:
        if isinstance(value, dict):
            return T.StructType([T.StructField(k, T.DoubleType()) for k in value])
        return {bool: T.BooleanType(), int: T.LongType(), float: T.DoubleType()}.get(type(value), T.StringType())

    return T.StructType([T.StructField(k, spark_type(k, v)) for k, v in row.items()])


def spark_session(master: str) -> Any:
    """A SparkSession on ``master``; for a local master the workers run this very Python."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise StanceError(Errors.E036.format(detail=str(exc))) from None
    builder = (SparkSession.builder.master(master).appName("stance-score")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .config("spark.sql.execution.arrow.maxRecordsPerBatch", "256")
               .config("spark.ui.enabled", "false"))
    if master.startswith("local"):  # the workers are this machine's: run them on this very interpreter
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        builder = builder.config("spark.driver.memory", "512m")
    return builder.getOrCreate()


def _read(spark: Any, inputs: Sequence[str], cols: Columns) -> tuple[Any, bool]:
    """Parquet and JSONL files or folders as one DataFrame, each row with its input file and position;
    and whether any input has a date column."""
    from functools import reduce

    from pyspark.sql import functions as F

    frames: list[Any] = []
    has_date = False
    for raw in inputs:
        path = Path(raw)
        if is_uri(raw):  # a cluster's file system: JSONL when named so, else Parquet
            parquet = not raw.rstrip("/").lower().endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz"))
        elif not path.exists():
            raise StanceError(Errors.E001.format(path=path))
        else:
            names = [p.name for p in path.iterdir()] if path.is_dir() else [path.name]
            parquet = any(n.endswith(".parquet") for n in names)
        reader = spark.read.parquet if parquet else spark.read.json
        try:
            df = reader(raw)
        except Exception as exc:
            raise StanceError(Errors.E038.format(path=path, detail=f"{type(exc).__name__}: {str(exc)[:200]}",
                                                 text_col=cols.text, id_col=cols.id)) from None
        for role, name in (("text", cols.text), ("id", cols.id)):
            if name not in df.columns:
                raise StanceError(Errors.E032.format(path=path, role=role, col=name, option=f"--{role}-col",
                                                     columns=df.columns))
        has_date = has_date or cols.date in df.columns
        date = F.col(cols.date).cast("string") if cols.date in df.columns else F.lit(None).cast("string")
        frames.append(df.select(F.col(cols.id).cast("string").alias("doc_id"), F.col(cols.text).alias("text"),
                                date.alias("date"), F.lit(len(frames)).alias("_input"),
                                F.input_file_name().alias("_file"), F.monotonically_increasing_id().alias("_pos")))
    return reduce(lambda a, b: a.unionByName(b), frames), has_date


def _report_bad(df: Any, max_chars: int | None, err_path: Path, summary: ScoreSummary) -> Any:
    """Write the articles that cannot be scored to the errors file; return the others."""
    from pyspark.sql import functions as F

    from stance.readers import BadDocument

    blank = F.col("text").isNull() | (F.length(F.regexp_replace("text", r"\s", "")) == 0)
    too_long = F.length("text") > max_chars if max_chars else F.lit(False)
    kind = F.when(blank, "empty").when(too_long, "too_long")
    flagged = df.withColumn("_bad", kind)
    bad_rows = flagged.where(F.col("_bad").isNotNull()).select("doc_id", "_file", "_bad", F.length("text").alias("n"))
    bad = bad_rows.toLocalIterator()
    with open(err_path, "w", encoding="utf-8") as fh:
        for row in bad:
            where = row["_file"]
            reason = (Errors.E002.format(doc_id=row["doc_id"], where=where) if row["_bad"] == "empty" else
                      Errors.E030.format(doc_id=row["doc_id"], where=where, n=row["n"], max_chars=max_chars))
            item = BadDocument(where, row["doc_id"], reason, row["_bad"])
            summary.add_bad(item)
            fh.write(json.dumps({"where": where, "doc_id": item.doc_id, "reason": reason, "kind": item.kind}) + "\n")
    if summary.n_bad:
        summary.errors_file = str(err_path)
    else:
        err_path.unlink()
    return flagged.where(F.col("_bad").isNull()).drop("_bad")


def score_spark(inputs: Sequence[str], out: str | Path, model: str = "models:/stance@champion",
                fmt: str | None = None, errors: str | Path | None = None, columns: Columns | None = None,
                max_chars: int | None = DEFAULT_MAX_CHARS, master: str = "local[*]",
                spark: Any = None) -> ScoreSummary:
    """Score Parquet/JSONL inputs on Spark into the folder ``out``; rows equal the local engine's.

    Args:
        inputs: Parquet or JSONL files, or folders of them (each with an id and a text column).
        out: The output folder or URI (Spark writes part files); its format is ``fmt``, else by
            its extension (``.jsonl``), else Parquet.
        model: An MLflow model URI, a logged model folder or a stance model folder; also the
            ``model`` field of every row.
        errors: Where bad documents are reported (default ``<out>.errors.jsonl``).
        columns: The text, id and date columns.
        max_chars: Longer articles are skipped as ``too_long``; None or 0 for no limit.
        master: The Spark master (``local[*]``, ``spark://host:7077``, ``yarn``...), when no
            ``spark`` session is given.
        spark: An existing SparkSession to use instead of starting one.
    """
    out = str(out)
    chosen = _spark_format(out, fmt)
    cols = columns or Columns()
    local_out = Path(out.rstrip("/")) if not is_uri(out) else Path(out.rstrip("/").rsplit("/", 1)[-1])
    err_path = Path(errors) if errors else local_out.with_name(local_out.name + ".errors.jsonl")
    summary = ScoreSummary(out=out)
    session = spark or spark_session(master)
    try:
        _score(session, inputs, out, chosen, model, err_path, cols, max_chars, summary)
    finally:
        if spark is None:
            session.stop()
    return summary


def _run_wide_speaker_ids(rows: Any) -> Any:
    """``speaker_id`` across the whole run, as the local engine writes it (one name per person)."""
    from pyspark.sql import functions as F

    from stance.text.speaker_ids import SpeakerIndex

    names = [r["speaker"] for r in rows.select("speaker").distinct().collect()]
    index = SpeakerIndex()
    index.add(names)
    pairs = [F.lit(x) for name in names for x in (name, index.speaker_id(name))]
    return rows.withColumn("speaker_id", F.create_map(*pairs)[F.col("speaker")]) if pairs else rows


def _score(session: Any, inputs: Sequence[str], out: str, chosen: str, model: str, err_path: Path,
           cols: Columns, max_chars: int | None, summary: ScoreSummary) -> None:
    import mlflow.pyfunc
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    frame, has_date = _read(session, inputs, cols)  # bad paths and columns fail before the model loads
    with tempfile.TemporaryDirectory(prefix="stance-spark-") as tmp:
        uri = pyfunc_uri(model, Path(tmp))
        _check_model(uri)
        docs = _report_bad(frame, max_chars, err_path, summary)
        udf = mlflow.pyfunc.spark_udf(session, uri, result_type="string", env_manager="local",
                                      params={"output": "documents", "model": model})
        # Sorted before the UDF, not after: a sort samples its input first, which would run the model twice.
        # The UDF and explode keep each partition's order, and part files are written in partition order.
        # One range per core at least, so that every core scores (a small input is otherwise one partition).
        key = ("_input", "_file", "_pos")
        ordered_docs = docs.repartitionByRange(session.sparkContext.defaultParallelism, *key).sortWithinPartitions(*key)
        scored = ordered_docs.withColumn("_rows", F.from_json(udf(F.struct("doc_id", "text")),
                                                              T.ArrayType(row_schema())))
        ordered = scored.select(F.explode("_rows").alias("r"), "date").select("r.*", *(["date"] if has_date else []))
        ordered = _run_wide_speaker_ids(ordered.persist())  # the model runs once: its rows are kept
        if chosen == "parquet":
            ordered = ordered.withColumns({c: F.to_json(c) for c in ("stance_scores", "sentiment_scores")})
            ordered.write.mode("overwrite").parquet(out)
            summary.sentences = session.read.parquet(out).count()
        else:
            ordered.write.mode("overwrite").json(out)
            summary.sentences = session.read.json(out).count()
        summary.documents = docs.count()
