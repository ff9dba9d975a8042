"""Properties that hold for any text (hypothesis): segmentation, attribution and scoring never raise,
offsets are increasing, disjoint and slice back, and every sentence gets one valid row.

The checks and strategies are plain functions so ``experiments/fuzz.py`` (``make fuzz``) runs the
same properties with a large budget. The example budget here comes from a hypothesis profile:
``stance-ci`` (small, the default) or ``stance-fuzz``, chosen by ``STANCE_HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.pipeline import score_texts
from stance.text.segment import segment
from stance.text.speakers import attribute, parse
from stance.types import KINDS, LABELS

_SLOW_OK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large]
settings.register_profile("stance-ci", max_examples=40, deadline=None, suppress_health_check=_SLOW_OK)
settings.register_profile("stance-fuzz", max_examples=5000, deadline=None, suppress_health_check=_SLOW_OK)
PROFILE = settings.get_profile(os.environ.get("STANCE_HYPOTHESIS_PROFILE", "stance-ci"))

# Pieces of real and hostile articles, glued in random order and mixed with random characters.
PIECES = [
    "Talks resumed on Monday.", '"We are ready," the envoy said.', "“Never,” she said.", "‘Maybe,’ he added.",
    "«Non», a dit le ministre.", "„Nein“, sagte er.", '"Unbalanced', "”", "'", "The Kremlin said it would wait.",
    "MS. PSAKI: ", "Q ", "Q: ", "By Ana Ruiz", "Related article: Talks", "May 15, 2025", "Alexander Ryumin / TASS",
    "OTTAWA (Wire) - ", "\n", "\n\n", "\r\n", "\r", "\t", " ", "\x00", "\u200b", "\u200d", "\u200f", "\u202b",
    "\u202c", "\ufeff", "\u00ad", "\ud800", "\udfff", "<p>", "</p>", "<br/>", "<b>", "</b>", "<script>", "</script>",
    "<style>", "<!--", "-->", "&amp;", "&#39;", "&#x2019;", "&nbsp;", "&", "<", ">", "# ", "**", "> ", "- ",
    "[link](http://x.y)", "Переговоры возобновились.", "谈判将于周一恢复。", "المفاوضات مستمرة.", "🤝🕊️", "👨‍👩‍👧",
    "Mr. Smith", "U.S.", "Gen. Lee", "...", "?!", "He said.", "They said:", "according to officials",
    "The envoy said " + "very " * 420 + "much.",  # longer than the model window (max_chars 2000)
]
ANY_TEXT = st.text(alphabet=st.characters(blacklist_categories=()))  # every code point, surrogates too
HOSTILE_TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=30).map("".join)
TEXTS = st.one_of(ANY_TEXT, HOSTILE_TEXT)


def check_segmentation(text: str) -> None:
    """Offsets increase, never overlap, slice back; a sentence is non-empty, trimmed, and of a known kind."""
    last = 0
    for span in segment(text):
        assert last <= span.start < span.end <= len(text)
        piece = text[span.start:span.end]
        assert piece.strip() == piece and span.clean and span.clean.strip() == span.clean
        assert span.kind in KINDS
        assert not any(0xD800 <= ord(c) <= 0xDFFF or c in "\x00\u200b\u200f\ufeff" for c in span.clean)
        last = span.end


def check_attribution(nlp: Any, text: str) -> None:
    """Every sentence gets a speaker (a non-empty name) and a quoted flag."""
    spans = segment(text)
    result = attribute(spans, parse(nlp, [s.clean for s in spans]))
    assert len(result) == len(spans)
    assert all(isinstance(speaker, str) and speaker and isinstance(quoted, bool) for speaker, quoted in result)


def check_scoring(pipeline: Any, texts: list[str]) -> None:
    """One row per sentence of each document, in order, with valid labels and scores summing to 1."""
    rows = score_texts(texts, model=pipeline)
    for i, text in enumerate(texts):
        doc_rows = [r for r in rows if r["doc_id"] == f"doc{i}"]
        spans = segment(text)
        assert [(r["sent_idx"], r["start"], r["end"]) for r in doc_rows] == [
            (k, s.start, s.end) for k, s in enumerate(spans)]
        for row, span in zip(doc_rows, spans, strict=True):
            assert row["text"] == text[row["start"]:row["end"]]
            assert row["stance"] in LABELS.stance and row["sentiment"] in LABELS.sentiment
            assert list(row["stance_scores"]) == list(LABELS.stance)
            assert list(row["sentiment_scores"]) == list(LABELS.sentiment)
            assert abs(sum(row["stance_scores"].values()) - 1) < 1e-6
            assert abs(sum(row["sentiment_scores"].values()) - 1) < 1e-6
            assert row["stance"] == max(row["stance_scores"], key=row["stance_scores"].get)
            assert row["truncated"] is (len(span.clean) > pipeline.max_chars)
    assert len(rows) == sum(len(segment(t)) for t in texts)


def jsonl_line(i: int, text: str, ascii_only: bool) -> bytes:
    return json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# A JSONL file of documents (any text, escaped or raw UTF-8) and random byte lines, plus a .txt of any bytes.
JSONL_LINES = st.lists(st.one_of(st.tuples(TEXTS, st.booleans()), st.binary(max_size=40)), min_size=1, max_size=6)
TXT_BYTES = st.one_of(st.binary(max_size=200), TEXTS.map(lambda t: t.encode("utf-8", "surrogatepass")))


def check_score_files(pipeline: Any, lines: list[Any], txt: bytes) -> None:
    """Scoring files never raises: every document is scored or reported, rows slice back to their text."""
    from stance.score import score_inputs

    encoded, texts = [], {}
    for i, line in enumerate(lines):
        if isinstance(line, tuple):
            encoded.append(jsonl_line(i, *line))
            texts[f"d{i}"] = line[0]
        else:
            encoded.append(line.replace(b"\n", b" ").replace(b"\r", b" "))
    with tempfile.TemporaryDirectory() as folder:
        docs, article = Path(folder) / "docs.jsonl", Path(folder) / "article.txt"
        docs.write_bytes(b"\n".join(encoded) + b"\n")
        article.write_bytes(txt)
        out = Path(folder) / "out.jsonl"
        summary = score_inputs(pipeline, [docs, article], out, progress=False, stderr=io.StringIO())
        expected = sum(1 for line in encoded if line.strip()) + 1
        assert summary.documents + summary.n_bad == expected
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(rows) == summary.sentences
        for row in rows:
            source = texts.get(row["doc_id"])
            if row["doc_id"] == "article":
                source = txt.decode("utf-8-sig")
            if source is not None:
                assert source[row["start"]:row["end"]] == row["text"]


@settings(PROFILE, max_examples=PROFILE.max_examples * 5)  # segmentation alone is cheap
@given(TEXTS)
def test_segmentation_of_any_text(text):
    check_segmentation(text)


@PROFILE
@given(TEXTS)
def test_attribution_of_any_text(nlp, text):
    check_attribution(nlp, text)


@PROFILE
@given(st.lists(TEXTS, min_size=1, max_size=3))
def test_scoring_of_any_text(tiny_pipeline, texts):
    check_scoring(tiny_pipeline, texts)


@settings(PROFILE, max_examples=max(PROFILE.max_examples // 2, 1))  # a whole scoring run per example
@given(JSONL_LINES, TXT_BYTES)
def test_scoring_files_of_any_bytes(tiny_pipeline, lines, txt):
    check_score_files(tiny_pipeline, lines, txt)


def test_the_long_piece_is_truncated(tiny_pipeline):
    """The strategies reach the truncation path: the long piece is over the window, and flagged."""
    long_piece = PIECES[-1]
    assert len(long_piece) > tiny_pipeline.max_chars
    rows = score_texts([long_piece], model=tiny_pipeline)
    assert [r["truncated"] for r in rows] == [True]
