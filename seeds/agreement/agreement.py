"""Agreement between the first pass (the corpus) and the blind second pass.

Prints, for each round of the blind second pass (``ROUNDS``), Cohen's kappa for stance and
sentiment, raw agreement, speaker agreement (exact and normalised: case, a leading "the", titles),
and writes that round's disagreements (``disagreements*.jsonl``) for adjudication.
Run: python seeds/agreement/agreement.py
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent / "corpus"
if str(HERE.parents[1]) not in sys.path:  # run as a script: the project's package
    sys.path.insert(0, str(HERE.parents[1]))

from stance.data import validate_corpus  # noqa: E402


def kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label lists of equal length."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def norm_speaker(s: str | None) -> str:
    s = (s or "").lower().strip()
    s = re.sub(r"^(the|a|an)\s+", "", s)
    s = re.sub(r"\b(president|prime minister|mr\.|ms\.|mrs\.|dr\.)\s+", "", s)
    return " ".join(s.split())


# Each round of the blind second pass: its label files and where its disagreements are written.
ROUNDS = {
    "all sources (first corpus)": (["second_pass.jsonl"], "disagreements.jsonl"),
    "real documents added for issue 18 (kremlin, statedept, whitehouse c-d)": (["second_pass_real_*.jsonl"],
                                                                               "disagreements_real.jsonl"),
}


def agreement(second: list[dict], first: dict[str, dict], out: Path) -> dict[str, float]:
    """Kappa and raw agreement per task, speaker agreement; the disagreements written to ``out``."""
    pairs = [(first[r["id"]], r) for r in second]
    result: dict[str, float] = {"n": len(pairs)}
    for task in ("stance", "sentiment"):
        a = [f[task] for f, _ in pairs]
        b = [s[task] for _, s in pairs]
        result[f"{task}_kappa"] = round(kappa(a, b), 3)
        result[f"{task}_agreement"] = round(sum(x == y for x, y in zip(a, b, strict=True)) / len(a), 3)
    result["speaker_exact"] = round(sum(f["speaker"] == s["speaker"] for f, s in pairs) / len(pairs), 3)
    result["speaker_normalised"] = round(
        sum(norm_speaker(f["speaker"]) == norm_speaker(s["speaker"]) for f, s in pairs) / len(pairs), 3)
    with open(out, "w", encoding="utf-8") as fh:
        for f, s in pairs:
            if f["stance"] != s["stance"] or f["sentiment"] != s["sentiment"] or \
                    norm_speaker(f["speaker"]) != norm_speaker(s["speaker"]):
                fh.write(json.dumps({"id": f["id"], "text": f["text"],
                                     "first": {k: f[k] for k in ("speaker", "stance", "sentiment")},
                                     "second": {k: s[k] for k in ("speaker", "stance", "sentiment")}},
                                    ensure_ascii=False) + "\n")
    return result


def main() -> dict[str, dict[str, float]]:
    # Agreement is between the two passes as annotated, before adjudication.
    _, sentences = validate_corpus(CORPUS)
    first = {r["id"]: {**r, **r.get("first_pass", {})} for r in sentences}
    results = {}
    for name, (patterns, out) in ROUNDS.items():
        files = sorted(p for pattern in patterns for p in HERE.glob(pattern))
        second = [json.loads(x) for f in files for x in open(f, encoding="utf-8") if x.strip()]
        if second:
            results[name] = agreement(second, first, HERE / out)
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
