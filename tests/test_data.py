"""Corpus loader: document splits and one corrupted-record test per validation rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from stance.data import SOURCES, load_corpus, validate_corpus
from stance.errors import StanceError

from .conftest import TINY_CORPUS

ROOT = Path(__file__).resolve().parents[1]


def test_real_corpus_splits_by_document():
    corpus = load_corpus(ROOT / "seeds" / "corpus")
    docs = {s: set(corpus[s]["doc_id"]) for s in corpus}
    assert not docs["train"] & docs["test"] and not docs["train"] & docs["validation"]
    assert "000_b62eaf8dc1d09b0d" in docs["test"]
    assert set(corpus["test"]["source"]) == set(SOURCES)  # every source, kremlin and statedept included
    again = load_corpus(ROOT / "seeds" / "corpus")
    assert again["test"]["id"] == corpus["test"]["id"]


def test_newsmtsc_sentences_of_one_article_share_a_split():
    from stance.data import split_groups

    docs, sents = validate_corpus(ROOT / "seeds" / "corpus")
    split_of = split_groups(docs, sents, 13, 0.15, 0.15)
    by_group: dict[str, set[str]] = {}
    for d in docs.values():
        by_group.setdefault(d["group"], set()).add(split_of[d["doc_id"]])
    assert all(len(v) == 1 for v in by_group.values())


def corrupt(tmp_path: Path, edit) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, dst)
    lines = (dst / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
    rec = json.loads(lines[4])
    edit(rec, lines)
    lines[4] = json.dumps(rec)
    (dst / "sentences.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


@pytest.mark.parametrize(("edit", "message"), [
    (lambda r, _: r.update(stance="hopeful"), r"sentences.jsonl:5: stance 'hopeful' not in"),
    (lambda r, _: r.update(sentiment="mixed"), r"sentences.jsonl:5: sentiment 'mixed' not in"),
    (lambda r, _: r.update(start=r["start"] + 1), r"sentences.jsonl:5: text does not equal document"),
    (lambda r, _: r.update(end=10**7), r"sentences.jsonl:5: offsets .* outside document"),
    (lambda r, lines: r.update(id=json.loads(lines[3])["id"]), r"sentences.jsonl:5: duplicate id"),
    (lambda r, _: r.update(source="twitter"), r"sentences.jsonl:5: unknown source 'twitter'"),
    (lambda r, _: r.update(kind="footer"), r"sentences.jsonl:5: kind 'footer' not in"),
    (lambda r, _: r.update(doc_id="nope"), r"sentences.jsonl:5: doc_id 'nope' is not in documents.jsonl"),
    (lambda r, _: r.pop("stance"), r"sentences.jsonl:5: missing fields \['stance'\]"),
])
def test_each_validation_rule(tmp_path, edit, message):
    with pytest.raises(StanceError, match=message):
        validate_corpus(corrupt(tmp_path, edit))


def test_broken_json_line_is_named(tmp_path):
    dst = tmp_path / "corpus"
    shutil.copytree(TINY_CORPUS, dst)
    with open(dst / "sentences.jsonl", "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
    with pytest.raises(StanceError, match=r"sentences.jsonl:\d+: invalid JSON"):
        validate_corpus(dst)


def test_missing_corpus_says_how_to_build_it(tmp_path):
    with pytest.raises(StanceError, match="build_corpus.py"):
        validate_corpus(tmp_path)
