"""NewsMTSC (Hamborg & Donnay, EACL 2021): real news sentences with sentiment toward a target.

Two uses. Its train split gives the sentiment head thousands of real news sentences (no stance
label: ``None``). Its two evaluation sets, ``devtest_mt`` and ``devtest_rw``, give an F1m to set
beside the published figure. Our models score a sentence, not a target, so a sentence's label
for training is its targets' polarity when they all agree (sentences whose targets disagree are
left out), and at evaluation one sentence-level prediction is compared with every target's
polarity: the input is **not** target-aware. Files: ``seeds/newsmtsc/`` (MIT, see its README).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import Errors, StanceError

FOLDER = Path("seeds/newsmtsc")
TRAIN_FILE = "train.jsonl"
EVAL_SETS = {"mt": ("devtest_mt-dev.jsonl", "devtest_mt-test.jsonl"),
             "rw": ("devtest_rw-dev.jsonl", "devtest_rw-test.jsonl")}
POLARITY = {-1: "negative", 0: "neutral", 1: "positive"}
SOURCE = "newsmtsc-train"
# The paper's best model (GRU-TSC, RoBERTa, target-aware): F1m on the two evaluation sets.
PUBLISHED_F1M = {"mt": 83.1, "rw": 82.5}


def article_of(newsmtsc_id: str) -> str:
    """The article a NewsMTSC sentence comes from (``allsides_<n>`` or ``polusa_v1_<n>``)."""
    parts = newsmtsc_id.split("_")
    return "_".join(parts[:3] if parts[0] == "polusa" else parts[:2])


def read_targets(path: str | Path) -> list[dict[str, Any]]:
    """The target rows of one NewsMTSC file (``sentence``, ``mention``, ``polarity``, ``id``)."""
    path = Path(path)
    if not path.is_file():
        detail = "NewsMTSC file not found (see seeds/newsmtsc/README.md)"
        raise StanceError(Errors.E014.format(path=path, detail=detail))
    rows = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            try:
                row = json.loads(line)
                row["label"] = POLARITY[int(row["polarity"])]
                str(row["sentence"]), str(row["id"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise StanceError(Errors.E014.format(path=f"{path}:{lineno}",
                                                     detail=f"not a NewsMTSC target row ({exc})")) from None
            rows.append(row)
    return rows


def sentiment_rows(folder: str | Path = FOLDER, exclude_articles: set[str] | frozenset[str] = frozenset(),
                   exclude_texts: set[str] | frozenset[str] = frozenset(),
                   limit: int | None = None, seed: int = 13) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Sentence-level sentiment rows from the train split, shaped like corpus rows (stance ``None``).

    Args:
        exclude_articles: Articles to leave out (those of corpus validation and test sentences).
        exclude_texts: Sentences to leave out (the corpus's own, which have a full label).
        limit: Keep at most this many sentences (a seeded sample), for recipes that train slowly.

    Returns:
        The rows, and counts of what was kept and left out.
    """
    by_sentence: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_targets(Path(folder) / TRAIN_FILE):
        by_sentence[row["sentence"]].append(row)
    counts = {"sentences": len(by_sentence), "mixed_targets": 0, "excluded": 0}
    rows = []
    for sentence, targets in by_sentence.items():
        labels = {t["label"] for t in targets}
        if len(labels) > 1:
            counts["mixed_targets"] += 1
            continue
        if article_of(targets[0]["id"]) in exclude_articles or sentence.strip() in exclude_texts:
            counts["excluded"] += 1
            continue
        rows.append({"id": f"{SOURCE}:{targets[0]['id']}", "doc_id": f"{SOURCE}:{targets[0]['id']}",
                     "source": SOURCE, "sent_idx": 0, "text": sentence, "kind": "body", "speaker": "",
                     "stance": None, "sentiment": labels.pop()})
    if limit is not None and len(rows) > limit:
        keep = np.random.default_rng(seed).choice(len(rows), size=limit, replace=False)
        rows = [rows[i] for i in sorted(keep)]
    counts["kept"] = len(rows)
    return rows, counts


def evaluate(predict: Any, folder: str | Path = FOLDER) -> dict[str, float]:
    """Sentiment F1m (macro-F1 x 100 over the three polarities) on ``devtest_mt`` and ``devtest_rw``.

    Args:
        predict: Sentences -> sentiment labels (one per sentence); called once per set.
    """
    from sklearn.metrics import f1_score

    scores = {}
    for name, files in EVAL_SETS.items():
        targets = [row for file in files for row in read_targets(Path(folder) / file)]
        sentences = sorted({t["sentence"] for t in targets})
        predicted = dict(zip(sentences, predict(sentences), strict=True))
        pred = [predicted[t["sentence"]] for t in targets]
        scores[name] = 100 * float(f1_score([t["label"] for t in targets], pred, average="macro",
                                            labels=list(POLARITY.values()), zero_division=0))
    return scores
