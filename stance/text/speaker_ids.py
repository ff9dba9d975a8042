"""One name per person across a batch: ``Trump`` in one article and ``Donald Trump`` in another.

Within an article, attribution already gives the fullest name. Across the documents of one run,
a one-word name (a surname) that ends exactly one multi-word name seen in the run becomes that
name; ``speaker_id`` is the stable, lower-case slug of the result (``donald-trump``), written
beside the displayed ``speaker``, and ``stance report`` groups by it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, MutableMapping, Sequence
from typing import Any

from stance.types import AUTHOR, speaker_slug


class SpeakerIndex:
    """The speakers of one batch, and the canonical name each one stands for."""

    def __init__(self) -> None:
        self._by_surname: dict[str, set[str]] = defaultdict(set)

    def add(self, names: Iterable[str]) -> None:
        """Record speaker names seen in the batch."""
        for name in names:
            words = name.split()
            if len(words) >= 2 and name != AUTHOR and words[0][:1].isupper():
                self._by_surname[words[-1].lower()].add(name)

    def canonical(self, name: str) -> str:
        """The batch's one full name for a surname, else ``name`` itself."""
        if " " in name or name == AUTHOR:
            return name
        full = self._by_surname.get(name.lower(), set())
        return next(iter(full)) if len(full) == 1 else name

    def speaker_id(self, name: str) -> str:
        """The stable id of ``name`` in this batch."""
        return speaker_slug(self.canonical(name))


def assign_speaker_ids(rows: Sequence[MutableMapping[str, Any]]) -> None:
    """Set ``speaker_id`` on rows that are a whole batch (the pyfunc's and the Spark UDF's calls)."""
    index = SpeakerIndex()
    index.add(str(r.get("speaker") or AUTHOR) for r in rows)
    for row in rows:
        row["speaker_id"] = index.speaker_id(str(row.get("speaker") or AUTHOR))
