"""Build the sentence-level corpus in ``seeds/corpus/`` from the annotation files.

Annotators write one JSON document per line in ``seeds/annotations/<source>/<batch>.jsonl``::

    {"doc_id": "au-trade-004", "source": "authored", "origin": "...", "title": "...",
     "date": "2026-03-02", "negotiation": "trade",
     "text": "... optional: the document as published ...",
     "sentences": [{"text": "...", "kind": "body", "speaker": "AUTHOR",
                    "stance": "neutral", "sentiment": "neutral", "par": true}, ...]}

* With ``text``: every sentence must occur in it, in order; between two sentences only white
  space or a transcript speaker label (``MS. PSAKI:``, ``Q``) may stand, so nothing is unlabelled.
* Without ``text`` (authored articles): the text is built from the sentences, joined by a space,
  with a blank line before a sentence marked ``"par": true`` and around headlines and meta lines.

The output holds ``documents.jsonl`` (one document a line, with its text) and
``sentences.jsonl`` (one labelled sentence a line with exact character offsets; its text is left
out, as ``documents.jsonl`` holds it and ``stance.data`` fills it in).
Run ``python seeds/build_corpus.py`` after editing an annotation file; it exits non-zero
with the file, line and reason on the first bad record.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT.parent) not in sys.path:  # run as a script: the project's package beside seeds/
    sys.path.insert(0, str(ROOT.parent))

from stance.newsmtsc import article_of as newsmtsc_group  # noqa: E402

ANNOTATIONS = ROOT / "annotations"
OUT = ROOT / "corpus"

SOURCES = {"seed", "authored", "whitehouse", "newsmtsc", "wikinews", "statedept", "kremlin"}
STANCES = {"optimistic", "dismissive", "conditional", "neutral"}
SENTIMENTS = {"positive", "negative", "neutral"}
KINDS = {"body", "headline", "meta"}
NEGOTIATIONS = {
    "peace", "trade", "nuclear", "hostage", "labour", "coalition", "budget", "merger",
    "climate", "treaty", "debt", "sports", "other", "none",
}
# What may stand between two labelled sentences: white space, markup tags, a transcript label:
# upper case (`MS. PSAKI:`, `Q`) or, at the start of a line, a name of up to six words
# of capitalised words (`Vladimir Putin:`, `President of Russia Vladimir Putin:`, `Question:`, as the
# Kremlin's transcripts print them).
GAP = re.compile(r"(?:\s|</?[A-Za-z][^<>]*>)*(?:(?:Q|[A-Z][A-Z.'\u2019\- ]*[A-Z.]:"
                 r"|(?<=\n)[A-Z][\w.'\u2019\-]*(?: (?:[A-Z][\w.'\u2019\-]*|of|de|von|al|bin|the)){0,5}:)\s*)?")


class AnnotationError(ValueError):
    """A record in an annotation file breaks the corpus rules."""


def _check_labels(sent: dict, where: str) -> None:
    for field, allowed in (("stance", STANCES), ("sentiment", SENTIMENTS)):
        if sent.get(field) not in allowed:
            raise AnnotationError(
                f"{where}: {field}={sent.get(field)!r}; expected one of {sorted(allowed)}"
            )
    kind = sent.get("kind", "body")
    if kind not in KINDS:
        raise AnnotationError(f"{where}: kind={kind!r}; expected one of {sorted(KINDS)}")
    if kind == "meta" and sent["stance"] != "neutral":
        raise AnnotationError(f"{where}: a meta line must have stance 'neutral'")
    speaker = sent.get("speaker")
    if speaker is not None and (not isinstance(speaker, str) or not speaker.strip()):
        raise AnnotationError(f"{where}: speaker must be a non-empty string or null")
    if speaker is not None and ("<" in speaker or ">" in speaker):
        raise AnnotationError(f"{where}: speaker {speaker!r} contains markup")
    text = sent.get("text")
    if not isinstance(text, str) or not text.strip() or text != text.strip():
        raise AnnotationError(f"{where}: sentence text must be non-empty with no outer spaces")


def _build_text(sents: list[dict]) -> str:
    """Join authored sentences into an article: paragraphs split by blank lines."""
    out: list[str] = []
    prev_kind = None
    for i, sent in enumerate(sents):
        kind = sent.get("kind", "body")
        if i > 0:
            new_par = sent.get("par") or kind != "body" or prev_kind != "body"
            out.append("\n\n" if new_par else " ")
        out.append(sent["text"])
        prev_kind = kind
    return "".join(out) + "\n"


def _locate(text: str, sents: list[dict], where: str) -> list[tuple[int, int]]:
    """Find each sentence in order; only white space or speaker labels may lie between."""
    spans: list[tuple[int, int]] = []
    cursor = 0
    for i, sent in enumerate(sents):
        start = text.find(sent["text"], cursor)
        if start < 0:
            raise AnnotationError(
                f"{where} sentence {i}: text not found after offset {cursor}: {sent['text'][:80]!r}"
            )
        gap = text[cursor:start]
        if not GAP.fullmatch(gap):
            raise AnnotationError(
                f"{where} sentence {i}: unlabelled text before it: {gap.strip()[:120]!r}"
            )
        end = start + len(sent["text"])
        spans.append((start, end))
        cursor = end
    tail = text[cursor:]
    if tail.strip():
        raise AnnotationError(f"{where}: unlabelled text at the end: {tail.strip()[:120]!r}")
    return spans


def build_document(doc: dict, where: str, batch: str | None = None) -> tuple[dict, list[dict]]:
    """Validate one annotated document and return its document and sentence records."""
    for field in ("doc_id", "source", "origin", "sentences"):
        if field not in doc:
            raise AnnotationError(f"{where}: missing field {field!r}")
    if doc["source"] not in SOURCES:
        raise AnnotationError(f"{where}: source={doc['source']!r}; expected one of {sorted(SOURCES)}")
    negotiation = doc.get("negotiation", "none")
    if negotiation not in NEGOTIATIONS:
        raise AnnotationError(
            f"{where}: negotiation={negotiation!r}; expected one of {sorted(NEGOTIATIONS)}"
        )
    sents = doc["sentences"]
    if not sents:
        raise AnnotationError(f"{where}: no sentences")
    for i, sent in enumerate(sents):
        _check_labels(sent, f"{where} sentence {i}")
    text = doc.get("text") or _build_text(sents)
    spans = _locate(text, sents, where)
    group = doc.get("group") or doc["doc_id"]
    if doc["source"] == "newsmtsc" and doc.get("newsmtsc"):
        group = newsmtsc_group(doc["newsmtsc"][0]["id"])
    document = {
        "doc_id": doc["doc_id"], "source": doc["source"], "origin": doc["origin"],
        "title": doc.get("title"), "date": doc.get("date"), "negotiation": negotiation,
        "group": group, "text": text,
    }
    if batch:
        document["batch"] = batch  # the annotation file it came from, e.g. kremlin/batch_a
    records = []
    for i, (sent, (start, end)) in enumerate(zip(sents, spans, strict=True)):
        rec = {
            "id": f"{doc['doc_id']}:{i}", "doc_id": doc["doc_id"], "source": doc["source"],
            "sent_idx": i, "start": start, "end": end, "text": text[start:end],
            "kind": sent.get("kind", "body"), "speaker": sent.get("speaker"),
            "stance": sent["stance"], "sentiment": sent["sentiment"],
        }
        if doc["source"] == "newsmtsc":
            rec["newsmtsc"] = doc.get("newsmtsc", [])
        records.append(rec)
    return document, records


def _apply_adjudication(sentences: list[dict], path: Path) -> None:
    """Replace labels the adjudicator decided; the first pass is kept in ``first_pass``."""
    if not path.is_file():
        return
    by_id = {s["id"]: s for s in sentences}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        decision = json.loads(line)
        rec = by_id.get(decision["id"])
        if rec is None:
            raise AnnotationError(f"{path}:{lineno}: no sentence with id {decision['id']!r}")
        _check_labels({**rec, **{k: decision[k] for k in ("speaker", "stance", "sentiment")}},
                      f"{path}:{lineno}")
        rec["first_pass"] = {k: rec[k] for k in ("speaker", "stance", "sentiment")}
        for k in ("speaker", "stance", "sentiment"):
            rec[k] = decision[k]
        rec["adjudicated"] = True


def build(annotations: Path = ANNOTATIONS, out: Path = OUT) -> tuple[int, int]:
    """Build the corpus files; return (documents, sentences)."""
    documents: list[dict] = []
    sentences: list[dict] = []
    seen: set[str] = set()
    for path in sorted(annotations.glob("*/*.jsonl")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.relative_to(annotations.parent)}:{lineno}"
            try:
                doc = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AnnotationError(f"{where}: invalid JSON ({exc})") from None
            document, records = build_document(doc, where, f"{path.parent.name}/{path.stem}")
            if document["doc_id"] in seen:
                raise AnnotationError(f"{where}: duplicate doc_id {document['doc_id']!r}")
            seen.add(document["doc_id"])
            documents.append(document)
            sentences.extend(records)
    for decisions in sorted((annotations.parent / "agreement").glob("adjudicated*.jsonl")):
        _apply_adjudication(sentences, decisions)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "documents.jsonl", "w", encoding="utf-8") as fh:
        for d in documents:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(out / "sentences.jsonl", "w", encoding="utf-8") as fh:
        for s in sentences:  # the text is the document's at the offsets: stance.data fills it in
            fh.write(json.dumps({k: v for k, v in s.items() if k != "text"}, ensure_ascii=False) + "\n")
    return len(documents), len(sentences)


def check_file(path: Path) -> tuple[int, int]:
    """Validate one annotation file without writing anything; return (documents, sentences)."""
    n_docs = n_sents = 0
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            _, records = build_document(json.loads(line), f"{path}:{lineno}")
            n_docs += 1
            n_sents += len(records)
    return n_docs, n_sents


if __name__ == "__main__":
    try:
        if len(sys.argv) > 1:
            for arg in sys.argv[1:]:
                print(arg, "OK: %d documents, %d sentences" % check_file(Path(arg)))
        else:
            print("corpus built: %d documents, %d sentences" % build())
    except AnnotationError as exc:
        sys.exit(f"error: {exc}")
