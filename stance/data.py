"""Corpus loading, validation and document-level splits.

The corpus lives in ``seeds/corpus/`` as ``documents.jsonl`` (one document a line, with its
text) and ``sentences.jsonl`` (one labelled sentence a line, with offsets into its document; its
``text``, the document's text at those offsets, is filled in when read).
``seeds/build_corpus.py`` writes both from the annotation files.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stance.errors import Errors, StanceError
from stance.types import KINDS, LABELS

if TYPE_CHECKING:
    from datasets import DatasetDict

SOURCES = ("seed", "authored", "whitehouse", "newsmtsc", "wikinews", "statedept", "kremlin")
# Text written for the corpus, and the canonical example: reported beside the real sources, never
# mixed into the real-text figures that choose models (the model is used on real reporting).
NOT_REAL = ("authored", "seed")
REAL_SOURCES = tuple(s for s in SOURCES if s not in NOT_REAL)
SEED_DOC = "000_b62eaf8dc1d09b0d"
SPLITS = ("train", "validation", "test")
_REQUIRED = ("id", "doc_id", "source", "sent_idx", "start", "end", "kind", "stance", "sentiment")


def _read_jsonl(path: Path) -> Iterable[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise StanceError(Errors.E014.format(path=path, detail="file not found; run `python seeds/build_corpus.py`"))
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise StanceError(Errors.E014.format(path=f"{path}:{lineno}", detail=f"invalid JSON ({exc})")) from None
            if not isinstance(record, dict):
                raise StanceError(Errors.E014.format(path=f"{path}:{lineno}", detail="expected a JSON object"))
            yield lineno, record


def validate_corpus(corpus_dir: str | Path) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Read and check the corpus; return (documents by id, sentence records).

    Raises:
        StanceError: naming the file and line of the first record that breaks a rule.
    """
    corpus_dir = Path(corpus_dir)
    docs: dict[str, dict[str, Any]] = {}
    doc_path = corpus_dir / "documents.jsonl"
    for lineno, doc in _read_jsonl(doc_path):
        where = f"{doc_path}:{lineno}"
        if not isinstance(doc.get("doc_id"), str) or not isinstance(doc.get("text"), str):
            raise StanceError(Errors.E014.format(path=where, detail="document needs string 'doc_id' and 'text'"))
        if doc["doc_id"] in docs:
            raise StanceError(Errors.E014.format(path=where, detail=f"duplicate doc_id {doc['doc_id']!r}"))
        if doc.get("source") not in SOURCES:
            detail = f"unknown source {doc.get('source')!r}; expected one of {SOURCES}"
            raise StanceError(Errors.E014.format(path=where, detail=detail))
        docs[doc["doc_id"]] = doc
    sentences: list[dict[str, Any]] = []
    seen: set[str] = set()
    sent_path = corpus_dir / "sentences.jsonl"
    for lineno, rec in _read_jsonl(sent_path):
        _check_sentence(rec, docs, seen, f"{sent_path}:{lineno}")
        seen.add(rec["id"])
        sentences.append(rec)
    return docs, sentences


def _check_sentence(rec: dict[str, Any], docs: dict[str, dict[str, Any]], seen: set[str], where: str) -> None:
    def fail(detail: str) -> None:
        raise StanceError(Errors.E014.format(path=where, detail=detail))

    missing = [f for f in _REQUIRED if f not in rec]
    if missing:
        fail(f"missing fields {missing}")
    if rec["id"] in seen:
        fail(f"duplicate id {rec['id']!r}")
    if rec["source"] not in SOURCES:
        fail(f"unknown source {rec['source']!r}; expected one of {SOURCES}")
    for task in ("stance", "sentiment"):
        if rec[task] not in LABELS.of(task):
            fail(f"{task} {rec[task]!r} not in {LABELS.of(task)}")
    if rec["kind"] not in KINDS:
        fail(f"kind {rec['kind']!r} not in {KINDS}")
    doc = docs.get(rec["doc_id"])
    if doc is None:
        fail(f"doc_id {rec['doc_id']!r} is not in documents.jsonl")
        return
    start, end = rec["start"], rec["end"]
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(doc["text"])):
        fail(f"offsets {start}..{end} outside document {rec['doc_id']!r} of length {len(doc['text'])}")
    if "text" not in rec:  # the built corpus leaves it out: it is the document's text at the offsets
        rec["text"] = doc["text"][start:end]
    elif doc["text"][start:end] != rec["text"]:
        fail(f"text does not equal document[{start}:{end}] ({doc['text'][start:end][:40]!r} vs {rec['text'][:40]!r})")


def split_groups(docs: dict[str, dict[str, Any]], sentences: list[dict[str, Any]], seed: int,
                 validation_fraction: float, test_fraction: float) -> dict[str, str]:
    """Assign every document to a split, by group (a NewsMTSC article, else the document).

    Per source, groups are shuffled with ``seed`` and filled into test, then validation, until
    each holds its fraction of the source's sentences. The seed article is always in test.
    """
    size: dict[str, int] = defaultdict(int)
    for rec in sentences:
        size[docs[rec["doc_id"]].get("group") or rec["doc_id"]] += 1
    by_source: dict[str, list[str]] = defaultdict(list)
    for doc in docs.values():
        group = doc.get("group") or doc["doc_id"]
        if group not in by_source[doc["source"]]:
            by_source[doc["source"]].append(group)
    assignment: dict[str, str] = {}
    rng = random.Random(seed)
    for source in sorted(by_source):
        groups = sorted(by_source[source])
        rng.shuffle(groups)
        total = sum(size[g] for g in groups) or 1
        filled = {"test": 0, "validation": 0}
        for group in groups:
            if source == "seed" or filled["test"] < test_fraction * total:
                split = "test"
            elif filled["validation"] < validation_fraction * total:
                split = "validation"
            else:
                split = "train"
            filled[split] = filled.get(split, 0) + size[group]
            assignment[group] = split
    return {d["doc_id"]: assignment[d.get("group") or d["doc_id"]] for d in docs.values()}


def load_corpus(corpus_dir: str | Path = "seeds/corpus", seed: int = 13, validation_fraction: float = 0.15,
                test_fraction: float = 0.15, sources: Iterable[str] | None = None) -> DatasetDict:
    """Load the validated corpus as a ``datasets.DatasetDict`` with train/validation/test splits.

    Splits are by document (NewsMTSC sentences by their article), fixed by ``seed``; the seed
    article is always in test and every source is present in test.
    """
    from datasets import Dataset, DatasetDict
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()

    docs, sentences = validate_corpus(corpus_dir)
    if sources is not None:
        keep = set(sources)
        sentences = [s for s in sentences if s["source"] in keep]
        docs = {k: d for k, d in docs.items() if d["source"] in keep}
    split_of = split_groups(docs, sentences, seed, validation_fraction, test_fraction)
    columns = ("id", "doc_id", "source", "sent_idx", "start", "end", "text", "kind", "speaker", "stance", "sentiment")
    rows: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for rec in sentences:
        row = {c: rec.get(c) for c in columns}
        row["speaker"] = row["speaker"] or ""
        row["group"] = docs[rec["doc_id"]].get("group") or rec["doc_id"]  # the unit of the split
        rows[split_of[rec["doc_id"]]].append(row)
    return DatasetDict({s: Dataset.from_list(rows[s]) for s in SPLITS})

