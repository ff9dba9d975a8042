"""Input readers for batch scoring: ``.txt`` files and folders, JSONL, CSV, Parquet, and gzip variants.

Every reader streams: it yields one :class:`InputDocument` (or a :class:`BadDocument` saying why a
record cannot be scored) at a time, so memory stays bounded whatever the input size. The order of
the yielded items is deterministic, which is what lets ``stance score --resume`` skip the items a
killed run had already committed.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from stance.errors import Errors, StanceError
from stance.types import Document

SUFFIXES = (".txt", ".jsonl", ".csv", ".parquet", ".txt.gz", ".jsonl.gz", ".csv.gz")
DEFAULT_MAX_CHARS = 1_000_000


@dataclass(frozen=True)
class InputDocument(Document):
    """A document as read, with where it came from and its optional publication date."""

    where: str = ""
    date: str | None = None


@dataclass(frozen=True)
class BadDocument:
    """A document that could not be scored, why, and the kind of problem (for the summary)."""

    where: str
    doc_id: str | None
    reason: str
    kind: str = "malformed"


@dataclass(frozen=True)
class Columns:
    """Which columns (CSV, Parquet) or fields (JSONL) hold the text, the id and the date."""

    text: str = "text"
    id: str = "id"
    date: str = "date"
    id_required: bool = False


def input_kind(path: Path) -> str | None:
    """The reader for ``path`` by its (possibly double) suffix, or None when it is not an input file."""
    name = path.name.lower()
    return next((s for s in SUFFIXES if name.endswith(s)), None)

_SURROGATE = re.compile("[\ud800-\udfff]")


def _stem(path: Path) -> str:
    kind = input_kind(path)
    return path.name[: -len(kind)] if kind else path.stem


def _check_length(doc: InputDocument, max_chars: int | None) -> InputDocument | BadDocument:
    if not doc.text.strip():
        return BadDocument(doc.where, doc.doc_id, Errors.E002.format(doc_id=doc.doc_id, where=doc.where), "empty")
    if (lone := _SURROGATE.search(doc.doc_id + doc.text)) is not None:  # from a JSON "\ud800": no UTF-8 for it
        pos = lone.start() - len(doc.doc_id)
        place = f"character {pos} of the text" if pos >= 0 else "the id"
        reason = Errors.E045.format(doc_id=doc.doc_id, where=doc.where, char=ascii(lone.group()), pos=place)
        return BadDocument(doc.where, doc.doc_id, reason, "undecodable")
    if max_chars and len(doc.text) > max_chars:
        reason = Errors.E030.format(doc_id=doc.doc_id, where=doc.where, n=len(doc.text), max_chars=max_chars)
        return BadDocument(doc.where, doc.doc_id, reason, "too_long")
    return doc


def _date(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _read_text_file(path: Path, max_chars: int | None) -> InputDocument | BadDocument:
    where, doc_id = str(path), _stem(path)
    try:
        if max_chars and path.suffix != ".gz" and path.stat().st_size > 4 * max_chars:
            return BadDocument(where, doc_id, Errors.E030.format(doc_id=doc_id, where=where, n=f"over {4 * max_chars}",
                                                                  max_chars=max_chars), "too_long")
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, zlib.error) as exc:
        return BadDocument(where, doc_id, Errors.E031.format(where=where, detail=str(exc)), "undecodable")
    if b"\x00" in data[:8192]:
        return BadDocument(where, doc_id, "binary file (NUL bytes): expected UTF-8 text. Convert it to text first.",
                           "binary")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return BadDocument(where, doc_id, Errors.E003.format(where=where, pos=exc.start), "undecodable")
    return _check_length(InputDocument(doc_id, text, where), max_chars)


def _open_binary(path: Path) -> IO[bytes]:
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _record(record: dict[str, Any], where: str, default_id: str, cols: Columns,
            max_chars: int | None) -> InputDocument | BadDocument:
    """One JSONL object or CSV/Parquet row as a document, or why it is bad."""
    raw_id = record.get(cols.id)
    doc_id = str(raw_id) if raw_id is not None and raw_id != "" else default_id
    text = record.get(cols.text)
    if text is None:
        return BadDocument(where, doc_id, Errors.E002.format(doc_id=doc_id, where=where), "empty")
    if not isinstance(text, str):
        return BadDocument(where, doc_id, Errors.E012.format(where=where, doc_id=doc_id, field=cols.text,
                                                             type=type(text).__name__), "malformed")
    return _check_length(InputDocument(doc_id, text, where, _date(record.get(cols.date))), max_chars)


def _read_jsonl(path: Path, cols: Columns, max_chars: int | None) -> Iterator[InputDocument | BadDocument]:
    stem = _stem(path)
    with _open_binary(path) as fh:
        lineno = 0
        try:
            for lineno, raw in enumerate(fh, 1):
                where = f"{path}:{lineno}"
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw.decode("utf-8"))
                except UnicodeDecodeError as exc:
                    yield BadDocument(where, None, Errors.E003.format(where=where, pos=exc.start), "undecodable")
                    continue
                except json.JSONDecodeError as exc:
                    yield BadDocument(where, None, Errors.E005.format(where=where, detail=exc.msg), "malformed")
                    continue
                if not isinstance(record, dict) or cols.text not in record:
                    keys = sorted(record) if isinstance(record, dict) else type(record).__name__
                    yield BadDocument(where, None, Errors.E004.format(where=where, field=cols.text, keys=keys),
                                      "malformed")
                    continue
                yield _record(record, where, f"{stem}:{lineno}", cols, max_chars)
        except (OSError, EOFError, zlib.error) as exc:
            where = f"{path}:{lineno + 1}"
            yield BadDocument(where, None, Errors.E031.format(where=where, detail=str(exc)), "undecodable")


def _check_columns(path: Path, columns: Sequence[str], cols: Columns) -> None:
    if cols.text not in columns:
        raise StanceError(Errors.E032.format(path=path, role="text", col=cols.text, option="--text-col",
                                             columns=list(columns)))
    if cols.id_required and cols.id not in columns:
        raise StanceError(Errors.E032.format(path=path, role="id", col=cols.id, option="--id-col",
                                             columns=list(columns)))


def _read_csv(path: Path, cols: Columns, max_chars: int | None) -> Iterator[InputDocument | BadDocument]:
    csv.field_size_limit(sys.maxsize)
    stem = _stem(path)
    with io.TextIOWrapper(_open_binary(path), encoding="utf-8-sig", newline="") as fh:
        rowno = 0
        try:
            reader = csv.DictReader(fh)
            _check_columns(path, reader.fieldnames or [], cols)
            for rowno, row in enumerate(reader, 1):
                yield _record(row, f"{path}:row {rowno}", f"{stem}:{rowno}", cols, max_chars)
        except (UnicodeDecodeError, csv.Error, OSError, EOFError, zlib.error) as exc:
            where = f"{path}:row {rowno + 1}"
            yield BadDocument(where, None, Errors.E031.format(where=where, detail=str(exc)), "undecodable")


def _read_parquet(path: Path, cols: Columns, max_chars: int | None,
                  batch_rows: int = 1024) -> Iterator[InputDocument | BadDocument]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise StanceError(Errors.E031.format(where=path, detail=f"{type(exc).__name__}: {exc}")) from None
    names = parquet.schema_arrow.names
    _check_columns(path, names, cols)
    wanted = [c for c in (cols.text, cols.id, cols.date) if c in names]
    stem, rowno = _stem(path), 0
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=list(dict.fromkeys(wanted))):
        for record in batch.to_pylist():
            rowno += 1
            yield _record(record, f"{path}:row {rowno}", f"{stem}:{rowno}", cols, max_chars)


def _read_file(file: Path, cols: Columns, max_chars: int | None) -> Iterator[InputDocument | BadDocument]:
    kind = input_kind(file)
    if kind in (".jsonl", ".jsonl.gz"):
        yield from _read_jsonl(file, cols, max_chars)
    elif kind in (".csv", ".csv.gz"):
        yield from _read_csv(file, cols, max_chars)
    elif kind == ".parquet":
        yield from _read_parquet(file, cols, max_chars)
    else:
        yield _read_text_file(file, max_chars)


def input_files(paths: Sequence[str | Path]) -> list[Path]:
    """The files to read, in order: each path itself, or a folder's input files sorted by name."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise StanceError(Errors.E001.format(path=path))
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and input_kind(p))
            if not found:
                raise StanceError(Errors.E001.format(path=f"{path} (a folder with no {', '.join(SUFFIXES)} files)"))
            files.extend(found)
        else:
            files.append(path)
    return files


def read_inputs(paths: Sequence[str | Path], columns: Columns | None = None,
                max_chars: int | None = None) -> Iterator[InputDocument | BadDocument]:
    """Yield documents (or why one is bad) from files, folders, JSONL, CSV and Parquet, in order.

    Args:
        paths: Files and folders; a file of unknown suffix is read as one plain-text article.
        columns: The text, id and date columns of CSV/Parquet files (fields of JSONL objects).
        max_chars: Longer documents are reported as bad (``too_long``) instead of scored.
    """
    cols = columns or Columns()
    for file in input_files(paths):
        yield from _read_file(file, cols, max_chars)
