"""Frozen value types passed between the stages, and the one place the labels are defined."""

from __future__ import annotations

from dataclasses import dataclass, field

AUTHOR = "AUTHOR"


def speaker_slug(name: str) -> str:
    """A speaker's stable id: ``Donald Trump`` -> ``donald-trump``, ``AUTHOR`` -> ``author`` (accents folded)."""
    import re
    import unicodedata

    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    return out or re.sub(r"\W+", "-", name.lower()).strip("-") or "unknown"


@dataclass(frozen=True)
class Labels:
    """The label sets of the two tasks, in a fixed order (the order of every score dict)."""

    stance: tuple[str, ...] = ("optimistic", "dismissive", "conditional", "neutral")
    sentiment: tuple[str, ...] = ("positive", "negative", "neutral")

    def of(self, task: str) -> tuple[str, ...]:
        """Return the labels of ``task`` (``"stance"`` or ``"sentiment"``)."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
        labels: tuple[str, ...] = getattr(self, task)
        return labels


LABELS = Labels()
TASKS = ("stance", "sentiment")
KINDS = ("body", "headline", "meta")


@dataclass(frozen=True)
class Document:
    """An article as read: ``text`` is indexed by every offset downstream."""

    doc_id: str
    text: str


@dataclass(frozen=True)
class Sentence:
    """One sentence: ``doc.text[start:end] == text``; ``clean`` is the text with markup removed."""

    doc_id: str
    sent_idx: int
    start: int
    end: int
    text: str
    clean: str
    kind: str = "body"
    speaker: str = AUTHOR
    quoted: bool = False
    speaker_id: str = ""  # the speaker's id across a batch; empty: the slug of ``speaker``


@dataclass(frozen=True)
class Prediction:
    """A sentence with its labels and per-label probabilities."""

    sentence: Sentence
    stance: str
    stance_scores: dict[str, float] = field(default_factory=dict)
    sentiment: str = "neutral"
    sentiment_scores: dict[str, float] = field(default_factory=dict)
    truncated: bool = False  # the model saw only part of the sentence (``max_chars`` or its token window)

    def to_row(self, model: str) -> dict[str, object]:
        """Return the output row of the scoring contract (DESIGN.md)."""
        s = self.sentence
        return {
            "doc_id": s.doc_id, "sent_idx": s.sent_idx, "start": s.start, "end": s.end,
            "kind": s.kind, "text": s.text, "speaker": s.speaker,
            "speaker_id": s.speaker_id or speaker_slug(s.speaker),
            "stance": self.stance, "stance_scores": self.stance_scores,
            "sentiment": self.sentiment, "sentiment_scores": self.sentiment_scores,
            "model": model, "truncated": self.truncated,
        }
