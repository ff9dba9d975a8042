"""The whole pipeline: segment, attribute speakers, classify; one object for every front end.

``Pipeline`` is what the MLflow pyfunc model wraps and what ``stance score`` runs, so local
scoring, serving and Spark share this code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import Errors, StanceError
from stance.models.base import StanceClassifier, load_classifier, model_input, previous_texts
from stance.text.segment import clean_text, segment
from stance.types import AUTHOR, LABELS, TASKS, Document, Prediction, Sentence

PIPELINE_FILE = "pipeline.json"


class Pipeline:
    """Segment -> attribute -> classify.

    Args:
        classifier: A fitted classifier following the contract in ``stance.models.base``.
        input_mode: How sentences are shown to the classifier (see ``model_input``).
        max_chars: Sentences longer than this are cut before classification (and flagged).
        runtime: Inference runtime of the classifier's encoder (``stance.models.runtime.RUNTIMES``);
            ``None`` keeps the classifier's own (fp32 PyTorch after training).
        split: How the training corpus was split (``corpus``, ``seed``, ``validation_fraction``,
            ``test_fraction``, ``sources``), so evaluation can rebuild exactly the documents the
            model never trained on; ``None`` for a model saved without it.
    """

    def __init__(self, classifier: StanceClassifier, input_mode: str = "speaker", max_chars: int = 2000,
                 runtime: str | None = None, split: dict[str, Any] | None = None) -> None:
        self.classifier = classifier
        self.input_mode = input_mode
        self.max_chars = max_chars
        self.runtime = runtime
        self.split = split
        if runtime is not None:
            classifier.set_runtime(runtime)
        self._nlp: Any = None

    def set_runtime(self, runtime: str) -> None:
        """Switch the classifier's inference runtime (``torch``, ``torch-int8``, ``onnx``, ``onnx-int8``)."""
        self.classifier.set_runtime(runtime)
        self.runtime = runtime

    @property
    def nlp(self) -> Any:
        """The spaCy pipeline, loaded on first use."""
        if self._nlp is None:
            from stance.text.speakers import load_nlp

            self._nlp = load_nlp()
        return self._nlp

    def save(self, path: str | Path) -> Path:
        """Write the model folder: the classifier, its exported runtime graphs and ``pipeline.json``."""
        from stance.models.runtime import DEFAULT_RUNTIME

        path = self.classifier.save(path)
        self.classifier.export_runtime(path)
        return self.write_settings(path, self.runtime or self.classifier.fixed_runtime() or DEFAULT_RUNTIME)

    def write_settings(self, path: str | Path, runtime: str) -> Path:
        """Write ``pipeline.json``: input mode, ``max_chars``, the runtime the folder loads with and the split."""
        path = Path(path)
        settings = {"input_mode": self.input_mode, "max_chars": self.max_chars, "runtime": runtime,
                    **({"split": self.split} if self.split is not None else {})}
        (path / PIPELINE_FILE).write_text(json.dumps(settings, indent=2), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> Pipeline:
        """Load a model folder written by :meth:`save`, on its runtime (default ``DEFAULT_RUNTIME``)."""
        from stance.models.runtime import DEFAULT_RUNTIME

        path = Path(path)
        classifier = load_classifier(path)
        settings_file = path / PIPELINE_FILE
        try:
            settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
            return cls(classifier, **{"runtime": DEFAULT_RUNTIME, **settings})
        except (ValueError, TypeError) as exc:  # not JSON, not an object, or an unknown setting
            raise StanceError(Errors.E011.format(path=path, detail=f"{PIPELINE_FILE}: {exc}")) from None

    def annotate(self, docs: Sequence[Document]) -> list[list[Sentence]]:
        """Split each document and attribute each sentence's speaker."""
        return annotate(docs, self.nlp, self.max_chars)

    def classify(self, sentences: Sequence[Sentence]) -> list[Prediction]:
        """Label sentences; meta lines (credits, links, bylines) are always neutral."""
        if not sentences:
            return []
        previous = previous_texts([(s.doc_id, s.sent_idx) for s in sentences], [s.clean for s in sentences])
        inputs = [model_input(s.clean[: self.max_chars], s.speaker, s.kind, self.input_mode, prev)
                  for s, prev in zip(sentences, previous, strict=True)]
        probas = self.classifier.predict_proba(inputs)
        cut = self.classifier.exceeds_window(inputs)  # longer than the encoder's token window
        scores = {task: _ordered(probas[j], self.classifier.classes_[j], LABELS.of(task))
                  for j, task in enumerate(TASKS)}
        preds = []
        for i, sent in enumerate(sentences):
            st, se = scores["stance"][i], scores["sentiment"][i]
            if sent.kind == "meta":
                st = {lab: float(lab == "neutral") for lab in LABELS.stance}
            preds.append(Prediction(sent, max(st, key=st.__getitem__), st, max(se, key=se.__getitem__), se,
                                    truncated=bool(len(sent.clean) > self.max_chars or cut[i])))
        return preds

    def score_documents(self, docs: Sequence[Document]) -> list[list[Prediction]]:
        """Run the whole pipeline over documents; one prediction list per document."""
        annotated = self.annotate(docs)
        flat = self.classify([s for sents in annotated for s in sents])
        out, pos = [], 0
        for sents in annotated:
            out.append(flat[pos: pos + len(sents)])
            pos += len(sents)
        return out

    def score_sentences(self, rows: Iterable[dict[str, Any]]) -> list[Prediction]:
        """Classify already split sentences (``doc_id``, ``sent_idx``, ``text``, optional ``speaker``)."""
        sentences = []
        for row in rows:
            text = str(row["text"])
            speaker = row.get("speaker") or AUTHOR
            sentences.append(Sentence(str(row["doc_id"]), int(row["sent_idx"]), 0, len(text), text,
                                      clean_text(text), str(row.get("kind") or "body"), str(speaker)))
        return self.classify(sentences)


def _ordered(proba: np.ndarray, classes: Sequence[str], labels: Sequence[str]) -> list[dict[str, float]]:
    """Per-row score dicts in the label-set order, rounded, summing to 1."""
    index = {c: k for k, c in enumerate(classes)}
    out = []
    for row in proba:
        vals = np.array([row[index[lab]] if lab in index else 0.0 for lab in labels], dtype=float)
        vals = vals / vals.sum() if vals.sum() > 0 else np.full(len(labels), 1 / len(labels))
        out.append({lab: float(v) for lab, v in zip(labels, vals, strict=True)})
    return out


def annotate(docs: Sequence[Document], nlp: Any, max_chars: int = 2000) -> list[list[Sentence]]:
    """Split each document and attribute each sentence's speaker (no classifier needed)."""
    from stance.text.speakers import attribute, parse

    all_spans = [segment(doc.text) for doc in docs]
    texts = [s.clean[:max_chars] for spans in all_spans for s in spans]
    parsed = parse(nlp, texts)
    out: list[list[Sentence]] = []
    pos = 0
    for doc, spans in zip(docs, all_spans, strict=True):
        parses = parsed[pos: pos + len(spans)]
        pos += len(spans)
        speakers = attribute(spans, parses)
        out.append([
            Sentence(doc.doc_id, i, s.start, s.end, doc.text[s.start:s.end], s.clean, s.kind, speaker, quoted)
            for i, (s, (speaker, quoted)) in enumerate(zip(spans, speakers, strict=True))
        ])
    return out


def load_model(uri: str | Path | None = None) -> Pipeline:
    """Load a pipeline from a model folder or an MLflow model URI (default: the champion)."""
    from stance.tracking import resolve_pipeline

    return resolve_pipeline(str(uri) if uri is not None else None)


def score_texts(texts: Sequence[str], model: Pipeline | None = None,
                ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Score raw article texts; return the contract rows (one per sentence, in order)."""
    pipeline = model or load_model()
    ids = list(ids) if ids is not None else [f"doc{i}" for i in range(len(texts))]
    docs = [Document(i, t) for i, t in zip(ids, texts, strict=True)]
    return [p.to_row("local") for preds in pipeline.score_documents(docs) for p in preds]
