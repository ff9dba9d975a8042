"""Draw the blind second-pass sample: 420 sentences across all sources, without their labels.

Each item carries the sentence and the document text before it (up to 1,500 characters) so
the second annotator can resolve who speaks, but none of the first pass's labels.
Run: python seeds/agreement/make_sample.py  (writes seeds/agreement/sample.jsonl)
"""

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PER_SOURCE = {"authored": 140, "whitehouse": 110, "newsmtsc": 80, "wikinews": 80, "seed": 10}

sys.path.insert(0, str(ROOT.parent))
from stance.data import validate_corpus  # noqa: E402

documents, sentences = validate_corpus(ROOT / "corpus")
rng = random.Random(2026)
out = []
for source, n in PER_SOURCE.items():
    pool = [s for s in sentences if s["source"] == source]
    for s in sorted(rng.sample(pool, min(n, len(pool))), key=lambda r: r["id"]):
        text = documents[s["doc_id"]]["text"]
        out.append({"id": s["id"], "source": source, "kind": s["kind"],
                    "context_before": text[max(0, s["start"] - 1500):s["start"]],
                    "sentence": s["text"], "context_after": text[s["end"]:s["end"] + 300]})
with open(Path(__file__).parent / "sample.jsonl", "w", encoding="utf-8") as fh:
    for item in out:
        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
print(len(out), "sentences in seeds/agreement/sample.jsonl")
