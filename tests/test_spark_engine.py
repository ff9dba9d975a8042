"""The Spark engine: the pyfunc model through mlflow.pyfunc.spark_udf on local[2] gives the local engine's rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance.errors import StanceError
from stance.readers import Columns
from stance.score import score_inputs

from .conftest import TINY_CORPUS

pytest.importorskip("pyspark")


@pytest.fixture(scope="module")
def spark():
    from stance.spark_engine import spark_session

    session = spark_session("local[2]")
    yield session
    session.stop()


def fifty_documents(path: Path) -> Path:
    """The tiny corpus's 39 articles (real text, several speakers) and 11 short ones, a few dated."""
    docs = [json.loads(line) for line in (TINY_CORPUS / "documents.jsonl").read_text(encoding="utf-8").splitlines()]
    records = [{"id": d["doc_id"], "text": d["text"], "date": d.get("date")} for d in docs]
    records += [{"id": f"short{i}", "text": f'Talks resumed on day {i}. "We will sign only if the siege ends," '
                                          "the envoy said.", "date": None} for i in range(50 - len(records))]
    records += [{"id": "blank", "text": "  ", "date": None}, {"id": "huge", "text": "z " * 6000, "date": None}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def spark_rows(folder: Path, suffix: str) -> list[dict]:
    if suffix == "parquet":
        import pandas as pd

        rows = pd.read_parquet(folder).to_dict("records")
        for row in rows:
            for col in ("stance_scores", "sentiment_scores"):
                row[col] = json.loads(row[col])
            if row.get("date") is None:
                row.pop("date", None)
        return rows
    return [json.loads(line) for part in sorted(folder.glob("part-*.json")) for line in part.read_text().splitlines()]


@pytest.mark.slow
def test_spark_and_local_engines_give_identical_rows(spark, tiny_pipeline, tmp_path):
    """Acceptance 2: the same 50 documents through both engines, row for row, and the same skipped ones."""
    from stance.spark_engine import score_spark

    model_dir = tiny_pipeline.save(tmp_path / "model")
    src = fifty_documents(tmp_path / "docs.jsonl")
    local = score_inputs(tiny_pipeline, [src], tmp_path / "local.jsonl", progress=False, model_label=str(model_dir),
                         max_chars=10_000)
    expected = [json.loads(line) for line in (tmp_path / "local.jsonl").read_text().splitlines()]
    assert local.documents == 50 and len({r["doc_id"] for r in expected}) == 50
    assert any("date" in r for r in expected) and any("date" not in r for r in expected)
    for fmt in ("jsonl", "parquet"):
        out = tmp_path / f"spark.{fmt}"
        summary = score_spark([str(src)], out, str(model_dir), max_chars=10_000, spark=spark)
        assert (summary.documents, summary.sentences) == (50, len(expected))
        assert summary.skipped == local.skipped == {"empty": 1, "too_long": 1}
        assert spark_rows(out, fmt) == expected, fmt
    errors = [json.loads(line) for line in Path(summary.errors_file or "").read_text().splitlines()]
    assert [(e["doc_id"], e["kind"]) for e in errors] == [("blank", "empty"), ("huge", "too_long")]


def test_spark_input_errors_are_one_line(spark, tiny_pipeline, tmp_path):
    from stance.spark_engine import score_spark

    model_dir = tiny_pipeline.save(tmp_path / "model")
    src = tmp_path / "docs.jsonl"
    src.write_text('{"key": "a", "text": "Talks resumed."}\n', encoding="utf-8")
    with pytest.raises(StanceError, match=r"has no id column 'id'; its columns are \['key', 'text'\]"):
        score_spark([str(src)], tmp_path / "o", str(model_dir), spark=spark)
    with pytest.raises(StanceError, match="Input not found"):
        score_spark([str(tmp_path / "nope.parquet")], tmp_path / "o", str(model_dir), spark=spark)
    with pytest.raises(StanceError, match="Unsupported output format 'csv'"):
        score_spark([str(src)], tmp_path / "o", str(model_dir), fmt="csv", columns=Columns(id="key"), spark=spark)
