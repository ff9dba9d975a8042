"""Rebuild tests/data/corpus: a small slice of seeds/corpus (every source) for fast tests.

Run: python tests/data/make_fixture.py
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from stance.data import validate_corpus  # noqa: E402

PICK = {"seed": 1, "authored": 8, "whitehouse": 3, "wikinews": 3, "newsmtsc": 24}

by_id, sents = validate_corpus(ROOT / "seeds/corpus")  # the fixture's sentences carry their text
docs = list(by_id.values())
chosen: list[dict] = []
for source, n in PICK.items():
    pool = [d for d in docs if d["source"] == source]
    if source == "whitehouse" or source == "wikinews":
        pool.sort(key=lambda d: len(d["text"]))
    chosen += pool[:n] if source != "authored" else pool[:: max(1, len(pool) // n)][:n]
ids = {d["doc_id"] for d in chosen}
out = Path(__file__).parent / "corpus"
out.mkdir(exist_ok=True)
with open(out / "documents.jsonl", "w", encoding="utf-8") as fh:
    for d in chosen:
        fh.write(json.dumps(d, ensure_ascii=False) + "\n")
with open(out / "sentences.jsonl", "w", encoding="utf-8") as fh:
    for s in sents:
        if s["doc_id"] in ids:
            fh.write(json.dumps(s, ensure_ascii=False) + "\n")
print(len(chosen), "documents,", sum(1 for s in sents if s["doc_id"] in ids), "sentences")
