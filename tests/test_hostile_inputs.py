"""Whatever a scraper produces: every hostile input of issue 10 is scored or reported, never a crash.

Each test asserts the exact behaviour: the sentences found (``text == article[start:end]``), the
row counts, and, for input that cannot be scored, the reason in the errors file naming the line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance.errors import Errors
from stance.pipeline import score_texts
from stance.score import score_inputs
from stance.text.segment import segment
from stance.types import LABELS

from .conftest import SEED


def run(pipeline, tmp_path: Path, *inputs: Path, **kwargs) -> tuple[list[dict], list[dict], object]:
    """Score ``inputs`` into a new file under ``tmp_path``; return the rows, the error rows and the summary."""
    out = tmp_path / f"out{len(list(tmp_path.glob('out*.jsonl')))}.jsonl"
    summary = score_inputs(pipeline, [str(p) for p in inputs], out, progress=False, **kwargs)
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    err = out.with_name(out.name + ".errors.jsonl")
    errors = [json.loads(line) for line in err.read_text(encoding="utf-8").splitlines()] if err.exists() else []
    return rows, errors, summary


def check_rows(rows: list[dict], article: str) -> None:
    """The contract of every row: offsets slice back, valid labels, scores summing to 1."""
    assert [r["sent_idx"] for r in rows] == list(range(len(rows)))
    last = 0
    for row in rows:
        assert last <= row["start"] < row["end"] <= len(article)
        assert article[row["start"]:row["end"]] == row["text"]
        last = row["end"]
        assert row["stance"] in LABELS.stance and row["sentiment"] in LABELS.sentiment
        assert list(row["stance_scores"]) == list(LABELS.stance)
        assert abs(sum(row["stance_scores"].values()) - 1) < 1e-6
        assert abs(sum(row["sentiment_scores"].values()) - 1) < 1e-6
        assert isinstance(row["truncated"], bool)


def jsonl(path: Path, *records: dict | str) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_empty_and_whitespace_only_documents_are_reported(tiny_pipeline, tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_text(" \n\t \r\n\u00a0\u3000", encoding="utf-8")
    docs = jsonl(tmp_path / "docs.jsonl", {"id": "e", "text": ""}, {"id": "w", "text": "  \n\r\n\t"},
                 {"id": "ok", "text": "Talks resumed."})
    rows, errors, summary = run(tiny_pipeline, tmp_path, tmp_path / "empty.txt", tmp_path / "blank.txt", docs)
    assert [(r["doc_id"], r["text"]) for r in rows] == [("ok", "Talks resumed.")]
    assert summary.documents == 1 and summary.n_bad == 4
    assert [(e["doc_id"], e["where"]) for e in errors] == [
        ("empty", str(tmp_path / "empty.txt")), ("blank", str(tmp_path / "blank.txt")),
        ("e", f"{docs}:1"), ("w", f"{docs}:2")]
    assert all(e["reason"].startswith(f"Empty document {e['doc_id']!r}") for e in errors)
    # The library never raises on them either: no sentence, no row.
    assert score_texts(["", "   ", "\n\r\n", "\u200b\u200f"], model=tiny_pipeline) == []


def test_five_megabyte_document(tiny_pipeline, tmp_path):
    """The seed article, then a 5 MB run-on paragraph: reported as too long by default, scored without a limit."""
    seed = SEED.read_text(encoding="utf-8")
    clause = "and the delegations talked again about the ceasefire line, the prisoners and the ports "
    paragraph = "The talks went on " + clause * (5_000_000 // len(clause)) + "until dawn."
    article = seed + "\n\n" + paragraph
    assert len(article.encode("utf-8")) > 5_000_000
    big = tmp_path / "big.txt"
    big.write_text(article, encoding="utf-8")

    rows, errors, summary = run(tiny_pipeline, tmp_path, big)
    assert rows == [] and summary.n_bad == 1
    assert errors[0]["kind"] == "too_long" and "more than --max-chars 1000000" in errors[0]["reason"]

    rows, errors, summary = run(tiny_pipeline, tmp_path, big, max_chars=None)
    assert errors == [] and summary.documents == 1
    seed_spans = segment(seed)
    assert len(rows) == len(seed_spans) + 1
    check_rows(rows, article)
    assert [(r["start"], r["end"]) for r in rows[:-1]] == [(s.start, s.end) for s in seed_spans]
    assert rows[-1]["text"] == paragraph and rows[-1]["truncated"] is True
    assert not any(r["truncated"] for r in rows[:-1])


def test_one_sentence_of_50000_characters_is_truncated_and_says_so(tiny_pipeline, tmp_path):
    head = '"We will sign only if the siege ends," the envoy said, listing '
    sentence = head + ", ".join(f"item {i}" for i in range(6000))
    sentence = sentence[:49_999] + "."
    assert len(sentence) == 50_000
    docs = jsonl(tmp_path / "docs.jsonl", {"id": "long", "text": sentence}, {"id": "short", "text": "Talks resumed."})
    rows, errors, _ = run(tiny_pipeline, tmp_path, docs)
    assert errors == []
    assert [(r["doc_id"], r["start"], r["end"], r["truncated"]) for r in rows] == [
        ("long", 0, 50_000, True), ("short", 0, 14, False)]
    assert rows[0]["text"] == sentence and rows[0]["speaker"] == "the envoy"
    check_rows(rows[:1], sentence)
    # The model saw the first max_chars characters: the same scores as for that prefix alone.
    prefix = score_texts([sentence[:tiny_pipeline.max_chars]], model=tiny_pipeline)
    assert rows[0]["stance_scores"] == pytest.approx(prefix[0]["stance_scores"])


# (name, article, the sentences it must give, exactly)
CASES = [
    ("cyrillic-cjk-arabic-emoji",
     "Переговоры возобновились. 谈判将于周一恢复。 المفاوضات مستمرة. 🤝🕊️ Talks go on 👍.",
     ["Переговоры возобновились.", "谈判将于周一恢复。 المفاوضات مستمرة. 🤝🕊️ Talks go on 👍."]),
    ("rtl-marks",
     "\u200fقال المتحدث إن المحادثات ستستأنف.\u200f \u202bThe envoy said talks resume.\u202c",
     ["قال المتحدث إن المحادثات ستستأنف.", "The envoy said talks resume."]),
    ("zero-width",
     "Talks\u200b resumed\u200d on\ufeff Monday.\u200b \"We\u2060 are ready,\" the envoy said.\u200b",
     ["Talks\u200b resumed\u200d on\ufeff Monday.", "\"We\u2060 are ready,\" the envoy said."]),
    ("nul-bytes",
     "Talks resumed.\x00 \"We are ready,\" he said.\x00\x00 The end.\x00",
     ["Talks resumed.", "\"We are ready,\" he said.", "The end."]),
    ("crlf",
     "Headline here\r\n\r\nTalks resumed on Monday. \"We are ready,\" the envoy said.\r\nA second line.\r\n",
     ["Headline here", "Talks resumed on Monday.", "\"We are ready,\" the envoy said.", "A second line."]),
    ("lone-cr",
     "Headline here\r\rTalks resumed on Monday. \"We are ready,\" the envoy said.\rA second line.\r",
     ["Headline here", "Talks resumed on Monday.", "\"We are ready,\" the envoy said.", "A second line."]),
    ("html",
     "<p>Talks <b>resumed</b> &amp; <i>stalled</i>.</p><script>var x = \"<a>\";</script>"
     "<p>\"We are ready,\" he said.</p><!-- ad -->",
     ["Talks <b>resumed</b> &amp; <i>stalled</i>.", "\"We are ready,\" he said."]),
    ("markdown",
     "# Talks resume\n\n**Negotiators** said _talks_ will [resume](http://x.y).\n\n"
     "> \"We are ready,\" the envoy said.\n\n- item one\n- item two\n",
     ["# Talks resume", "**Negotiators** said _talks_ will [resume](http://x.y).",
      "> \"We are ready,\" the envoy said.", "- item one", "- item two"]),
    ("quotes-of-every-kind",
     "“Smart double,” he said. ‘Smart single,’ she said. \"Straight,\" they said. 'Single,' we said. "
     "«Guillemets», il a dit. „Low-9“ sagte er. ‹Single guillemet› ok. 「CJK」 quote.",
     ["“Smart double,” he said.", "‘Smart single,’ she said.", "\"Straight,\" they said.", "'Single,' we said.",
      "«Guillemets», il a dit.", "„Low-9“ sagte er.", "‹Single guillemet› ok.", "「CJK」 quote."]),
    ("unbalanced-quotes",
     "\"We will never sign, the minister said. Talks resumed. “Open quote only. He left.” ” Closing only.",
     ["\"We will never sign, the minister said.", "Talks resumed.", "“Open quote only.", "He left.”",
      "” Closing only."]),
]


@pytest.mark.parametrize(("name", "article", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_text_gives_exact_sentences(tiny_pipeline, name, article, expected):
    rows = score_texts([article], model=tiny_pipeline)
    assert [r["text"] for r in rows] == expected
    check_rows(rows, article)


def test_invisible_characters_never_reach_the_model(tiny_pipeline):
    """Zero-width and bidi characters stay in the row's text but not in what is classified."""
    plain = score_texts(["The envoy said talks resume."], model=tiny_pipeline)[0]
    marked = score_texts(["\u202b\u200bThe envoy\u200d said talks\u2060 resume.\u200f\u202c"], model=tiny_pipeline)[0]
    assert marked["text"] == "The envoy\u200d said talks\u2060 resume."
    assert marked["stance_scores"] == pytest.approx(plain["stance_scores"])
    assert marked["kind"] == plain["kind"] == "body"


def test_hostile_files_through_the_reader(tiny_pipeline, tmp_path):
    """The same texts as files: CRLF and lone CR survive reading (no newline translation)."""
    for name, article, _ in CASES:
        if "\x00" in article:
            continue  # a .txt file with NUL bytes is binary: see the next test
        (tmp_path / f"{name}.txt").write_bytes(article.encode("utf-8"))
    rows, errors, summary = run(tiny_pipeline, tmp_path, tmp_path)
    assert errors == [] and summary.documents == len(CASES) - 1
    for name, article, expected in CASES:
        if "\x00" not in article:
            doc_rows = [r for r in rows if r["doc_id"] == name]
            assert [r["text"] for r in doc_rows] == expected
            check_rows(doc_rows, article)


def test_nul_bytes_in_a_text_file_and_in_jsonl(tiny_pipeline, tmp_path):
    (tmp_path / "nul.txt").write_bytes(b"Talks resumed.\x00 The end.")
    docs = jsonl(tmp_path / "nul.jsonl", {"id": "n", "text": "Talks resumed.\x00 The end."})
    rows, errors, _ = run(tiny_pipeline, tmp_path, tmp_path / "nul.txt", docs)
    assert [(r["doc_id"], r["text"]) for r in rows] == [("n", "Talks resumed."), ("n", "The end.")]
    assert [(e["doc_id"], e["kind"]) for e in errors] == [("nul", "binary")]
    assert errors[0]["reason"].startswith("binary file (NUL bytes)")


def test_invalid_utf8_is_an_error_row(tiny_pipeline, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Les négociations reprennent.".encode("latin-1"))
    (tmp_path / "cut.txt").write_bytes("Talks resumed in Zürich.".encode()[:19])  # a character cut in two
    docs = tmp_path / "docs.jsonl"
    docs.write_bytes(b'{"id": "a", "text": "Talks resumed."}\n{"id": "b", "text": "caf\xe9"}\n'
                     b'{"id": "c", "text": "The end."}\n')
    rows, errors, summary = run(tiny_pipeline, tmp_path, tmp_path / "latin1.txt", tmp_path / "cut.txt", docs)
    assert [(r["doc_id"], r["text"]) for r in rows] == [("a", "Talks resumed."), ("c", "The end.")]
    assert summary.documents == 2
    assert [(e["where"], e["kind"]) for e in errors] == [
        (str(tmp_path / "latin1.txt"), "undecodable"), (str(tmp_path / "cut.txt"), "undecodable"),
        (f"{docs}:2", "undecodable")]
    assert errors[0]["reason"] == Errors.E003.format(where=tmp_path / "latin1.txt", pos=5)
    assert errors[1]["reason"] == Errors.E003.format(where=tmp_path / "cut.txt", pos=18)
    assert errors[2]["reason"] == Errors.E003.format(where=f"{docs}:2", pos=24)


def test_lone_surrogate_escape_in_jsonl_is_an_error_row(tiny_pipeline, tmp_path):
    """JSON may escape a lone surrogate ("\\ud800"): no UTF-8 output could hold it, so it is reported."""
    docs = tmp_path / "docs.jsonl"
    docs.write_text('{"id": "s", "text": "Talks \\ud800 resumed."}\n{"id": "ok", "text": "Talks resumed."}\n',
                    encoding="utf-8")
    rows, errors, _ = run(tiny_pipeline, tmp_path, docs)
    assert [r["doc_id"] for r in rows] == ["ok"]
    assert [(e["where"], e["doc_id"], e["kind"]) for e in errors] == [(f"{docs}:1", "s", "undecodable")]
    assert "lone surrogate '\\ud800' in character 6 of the text" in errors[0]["reason"]
    # In memory (the library), the same text is scored: the model never sees the surrogate.
    assert [r["text"] for r in score_texts(["Talks \ud800 resumed."], model=tiny_pipeline)] == ["Talks \ud800 resumed."]


def test_jsonl_with_a_broken_line_in_the_middle(tiny_pipeline, tmp_path):
    docs = jsonl(tmp_path / "docs.jsonl",
                 {"id": "a", "text": "Talks resumed on Monday."},
                 {"id": "b", "text": "The union rejected the offer."},
                 '{"id": "broken" "text": "no comma"}',
                 {"id": "c", "text": "Talks will only resume if the strike ends."},
                 {"id": "d", "text": "Both sides welcomed the deal."})
    rows, errors, summary = run(tiny_pipeline, tmp_path, docs)
    assert [r["doc_id"] for r in rows] == ["a", "b", "c", "d"]
    assert summary.documents == 4 and summary.n_bad == 1
    assert [(e["where"], e["kind"]) for e in errors] == [(f"{docs}:3", "malformed")]
    assert errors[0]["reason"].startswith(f"{docs}:3: invalid JSON (Expecting ',' delimiter)")


def test_errors_file_of_an_earlier_run_does_not_outlive_it(tiny_pipeline, tmp_path):
    out = tmp_path / "scores.jsonl"
    errors = out.with_name(out.name + ".errors.jsonl")
    bad = jsonl(tmp_path / "bad.jsonl", {"id": "e", "text": ""}, {"id": "ok", "text": "Talks resumed."})
    score_inputs(tiny_pipeline, [bad], out, progress=False)
    assert [json.loads(line)["doc_id"] for line in errors.read_text().splitlines()] == ["e"]
    good = jsonl(tmp_path / "good.jsonl", {"id": "ok", "text": "Talks resumed."})
    summary = score_inputs(tiny_pipeline, [good], out, progress=False)
    assert summary.errors_file is None and not errors.exists()
    assert [json.loads(line)["doc_id"] for line in out.read_text().splitlines()] == ["ok"]


def test_unicode_line_separators_keep_one_row_per_line(tiny_pipeline, tmp_path):
    """NEL, LINE and PARAGRAPH SEPARATOR are legal raw in JSON strings, but str.splitlines() and
    JavaScript split on them: the output escapes them, so every reader sees one row per line."""
    article = "Talks\x85resumed.\u2028\"We are ready,\" the envoy said.\u2029The end."
    (tmp_path / "seps.txt").write_text(article, encoding="utf-8")
    rows, errors, _ = run(tiny_pipeline, tmp_path, tmp_path / "seps.txt")
    assert errors == []
    assert [r["text"] for r in rows] == ["Talks\x85resumed.", "\"We are ready,\" the envoy said.", "The end."]
    check_rows(rows, article)
    raw = next(tmp_path.glob("out*.jsonl")).read_text(encoding="utf-8")
    assert "\x85" not in raw and "\\u0085" in raw and len(raw.splitlines()) == 3
