"""Batch scoring: every input format, bad documents by kind, checkpoints and --resume (also after SIGKILL)."""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.readers import BadDocument, Columns, read_inputs
from stance.score import score_inputs

ARTICLE = ('Talks resumed in Geneva on day {i}. "We are ready to sign if the siege ends," the envoy said. '
           "The union rejected the offer.")


def articles(n: int, dated: bool = True) -> list[dict]:
    return [{"id": f"d{i}", "text": ARTICLE.format(i=i), **({"date": f"2025-05-{1 + i % 28:02d}"} if dated else {})}
            for i in range(n)]


def write_jsonl(path: Path, records: list[dict], compress: bool = False) -> Path:
    text = "".join(json.dumps(r) + "\n" for r in records)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as fh:
            fh.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def write_csv(path: Path, records: list[dict], fields=("id", "text", "date")) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(fields), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
    return path


def read_rows(path: Path) -> list[dict]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    import pandas as pd

    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)
    rows = df.to_dict("records")
    for row in rows:
        for col in ("stance_scores", "sentiment_scores"):
            row[col] = json.loads(row[col])
    return rows


@pytest.fixture(scope="module")
def model_dir(tiny_pipeline, tmp_path_factory) -> Path:
    return tiny_pipeline.save(tmp_path_factory.mktemp("model") / "tiny")


def test_every_input_format_reads_the_same_documents(tmp_path):
    import pandas as pd

    records = articles(5)
    inputs = [write_jsonl(tmp_path / "a.jsonl", records), write_jsonl(tmp_path / "a.jsonl.gz", records, True),
              write_csv(tmp_path / "a.csv", records), write_csv(tmp_path / "a.csv.gz", records)]
    pd.DataFrame(records).to_parquet(tmp_path / "a.parquet")
    inputs.append(tmp_path / "a.parquet")
    expected = [(r["id"], r["text"], r["date"]) for r in records]
    for path in inputs:
        docs = list(read_inputs([path]))
        assert [(d.doc_id, d.text, d.date) for d in docs] == expected, path  # type: ignore[union-attr]
    (tmp_path / "one.txt.gz").write_bytes(gzip.compress(records[0]["text"].encode()))
    [doc] = read_inputs([tmp_path / "one.txt.gz"])
    assert (doc.doc_id, doc.text) == ("one", records[0]["text"])  # type: ignore[union-attr]
    assert len(list(read_inputs([tmp_path]))) == 5 * 5 + 1  # the folder: every kind of file, sorted


def test_custom_columns_and_missing_column_error(tmp_path):
    path = write_csv(tmp_path / "b.csv", [{"key": "k1", "body": "Talks resumed."}], fields=("key", "body"))
    [doc] = read_inputs([path], Columns(text="body", id="key", id_required=True))
    assert (doc.doc_id, doc.text) == ("k1", "Talks resumed.")  # type: ignore[union-attr]
    with pytest.raises(StanceError, match=r"has no text column 'text'; its columns are \['key', 'body'\]"):
        list(read_inputs([path]))
    with pytest.raises(StanceError, match="has no id column 'id'.*--id-col"):
        list(read_inputs([path], Columns(text="body", id_required=True)))
    [doc] = read_inputs([path], Columns(text="body"))  # the default id falls back to <file>:<row>
    assert doc.doc_id == "b:1"  # type: ignore[union-attr]


def test_bad_documents_by_kind(tmp_path):
    records = [*articles(2), {"id": "long", "text": "x" * 500}, {"id": "blank", "text": " "}]
    write_jsonl(tmp_path / "c.jsonl", records)
    (tmp_path / "broken.jsonl.gz").write_bytes(gzip.compress(b'{"id": "z", "text": "ok"}\n')[:-12])
    items = list(read_inputs([tmp_path / "c.jsonl", tmp_path / "broken.jsonl.gz"], max_chars=300))
    bad = [i for i in items if isinstance(i, BadDocument)]
    assert [(b.doc_id, b.kind) for b in bad][:2] == [("long", "too_long"), ("blank", "empty")]
    assert "500 characters, more than --max-chars 300" in bad[0].reason
    assert bad[-1].kind == "undecodable" and "Cannot read" in bad[-1].reason


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_formats_give_the_same_rows_with_dates(tiny_pipeline, tmp_path, monkeypatch, fmt):
    import pyarrow.parquet as pq

    import stance.score

    monkeypatch.setattr(stance.score, "PARQUET_ROW_GROUP", 7)  # several row groups, written one by one
    records = [*articles(6), {"id": "undated", "text": "The union rejected the offer."}]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    summary = score_inputs(tiny_pipeline, [src], tmp_path / "ref.jsonl", batch_size=4, progress=False)
    reference = read_rows(tmp_path / "ref.jsonl")
    assert summary.documents == 7 and summary.sentences == len(reference) == 19
    assert reference[0]["date"] == "2025-05-01" and "date" not in reference[-1]
    out = tmp_path / f"out.{fmt}"
    score_inputs(tiny_pipeline, [src], out, batch_size=4, progress=False)
    rows = read_rows(out)
    if fmt != "jsonl":
        assert rows[-1]["date"] in ("", None)
        rows[-1].pop("date")
    assert rows == reference
    if fmt == "parquet":
        assert pq.ParquetFile(out).num_row_groups == 3
    assert not (tmp_path / f".out.{fmt}.parts").exists()  # the checkpoint is removed once assembled


class CrashAfter:
    """A pipeline that dies after ``n`` batches, like a process killed mid-way."""

    def __init__(self, pipeline, n: int) -> None:
        self.pipeline, self.n = pipeline, n

    def score_documents(self, docs):
        if self.n == 0:
            raise KeyboardInterrupt("killed")
        self.n -= 1
        return self.pipeline.score_documents(docs)


def test_resume_after_a_crash_equals_an_uninterrupted_run(tiny_pipeline, tmp_path):
    records = articles(20)
    records.insert(5, {"id": "empty", "text": ""})
    src = write_jsonl(tmp_path / "in.jsonl", records)
    score_inputs(tiny_pipeline, [src], tmp_path / "ref.jsonl", batch_size=3, progress=False)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        score_inputs(CrashAfter(tiny_pipeline, 2), [src], out, batch_size=3, progress=False)
    assert not out.exists() and len(list((tmp_path / ".out.jsonl.parts").glob("part-*.jsonl"))) == 2
    summary = score_inputs(CrashAfter(tiny_pipeline, 5), [src], out, batch_size=3, progress=False, resume=True)
    assert summary.resumed_documents == 6 and summary.documents == 20 and summary.skipped == {"empty": 1}
    assert out.read_text() == (tmp_path / "ref.jsonl").read_text()
    errors = [json.loads(line) for line in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [e["doc_id"] for e in errors] == ["empty"]


def test_resume_refuses_a_checkpoint_of_another_job(tiny_pipeline, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", articles(6))
    with pytest.raises(KeyboardInterrupt):
        score_inputs(CrashAfter(tiny_pipeline, 1), [src], tmp_path / "o.jsonl", batch_size=2, progress=False)
    write_jsonl(src, articles(7))
    with pytest.raises(StanceError, match="belongs to another job .*different inputs.*without --resume"):
        score_inputs(tiny_pipeline, [src], tmp_path / "o.jsonl", batch_size=2, progress=False, resume=True)
    summary = score_inputs(tiny_pipeline, [src], tmp_path / "o.jsonl", batch_size=2, progress=False)
    assert summary.documents == 7 and summary.resumed_documents == 0


def test_cli_summary_counts_each_kind_and_exits_2(model_dir, tmp_path):
    records = [*articles(3), {"id": "long", "text": "y " * 300}, {"id": "blank", "text": ""}]
    src = write_jsonl(tmp_path / "in.jsonl", records)
    result = CliRunner().invoke(app, ["score", str(src), "--out", str(tmp_path / "o.csv"), "--model", str(model_dir),
                                      "--max-chars", "400", "--errors", str(tmp_path / "bad.jsonl")])
    assert result.exit_code == 2, result.output
    assert "scored 3 documents, 9 sentences" in result.output
    assert "skipped 2 bad documents (1 empty, 1 too long)" in result.output
    kinds = [json.loads(line)["kind"] for line in (tmp_path / "bad.jsonl").read_text().splitlines()]
    assert kinds == ["too_long", "empty"]


@pytest.mark.slow
def test_sigkill_then_resume_equals_an_uninterrupted_run(model_dir, tiny_pipeline, tmp_path):
    """Acceptance 1: kill -9 a real `stance score` mid-way, rerun with --resume, compare row for row."""
    src = write_jsonl(tmp_path / "in.jsonl", articles(400, dated=False))
    out = tmp_path / "out.jsonl"
    parts = tmp_path / ".out.jsonl.parts"
    cmd = [sys.executable, "-m", "stance.cli", "score", str(src), "--out", str(out), "--model", str(model_dir),
           "--batch-size", "10"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while len(list(parts.glob("part-*.jsonl"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
    committed = len(list(parts.glob("part-*.jsonl")))
    assert not out.exists() and 2 <= committed < 40
    resumed = subprocess.run([*cmd, "--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "scored 400 documents (" in resumed.stderr and "from the resumed checkpoint" in resumed.stderr
    score_inputs(tiny_pipeline, [src], tmp_path / "ref.jsonl", batch_size=10, progress=False,
                 model_label=str(model_dir))
    assert out.read_text() == (tmp_path / "ref.jsonl").read_text()
    assert not parts.exists()
