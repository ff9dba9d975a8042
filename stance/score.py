"""Batch scoring: stream inputs, isolate bad documents, score in batches, commit each batch, write rows.

Inputs are read by :mod:`stance.readers` (``.txt`` files and folders, JSONL, CSV, Parquet, gzip
variants). Each scored batch is committed atomically as a numbered part file in a checkpoint folder
beside the output (``.<out>.parts/``): rows plus a header saying how many input items the job has
consumed so far, which bad documents it met and why. When the input is exhausted the parts are
assembled, streaming, into the output (JSONL, CSV or Parquet) and the errors file, both written to a
temporary file and moved into place; then the checkpoint folder is removed. After a crash or
``kill -9``, ``resume=True`` keeps the committed parts, skips the input items they cover and goes on,
so no row is lost or written twice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from stance.errors import Errors, StanceError
from stance.locks import check_writable, locks_output
from stance.readers import DEFAULT_MAX_CHARS, BadDocument, Columns, InputDocument, input_files, read_inputs

__all__ = ["FORMATS", "BadDocument", "ScoreSummary", "output_format", "read_inputs", "score_inputs"]

FORMATS = ("jsonl", "csv", "parquet")
SCORE_COLUMNS = ("stance_scores", "sentiment_scores")
MAX_BAD_PER_PART = 1000
PARQUET_ROW_GROUP = 20_000


@dataclass
class ScoreSummary:
    """What a scoring run did: counts of scored documents and of skipped ones by kind of problem."""

    documents: int = 0
    sentences: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: list[BadDocument] = field(default_factory=list)
    out: str = ""
    errors_file: str | None = None
    resumed_documents: int = 0

    @property
    def n_bad(self) -> int:
        """How many documents were skipped."""
        return sum(self.skipped.values())

    def add_bad(self, bad: BadDocument) -> None:
        self.skipped[bad.kind] += 1
        if len(self.examples) < 5:
            self.examples.append(bad)

    def describe(self) -> str:
        """The closing summary the CLI prints."""
        resumed = f" ({self.resumed_documents} from the resumed checkpoint)" if self.resumed_documents else ""
        text = f"scored {self.documents} documents{resumed}, {self.sentences} sentences -> {self.out}"
        if self.n_bad:
            kinds = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(self.skipped.items()))
            text += f"\nskipped {self.n_bad} bad documents ({kinds}), reasons in {self.errors_file}"
        return text


# Line breaks JSON leaves raw in strings but str.splitlines() and JavaScript split on: escaped.
_UNICODE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def json_line(obj: Any) -> str:
    """One JSONL line: UTF-8 text as is, except the Unicode line breaks, so every reader sees one line."""
    return json.dumps(obj, ensure_ascii=False).translate(_UNICODE_BREAKS) + "\n"


def output_format(out: Path, fmt: str | None) -> str:
    """The output format: explicit, else by the file's extension."""
    chosen = fmt or {".jsonl": "jsonl", ".json": "jsonl", ".csv": "csv", ".parquet": "parquet"}.get(out.suffix.lower())
    if chosen not in FORMATS:
        raise StanceError(Errors.E013.format(fmt=fmt or out.suffix, available=FORMATS))
    return chosen


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomically(path: Path, lines: Iterable[str]) -> None:
    """Write ``lines`` to ``path`` so that a crash leaves either the whole file or none of it."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.writelines(lines)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class Checkpoint:
    """Committed batches of one job: ``part-000000.jsonl``... (a header line, then rows) and ``job.json``."""

    def __init__(self, out: Path, job: dict[str, Any]) -> None:
        self.dir = out.with_name(f".{out.name}.parts")
        self.out, self.job = out, job

    def start(self, resume: bool) -> list[dict[str, Any]]:
        """Keep the committed parts of the same job when resuming, else start empty; return their headers."""
        job_file = self.dir / "job.json"
        if resume and job_file.is_file():
            saved = json.loads(job_file.read_text(encoding="utf-8"))
            if saved != self.job:
                diff = sorted(k for k in set(saved) | set(self.job) if saved.get(k) != self.job.get(k))
                raise StanceError(Errors.E033.format(out=self.out, checkpoint=self.dir,
                                                     detail=f"different {', '.join(diff)}"))
            return [self._header(p) for p in self._parts()]
        shutil.rmtree(self.dir, ignore_errors=True)
        try:
            self.dir.mkdir(parents=True)
        except OSError as exc:
            raise StanceError(Errors.E018.format(path=self.out, detail=exc.strerror or str(exc))) from None
        _write_atomically(job_file, [json.dumps(self.job, indent=1)])
        return []

    def _parts(self) -> list[Path]:
        return sorted(self.dir.glob("part-*.jsonl"))

    @staticmethod
    def _header(path: Path) -> dict[str, Any]:
        with open(path, encoding="utf-8") as fh:
            header: dict[str, Any] = json.loads(fh.readline())
        return header

    def commit(self, index: int, header: dict[str, Any], rows: Sequence[dict[str, Any]]) -> None:
        """Write one part atomically: after this returns, the batch survives a ``kill -9``."""
        lines = itertools.chain([json.dumps(header, ensure_ascii=False) + "\n"],
                                (json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        _write_atomically(self.dir / f"part-{index:06d}.jsonl", lines)

    def parts(self) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]]]]:
        """Each committed part's header and its rows, read lazily, in order."""
        for path in self._parts():
            with open(path, encoding="utf-8") as fh:
                header = json.loads(fh.readline())
                yield header, (json.loads(line) for line in fh)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _job(inputs: Sequence[str | Path], model_label: str, columns: Columns, max_chars: int | None,
         batch_size: int) -> dict[str, Any]:
    """What identifies a job, so a checkpoint is resumed only by the same job over unchanged inputs."""
    digest = hashlib.sha256()
    for file in input_files(inputs):
        stat = file.stat()
        digest.update(f"{file.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return {"inputs": digest.hexdigest(), "model": model_label, "columns": asdict(columns),
            "max_chars": max_chars, "batch_size": batch_size}


def _type_name(value: Any) -> str:
    return {bool: "bool", int: "int", float: "float"}.get(type(value), "string")


class RowWriter:
    """Streams rows into a temporary file in one format, moved into place by :meth:`close`."""

    def __init__(self, out: Path, fmt: str, columns: dict[str, str]) -> None:
        self.out, self.fmt, self.columns = out, fmt, columns
        self.tmp = out.with_name(f".{out.name}.partial")
        self.buffer: list[dict[str, Any]] = []
        self.fh: TextIO | None = None
        self.parquet: Any = None
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if fmt != "parquet":
                self.fh = open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
        except OSError as exc:
            raise StanceError(Errors.E018.format(path=out, detail=exc.strerror or str(exc))) from None
        if fmt == "csv" and columns:
            import csv

            self.csv = csv.DictWriter(self.fh, fieldnames=list(columns), restval="")  # type: ignore[arg-type]
            self.csv.writeheader()

    @staticmethod
    def _flat(row: dict[str, Any]) -> dict[str, Any]:
        return {k: json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else v for k, v in row.items()}

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            if self.fmt == "jsonl":
                assert self.fh is not None
                self.fh.write(json_line(row))
            elif self.fmt == "csv":
                self.csv.writerow(self._flat(row))
            else:
                self.buffer.append(self._flat(row))
                if len(self.buffer) >= PARQUET_ROW_GROUP:
                    self._row_group()

    def _schema(self) -> Any:
        import pyarrow as pa

        types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}
        return pa.schema([(name, types.get(kind, pa.string())) for name, kind in self.columns.items()])

    def _row_group(self) -> None:
        """Write the buffered rows as one Parquet row group (memory stays bounded by the buffer)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self._schema()
        if self.parquet is None:
            self.parquet = pq.ParquetWriter(self.tmp, schema)
        table = pa.Table.from_pylist(self.buffer, schema=schema)
        self.parquet.write_table(table)
        self.buffer.clear()

    def close(self) -> None:
        if self.fmt == "parquet":
            if self.buffer or self.parquet is None:
                self._row_group()
            self.parquet.close()
        elif self.fh is not None:
            self.fh.close()
        os.replace(self.tmp, self.out)


def _assemble(checkpoint: Checkpoint, out: Path, fmt: str, err_path: Path) -> bool:
    """Stream the committed parts into the output and the errors file; return whether any was bad."""
    columns: dict[str, str] = {}
    for header, _ in checkpoint.parts():
        for name, kind in header["columns"].items():
            if columns.get(name, "null") == "null":
                columns[name] = kind
    from stance.text.speaker_ids import SpeakerIndex

    speakers = SpeakerIndex()  # one name per person across the run: a first pass reads the names
    for _, rows in checkpoint.parts():
        speakers.add(str(row.get("speaker", "")) for row in rows)
    writer = RowWriter(out, fmt, columns)
    any_bad = False
    tmp_err = err_path.with_name(f".{err_path.name}.partial")
    with open(tmp_err, "w", encoding="utf-8") as errors:
        for header, rows in checkpoint.parts():
            writer.write({**row, "speaker_id": speakers.speaker_id(str(row["speaker"]))} if "speaker" in row else row
                         for row in rows)
            for bad in header["bad"]:
                errors.write(json_line(bad))
                any_bad = True
    writer.close()
    if any_bad:
        os.replace(tmp_err, err_path)
    else:
        tmp_err.unlink()
        err_path.unlink(missing_ok=True)  # a previous run's reasons would now be wrong
    return any_bad


class _Progress:
    """A rich progress line with documents/s and sentences/s, silent when stderr is not a terminal."""

    def __init__(self, show: bool, stderr: TextIO) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.started = time.monotonic()
        self.bar = Progress(SpinnerColumn(), TextColumn("scoring {task.completed} docs, {task.fields[sentences]} "
                                                        "sentences  {task.fields[rates]}"),
                            TimeElapsedColumn(), console=Console(file=stderr), disable=not show, transient=True)
        self.task = self.bar.add_task("score", total=None, sentences=0, rates="")

    def update(self, documents: int, sentences: int, new_documents: int, new_sentences: int) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rates = f"{new_documents / elapsed:.1f} docs/s, {new_sentences / elapsed:.1f} sentences/s"
        self.bar.update(self.task, completed=documents, sentences=sentences, rates=rates)


def _row(pred: Any, doc: InputDocument, model_label: str) -> dict[str, Any]:
    row: dict[str, Any] = pred.to_row(model_label)
    if doc.date is not None:
        row["date"] = doc.date
    return row


@locks_output  # a second run writing the same output refuses (E040) instead of corrupting it
def score_inputs(pipeline: Any, inputs: Sequence[str | Path], out: str | Path, fmt: str | None = None,
                 errors: str | Path | None = None, batch_size: int = 32, model_label: str = "local",
                 progress: bool | None = None, stderr: TextIO | None = None, *, columns: Columns | None = None,
                 max_chars: int | None = DEFAULT_MAX_CHARS, resume: bool = False) -> ScoreSummary:
    """Score every document of ``inputs`` into ``out``; bad documents go to the errors file.

    Args:
        pipeline: A :class:`stance.pipeline.Pipeline` (anything with ``score_documents``).
        inputs: Files and folders (see :func:`stance.readers.read_inputs`).
        out: The output file; its format is ``fmt`` or its extension.
        errors: Where bad documents are reported (default ``<out>.errors.jsonl``).
        batch_size: Documents scored, and committed, together.
        model_label: The ``model`` field of every row.
        progress: Show the progress line (default: when stderr is a terminal).
        stderr: Where the progress line goes (default: ``sys.stderr``).
        columns: Text, id and date columns of CSV/Parquet inputs (fields of JSONL ones).
        max_chars: Longer documents are skipped as ``too_long``; None or 0 for no limit.
        resume: Keep the batches a killed run of the same job committed, and score only the rest.
    """
    out = Path(out)
    chosen = output_format(out, fmt)
    cols = columns or Columns()
    err_path = Path(errors) if errors else out.with_name(out.name + ".errors.jsonl")
    check_writable(err_path, Errors.E046)  # now, not after the whole input is scored
    checkpoint = Checkpoint(out, _job(inputs, model_label, cols, max_chars or None, batch_size))
    committed = checkpoint.start(resume)
    summary = ScoreSummary(out=str(out))
    for header in committed:
        summary.documents += header["documents"]
        summary.sentences += header["sentences"]
        for bad in header["bad"]:
            summary.add_bad(BadDocument(**bad))
    summary.resumed_documents = summary.documents
    resumed_sentences = summary.sentences
    consumed = committed[-1]["consumed"] if committed else 0
    part = len(committed)
    batch: list[InputDocument] = []
    bad_batch: list[BadDocument] = []
    stream = stderr or sys.stderr  # looked up per call: a test runner swaps sys.stderr
    show = stream.isatty() if progress is None else progress
    bar = _Progress(show, stream)

    def commit() -> None:
        nonlocal part
        rows = [_row(p, doc, model_label) for doc, preds in zip(batch, pipeline.score_documents(batch), strict=True)
                for p in preds] if batch else []
        kinds: dict[str, str] = {}
        for row in rows:
            for name, value in row.items():
                if kinds.get(name, "null") == "null":
                    kinds[name] = "null" if value is None else _type_name(value)
        header = {"part": part, "consumed": consumed, "documents": len(batch), "sentences": len(rows),
                  "columns": kinds, "bad": [asdict(b) for b in bad_batch]}
        checkpoint.commit(part, header, rows)
        part += 1
        summary.documents += len(batch)
        summary.sentences += len(rows)
        for bad in bad_batch:
            summary.add_bad(bad)
        batch.clear()
        bad_batch.clear()
        bar.update(summary.documents, summary.sentences, summary.documents - summary.resumed_documents,
                   summary.sentences - resumed_sentences)

    with bar.bar:
        for item in itertools.islice(read_inputs(inputs, cols, max_chars or None), consumed, None):
            consumed += 1
            if isinstance(item, BadDocument):
                bad_batch.append(item)
            else:
                batch.append(item)
            if len(batch) >= batch_size or len(bad_batch) >= MAX_BAD_PER_PART:
                commit()
        if batch or bad_batch or part == 0:
            commit()
    if _assemble(checkpoint, out, chosen, err_path):
        summary.errors_file = str(err_path)
    checkpoint.remove()
    return summary
