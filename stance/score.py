"""Batch scoring: read inputs, isolate bad documents, score in batches, write rows.

Inputs are any mix of ``.txt`` files (one article each), folders of them, and JSONL files with
``{"id": ..., "text": ...}`` per line. A bad document (empty, undecodable, a broken JSONL line)
is reported in the errors file with its reason and skipped; the others are scored.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from stance.errors import Errors, StanceError
from stance.types import Document

FORMATS = ("jsonl", "csv", "parquet")


@dataclass(frozen=True)
class BadDocument:
    """A document that could not be scored, and why."""

    where: str
    doc_id: str | None
    reason: str


@dataclass
class ScoreSummary:
    """What a scoring run did."""

    documents: int = 0
    sentences: int = 0
    bad: list[BadDocument] = field(default_factory=list)
    out: str = ""
    errors_file: str | None = None


def _read_text_file(path: Path) -> Document | BadDocument:
    data = path.read_bytes()
    where = str(path)
    if b"\x00" in data[:8192]:
        return BadDocument(where, path.stem, "binary file (NUL bytes): expected UTF-8 text. Convert it to text first.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return BadDocument(where, path.stem, Errors.E003.format(where=where, pos=exc.start))
    if not text.strip():
        return BadDocument(where, path.stem, Errors.E002.format(doc_id=path.stem, where=where))
    return Document(path.stem, text)


def _read_jsonl(path: Path) -> Iterator[Document | BadDocument]:
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            where = f"{path}:{lineno}"
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadDocument(where, None, Errors.E003.format(where=where, pos=exc.start))
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield BadDocument(where, None, Errors.E005.format(where=where, detail=exc.msg))
                continue
            if not isinstance(record, dict) or "text" not in record:
                keys = sorted(record) if isinstance(record, dict) else type(record).__name__
                yield BadDocument(where, None, Errors.E004.format(where=where, field="text", keys=keys))
                continue
            doc_id = str(record.get("id", f"{path.stem}:{lineno}"))
            text = record["text"]
            if not isinstance(text, str):
                yield BadDocument(where, doc_id, Errors.E012.format(where=where, doc_id=doc_id, field="text",
                                                                     type=type(text).__name__))
            elif not text.strip():
                yield BadDocument(where, doc_id, Errors.E002.format(doc_id=doc_id, where=where))
            else:
                yield Document(doc_id, text)


def read_inputs(paths: Sequence[str | Path]) -> Iterator[Document | BadDocument]:
    """Yield documents (or the reason one is bad) from files, folders and JSONL files, in order."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise StanceError(Errors.E001.format(path=path))
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix in {".txt", ".jsonl"} and p.is_file())
            if not files:
                raise StanceError(Errors.E001.format(path=f"{path} (a folder with no .txt or .jsonl files)"))
        else:
            files = [path]
        for file in files:
            if file.suffix == ".jsonl":
                yield from _read_jsonl(file)
            elif file.suffix == ".txt" or path.is_file():
                yield _read_text_file(file)


def output_format(out: Path, fmt: str | None) -> str:
    """The output format: explicit, else by the file's extension."""
    chosen = fmt or {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(out.suffix.lower())
    if chosen not in FORMATS:
        raise StanceError(Errors.E013.format(fmt=fmt or out.suffix, available=FORMATS))
    return chosen


class RowWriter:
    """Writes contract rows to a temporary file, moved into place when the run succeeds."""

    def __init__(self, out: Path, fmt: str) -> None:
        self.out, self.fmt = out, fmt
        self.tmp = out.with_name(f".{out.name}.partial")
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self.fh: TextIO | None = (
                None if fmt == "parquet" else open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            )
        except OSError as exc:
            raise StanceError(Errors.E018.format(path=out, detail=exc.strerror or str(exc))) from None
        self.rows: list[dict[str, Any]] = []
        self.csv: Any = None

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if self.fmt == "jsonl":
                assert self.fh is not None
                self.fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif self.fmt == "csv":
                flat = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in row.items()}
                if self.csv is None:
                    self.csv = csv.DictWriter(self.fh, fieldnames=list(flat))  # type: ignore[arg-type]
                    self.csv.writeheader()
                self.csv.writerow(flat)
            else:
                self.rows.append(row)

    def close(self) -> None:
        if self.fmt == "parquet":
            import pandas as pd

            df = pd.DataFrame(self.rows)
            for col in ("stance_scores", "sentiment_scores"):
                if col in df:
                    df[col] = df[col].map(json.dumps)
            df.to_parquet(self.tmp, index=False)
        elif self.fh is not None:
            self.fh.close()
        os.replace(self.tmp, self.out)


def score_inputs(pipeline: Any, inputs: Sequence[str | Path], out: str | Path, fmt: str | None = None,
                 errors: str | Path | None = None, batch_size: int = 32, model_label: str = "local",
                 progress: bool | None = None, stderr: TextIO = sys.stderr) -> ScoreSummary:
    """Score every document of ``inputs`` into ``out``; bad documents go to the errors file."""
    out = Path(out)
    chosen = output_format(out, fmt)
    summary = ScoreSummary(out=str(out))
    writer = RowWriter(out, chosen)
    batch: list[Document] = []

    def flush() -> None:
        if not batch:
            return
        for preds in pipeline.score_documents(batch):
            writer.write(p.to_row(model_label) for p in preds)
            summary.sentences += len(preds)
        summary.documents += len(batch)
        batch.clear()

    show = sys.stderr.isatty() if progress is None else progress
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("scoring"), BarColumn(), TextColumn("{task.completed} docs"), TimeElapsedColumn(),
                  disable=not show, transient=True) as bar:
        task = bar.add_task("score", total=None)
        for item in read_inputs(inputs):
            if isinstance(item, BadDocument):
                summary.bad.append(item)
                continue
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
                bar.update(task, completed=summary.documents)
        flush()
    writer.close()
    if summary.bad:
        err_path = Path(errors) if errors else out.with_name(out.name + ".errors.jsonl")
        with open(err_path, "w", encoding="utf-8") as fh:
            for bad in summary.bad:
                fh.write(json.dumps({"where": bad.where, "doc_id": bad.doc_id, "reason": bad.reason}) + "\n")
        summary.errors_file = str(err_path)
    return summary
