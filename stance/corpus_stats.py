"""The corpus's counts, as printed by ``make corpus-check`` and quoted in the data card."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from stance.data import REAL_SOURCES, validate_corpus


def corpus_counts(corpus_dir: str | Path) -> str:
    """Validate the corpus and return its counts as a Markdown-friendly text block."""
    docs, sentences = validate_corpus(corpus_dir)
    lines = [f"corpus {corpus_dir}: valid. {len(docs)} documents, {len(sentences)} sentences"]
    real = [s for s in sentences if s["source"] in REAL_SOURCES]
    lines.append(f"real sentences (every source but authored and seed): {len(real)}")
    by_source = Counter(s["source"] for s in sentences)
    docs_by_source = Counter(d["source"] for d in docs.values())
    lines.append("\n| source | documents | sentences |\n|---|---|---|")
    lines += [f"| {src} | {docs_by_source[src]} | {n} |" for src, n in sorted(by_source.items())]
    for task in ("stance", "sentiment", "kind"):
        counts = Counter(s[task] for s in sentences)
        lines.append(f"\n{task}: " + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    stances = Counter(s["stance"] for s in sentences if s["stance"] != "neutral")
    total = sum(stances.values()) or 1
    lines.append("stance-bearing shares: " + ", ".join(f"{k} {v / total:.1%}" for k, v in stances.most_common()))
    neg = Counter(docs[s["doc_id"]].get("negotiation", "none") for s in sentences)
    lines.append("sentences by kind of negotiation: " + ", ".join(f"{k} {v}" for k, v in neg.most_common()))
    lines.append("\n| source | optimistic | dismissive | conditional | neutral |\n|---|---|---|---|---|")
    for src in sorted(by_source):
        c = Counter(s["stance"] for s in sentences if s["source"] == src)
        lines.append(f"| {src} | {c['optimistic']} | {c['dismissive']} | {c['conditional']} | {c['neutral']} |")
    lines.append("\n| annotation batch | documents | sentences | optimistic | dismissive | conditional | neutral |"
                 "\n|---|---|---|---|---|---|---|")
    batch_of = {d["doc_id"]: d.get("batch", "?") for d in docs.values()}
    for batch in sorted(set(batch_of.values())):
        c = Counter(s["stance"] for s in sentences if batch_of[s["doc_id"]] == batch)
        n_docs = sum(1 for b in batch_of.values() if b == batch)
        lines.append(f"| {batch} | {n_docs} | {sum(c.values())} | {c['optimistic']} | {c['dismissive']} | "
                     f"{c['conditional']} | {c['neutral']} |")
    adjudicated = sum(1 for s in sentences if s.get("adjudicated"))
    lines.append(f"\nadjudicated after the blind second pass: {adjudicated} sentences")
    return "\n".join(lines)
