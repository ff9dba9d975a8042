"""Run a pipeline over gold documents and hand (gold, predicted) pairs to ``stance.evaluate``.

Gold comes from the corpus folder (one split) or from a ``<doc>.gold.jsonl`` file beside its
``<doc>.txt``. Predictions are end to end: the pipeline segments and attributes the raw
document; each gold sentence is matched to the predicted sentence that overlaps it most.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stance.errors import Errors, StanceError
from stance.evaluate import boundary_f1, classification_metrics, speaker_accuracy
from stance.types import LABELS, TASKS, Document, Prediction, Sentence


def _default_split() -> dict[str, Any]:
    """The split a run makes with the config's defaults (a model saved without its split)."""
    from stance.config import DataConfig

    data = DataConfig()
    return {"seed": data.split_seed, "validation_fraction": data.validation_fraction,
            "test_fraction": data.test_fraction, "sources": data.sources}


def load_gold(data: str | Path, split: str = "test",
              settings: dict[str, Any] | None = None) -> tuple[list[Document], list[dict[str, Any]]]:
    """Documents and gold sentence records from a corpus folder or a gold JSONL file.

    ``settings`` are the model's split (its ``pipeline.json``: seed, fractions, sources), so a
    corpus split is rebuilt exactly as the model's training run made it; ``None``: the defaults.
    """
    import json

    data = Path(data)
    if data.is_dir():
        from stance.data import SPLITS, split_groups, validate_corpus

        if split not in (*SPLITS, "all"):
            detail = f"unknown split {split!r}; expected {SPLITS} or 'all'"
            raise StanceError(Errors.E014.format(path=data, detail=detail))
        s = {**_default_split(), **(settings or {})}
        docs, sentences = validate_corpus(data)
        if s["sources"] is not None:  # the split was made over these sources only
            docs = {k: d for k, d in docs.items() if d["source"] in s["sources"]}
            sentences = [r for r in sentences if r["source"] in s["sources"]]
        split_of = split_groups(docs, sentences, s["seed"], s["validation_fraction"], s["test_fraction"])
        keep = [s for s in sentences if split == "all" or split_of[s["doc_id"]] == split]
        doc_ids = list(dict.fromkeys(s["doc_id"] for s in keep))
        return [Document(d, docs[d]["text"]) for d in doc_ids], keep
    if not data.is_file():
        raise StanceError(Errors.E001.format(path=data))
    gold = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts: dict[str, str] = {}
    for rec in gold:
        if rec["doc_id"] not in texts:
            txt = data.parent / f"{rec['doc_id']}.txt"
            if not txt.is_file():
                raise StanceError(Errors.E014.format(path=data, detail=f"document text {txt} not found beside it"))
            texts[rec["doc_id"]] = txt.read_text(encoding="utf-8")
    return [Document(d, t) for d, t in texts.items()], gold


def _match(gold: list[dict[str, Any]], preds: list[Prediction]) -> list[Prediction | None]:
    """For each gold sentence, the prediction overlapping it most (None when none does)."""
    out: list[Prediction | None] = []
    for g in gold:
        best, best_overlap = None, 0
        for p in preds:
            overlap = min(g["end"], p.sentence.end) - max(g["start"], p.sentence.start)
            if overlap > best_overlap:
                best, best_overlap = p, overlap
        out.append(best)
    return out


def assess(pipeline: Any, data: str | Path, split: str = "test", task: str = "labels",
           source: str | None = None) -> dict[str, Any]:
    """Evaluate a pipeline end to end on gold documents.

    Args:
        pipeline: A :class:`stance.pipeline.Pipeline`; for ``task="speakers"`` it may be ``None``
            (segmentation and attribution need no classifier).
        task: ``labels`` (stance and sentiment per sentence, plus speakers) or ``speakers``
            (speaker accuracy per source and sentence boundary F1 only, on whole documents).
        source: Keep only this corpus source (``authored``, ``whitehouse``, ...).
    """
    docs, gold = load_gold(data, split, getattr(pipeline, "split", None))
    if source:  # one source of the corpus, e.g. the authored articles
        gold = [g for g in gold if g.get("source") == source]
        keep = {g["doc_id"] for g in gold}
        docs = [d for d in docs if d.doc_id in keep]
    predictions = _annotated(pipeline, docs) if task == "speakers" else pipeline.score_documents(docs)
    gold_by_doc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for g in gold:
        gold_by_doc[g["doc_id"]].append(g)
    pairs: list[tuple[dict[str, Any], Prediction | None]] = []
    gold_spans, pred_spans = [], []
    for doc, preds in zip(docs, predictions, strict=True):
        golds = gold_by_doc[doc.doc_id]
        pairs.extend(zip(golds, _match(golds, preds), strict=True))
        gold_spans += [(doc.doc_id, g["start"], g["end"]) for g in golds]
        pred_spans += [(doc.doc_id, p.sentence.start, p.sentence.end) for p in preds]
    result: dict[str, Any] = {"documents": len(docs), "sentences": len(gold)}
    result.update(boundary_f1(gold_spans, pred_spans))  # type: ignore[arg-type]
    result.update(speaker_accuracy([g.get("speaker") for g, _ in pairs],
                                   [p.sentence.speaker if p else "" for _, p in pairs]))
    by_source: dict[str, list[tuple[dict[str, Any], Prediction | None]]] = defaultdict(list)
    for g, p in pairs:
        by_source[str(g.get("source") or "gold")].append((g, p))
    result["speakers_by_source"] = {
        src: speaker_accuracy([g.get("speaker") for g, _ in ps], [p.sentence.speaker if p else "" for _, p in ps])
        for src, ps in sorted(by_source.items())}
    if task == "labels":
        for t in TASKS:
            result[t] = classification_metrics([g[t] for g, _ in pairs],
                                               [getattr(p, t) if p else "neutral" for _, p in pairs], LABELS.of(t))
    return result


@dataclass(frozen=True)
class _Attributed:
    """A sentence with its speaker, shaped as a prediction for matching (no labels)."""

    sentence: Sentence


def _annotated(pipeline: Any, docs: list[Document]) -> list[list[Any]]:
    """Segmentation and attribution only: the pipeline's own, or the default spaCy model's."""
    if pipeline is not None:
        sentences = pipeline.annotate(docs)
    else:
        from stance.pipeline import annotate
        from stance.text.nlp import load_nlp

        sentences = annotate(docs, load_nlp())
    return [[_Attributed(s) for s in sents] for sents in sentences]
