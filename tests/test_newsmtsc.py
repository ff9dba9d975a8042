"""NewsMTSC: sentence-level training rows from target rows, and the F1m report."""

from __future__ import annotations

from pathlib import Path

import pytest

from stance import newsmtsc
from stance.errors import StanceError

FOLDER = Path(__file__).parent / "data" / "newsmtsc"


def test_article_of_matches_the_corpus_grouping():
    assert newsmtsc.article_of("allsides_1018_408_1_Hillary Clinton_2_17") == "allsides_1018"
    assert newsmtsc.article_of("polusa_v1_4_5_committee") == "polusa_v1_4"


def test_sentiment_rows_keep_agreeing_targets_only():
    rows, counts = newsmtsc.sentiment_rows(FOLDER)
    by_text = {r["text"]: r["sentiment"] for r in rows}
    assert by_text == {
        "The senator praised the new treaty as a triumph.": "positive",   # two targets, both positive
        "Critics slammed the governor over the failed deal.": "negative",
        "The committee met on Tuesday.": "neutral",
        "Officials described the talks as productive.": "positive",
    }
    assert counts == {"sentences": 5, "mixed_targets": 1, "excluded": 0, "kept": 4}
    assert all(r["stance"] is None and r["source"] == newsmtsc.SOURCE for r in rows)


def test_sentiment_rows_leave_out_held_out_articles_and_corpus_sentences():
    rows, counts = newsmtsc.sentiment_rows(FOLDER, exclude_articles={"allsides_1"},
                                           exclude_texts={"The committee met on Tuesday."})
    assert sorted(r["text"] for r in rows) == ["Critics slammed the governor over the failed deal.",
                                               "Officials described the talks as productive."]
    assert counts["excluded"] == 2
    limited, _ = newsmtsc.sentiment_rows(FOLDER, limit=2, seed=1)
    assert len(limited) == 2
    assert limited == newsmtsc.sentiment_rows(FOLDER, limit=2, seed=1)[0]  # a seeded sample


def test_evaluate_scores_every_target_against_the_sentence_prediction():
    calls = []

    def predict(sentences):
        calls.append(list(sentences))
        return ["positive" if "hailed" in s else "negative" for s in sentences]

    scores = newsmtsc.evaluate(predict, FOLDER)
    # mt: 3 targets (positive, negative, neutral gold) against (positive, negative, negative):
    # F1 positive 1, negative 2/3, neutral 0 -> F1m 55.6. rw: one target, right: classes absent score 0.
    assert scores["mt"] == pytest.approx(100 * (1 + 2 / 3 + 0) / 3)
    assert scores["rw"] == pytest.approx(100 / 3)
    assert [len(c) for c in calls] == [2, 1]  # one prediction per distinct sentence


def test_a_broken_file_names_its_line(tmp_path):
    (tmp_path / "train.jsonl").write_text('{"sentence": "x", "polarity": 7, "id": "a_1"}\n', encoding="utf-8")
    with pytest.raises(StanceError, match=r"train.jsonl:1: .*not a NewsMTSC target row"):
        newsmtsc.sentiment_rows(tmp_path)
    with pytest.raises(StanceError, match="NewsMTSC file not found"):
        newsmtsc.sentiment_rows(tmp_path / "nowhere")
