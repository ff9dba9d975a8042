"""Quotations as spans of text over sentences and paragraphs, as newspapers print them.

A quotation opens with ``"``, ``“`` or ``«`` and closes with its mark; nested single quotes stay
inside it. It may run over several sentences, and over a paragraph break when the next paragraph
reopens it with a mark (the newspaper convention: the closing mark is left off at the end of a
paragraph the quotation continues past). A paragraph that ends with a quotation open and starts
the next without a mark closes it (an unbalanced mark never swallows the rest of the article).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

OPEN_QUOTES = "\"“«„"
QUOTE_CHARS = "\"“”«»„"
_OPENERS = {"“": "”", "«": "»", "„": "“"}
MAX_QUOTATION_SENTENCES = 15


def quoted_chars(text: str) -> set[int]:
    """Character positions of one sentence that lie inside quotation marks."""
    inside: set[int] = set()
    for match in re.finditer(r'"[^"]*"|“[^”]*”|«[^»]*»', text):
        inside.update(range(match.start(), match.end()))
    if not inside and text[:1] in OPEN_QUOTES:  # an open quotation running to the end
        close = max(text.rfind("”"), text.rfind('"'))
        inside.update(range(0, close if close > 0 else len(text)))
    return inside


def quote_status(text: str) -> tuple[bool, bool, bool]:
    """(starts inside a quotation, has a quotation mark, leaves a quotation open)."""
    starts = text[:1] in OPEN_QUOTES
    has = any(c in QUOTE_CHARS for c in text)
    n_straight = text.count('"')
    opened = text.count("“") - text.count("”") > 0 or n_straight % 2 == 1
    return starts, has, opened


def _scan(text: str, closer: str | None, reopen: bool) -> tuple[str | None, bool]:
    """The closing mark awaited after ``text`` (None: no quotation open), and whether it quotes at all.

    ``closer`` is the mark awaited before it; ``reopen``: a mark at the very start of the text
    continues an open quotation instead of closing it (a new paragraph of the same quotation).
    """
    touched = closer is not None
    for pos, ch in enumerate(text):
        if ch not in QUOTE_CHARS:
            continue
        if closer is not None and pos == 0 and reopen and (ch in _OPENERS or ch == '"'):
            continue
        if closer is None:
            if ch == '"':
                closer, touched = '"', True
            elif ch in _OPENERS:
                closer, touched = _OPENERS[ch], True
        elif ch == closer:
            closer = None
    return closer, touched


def open_after(texts: Sequence[str], par_starts: Sequence[bool]) -> list[bool]:
    """For each sentence, whether a quotation is still open after it (see the module docstring).

    Args:
        texts: The body sentences of one document, in order.
        par_starts: For each sentence, whether it starts a paragraph.
    """
    out: list[bool] = []
    closer: str | None = None
    run = 0  # sentences the open quotation has covered
    for text, par in zip(texts, par_starts, strict=True):
        stripped = text.lstrip()
        if closer is not None and par and stripped[:1] not in QUOTE_CHARS:
            closer = None  # the paragraph before ended open, and this one does not reopen it
        closer, _ = _scan(stripped, closer, reopen=par)
        run = run + 1 if closer is not None else 0
        if run >= MAX_QUOTATION_SENTENCES:
            closer, run = None, 0
        out.append(closer is not None)
    return out


def quotation_groups(texts: Sequence[str], par_starts: Sequence[bool]) -> list[list[int]]:
    """Indices of the sentences each quotation of two or more sentences covers, in order."""
    opened = open_after(texts, par_starts)
    groups: list[list[int]] = []
    current: list[int] = []
    for i, is_open in enumerate(opened):
        before = opened[i - 1] if i else False
        if before and not (par_starts[i] and texts[i].lstrip()[:1] not in QUOTE_CHARS):
            current.append(i)  # the quotation open before this sentence runs into it
        else:
            if len(current) > 1:
                groups.append(current)
            current = [i] if is_open else []
    if len(current) > 1:
        groups.append(current)
    return groups
