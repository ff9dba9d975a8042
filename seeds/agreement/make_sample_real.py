"""Draw a blind second-pass sample of the real documents added for issue 18 (kremlin, statedept,
and the whole White House documents of batches c and d), without their labels.

Each item carries the sentence and the document text around it, so the second annotator can
resolve who speaks, but none of the first pass's labels. Drawn per batch file, seed 2027.
Run: python seeds/agreement/make_sample_real.py OUT N BATCH...   e.g.
    python seeds/agreement/make_sample_real.py seeds/agreement/sample_real_1.jsonl 200 \\
        seeds/annotations/kremlin/batch_a.jsonl ...
"""

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT.parent) not in sys.path:  # run as a script: the project's package
    sys.path.insert(0, str(ROOT.parent))

from stance.data import validate_corpus  # noqa: E402


def main(out: Path, n: int, batches: list[Path], skip: set[str]) -> int:
    documents, sentences = validate_corpus(ROOT / "corpus")
    rng = random.Random(2027)
    items = []
    for batch in batches:
        ids = {json.loads(line)["doc_id"] for line in open(batch, encoding="utf-8") if line.strip()}
        pool = [s for s in sentences if s["doc_id"] in ids and s["id"] not in skip and s["kind"] != "meta"]
        for s in sorted(rng.sample(pool, min(n // len(batches), len(pool))), key=lambda r: r["id"]):
            text = documents[s["doc_id"]]["text"]
            items.append({"id": s["id"], "source": s["source"], "kind": s["kind"],
                          "context_before": text[max(0, s["start"] - 1500):s["start"]],
                          "sentence": s["text"], "context_after": text[s["end"]:s["end"] + 300]})
    with open(out, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(items)


if __name__ == "__main__":
    target, count, files = Path(sys.argv[1]), int(sys.argv[2]), [Path(p) for p in sys.argv[3:]]
    print(main(target, count, files, set()), "sentences in", target)
