"""Sentence splitting with exact character offsets into the text as read.

Markup (HTML tags, entities) is removed before splitting with an index map back to the
original text, so ``text[start:end]`` always slices the article as read while the model only
ever sees clean text. Blocks (paragraphs or lines) are classified as ``headline``, ``meta``
(credits, related links, bylines, datelines, time stamps) or ``body``; only body blocks are
split by blingfire. Transcript speaker labels (``MS. PSAKI:``, ``Q``) are cut off the front of a
block and reported with it, so the label never becomes part of a sentence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
# Comments, scripts and styles go whole (code is not article text), up to their closing mark.
_OPENER = re.compile(r"<!--|<(?:script|style)\b[^<>]*>", re.I)
_CLOSER = {"<!--": re.compile(r"-->"), "<script": re.compile(r"</script\s*>", re.I),
           "<style": re.compile(r"</style\s*>", re.I)}
_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Tags that end a line of text: where the markup has no white space, they become a line break.
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|table|blockquote|section|article|header|footer"
                        r"|hr|pre|figure|figcaption|dd|dt|title)\b", re.I)
# Invisible format and control characters (zero-width, bidi marks, BOM, soft hyphen, C0 controls
# but tab and line ends): kept in the offsets, removed from what the splitter and the model see.
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                        "\u2066-\u2069\ufeff\ud800-\udfff]")  # and lone surrogates, which spaCy cannot encode
_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$|[\"”»]$")
_LABEL = re.compile(
    r"(?:(?P<q>Q)(?:[.:])?\s+(?=\S)"
    r"|(?P<name>(?:[A-Z][A-Z.'’\-]*)(?:\s+[A-Z][A-Z.'’\-]*){0,4}):(?:\s+(?=\S)|\s*$))"
)
_CREDIT = re.compile(
    r"(?:^|(?<=[.!?\"”]\s))(?:(?:Photo|Image|Credit)s?:?\s*)?"
    r"[A-Z][\w.'’\-]*(?:\s[A-Z][\w.'’\-]*){0,4}\s?/\s?[A-Z][\w.&'’\- ]{1,40}$"
)
_META_LINE = re.compile(
    r"^(?:Related (?:article|articles|story|stories|coverage|content|reading)s?\b.*"
    r"|(?:Read|See) (?:more|also):.*"
    r"|Original (?:url|URL|article|source)\s*:.*"
    r"|(?:https?://|www\.)\S+"
    r"|By\s+[A-Z][\w.'’\-]*(?:\s+(?:[A-Z][\w.'’\-]*|and|de|van|von|al|bin)){0,6}(?:,.*)?"
    r"|\(?(?:Reporting|Writing|Editing|Additional reporting) by\b.*"
    r"|.{0,80}\bcontributed (?:reporting|to this report)\.?"
    r"|(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+\w+\s+\d{1,2},?\s+\d{4}\.?"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\.?"
    r"|\d{1,2}\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\s+\d{4}\.?"
    r"|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}:\d{2}\s*[AaPp]\.?\s?[Mm]\.?(?:\s+[A-Z]{2,4})?"
    r"|END|###|-30-|\*\*\*"
    r"|(?:Updated|Published|Posted)\b.{0,60}\d.*"
    r"|(?:Photo|Image|Credit|Source)s?:.*"
    r")\s*$"
)
# At the start of a line, a speaker label as the Kremlin prints it: up to six capitalised words
# ("Vladimir Putin:", "President of Russia Vladimir Putin:", "Question (retranslated):").
_LABEL_WORDS = r"[A-Z][\w.'’\-]*(?:(?:[ \t]|(?<![.!?])\n)(?:[A-Z][\w.'’\-]*|of|de|der|van|von|al|bin|the)){0,5}"
_NAME_LABEL = re.compile(rf"(?P<name>{_LABEL_WORDS})(?P<aside> \([a-z]+\))?:(?:\s+(?=\S)|\s*$)")
_LINE_LABELS = re.compile(rf"(?m)^{_LABEL_WORDS}(?: \([a-z]+\))?:")
# The same label after a sentence or a run of spaces, in the middle of a line: one of the head of
# state's forms only ("President of Russia Vladimir Putin:"), which never starts a sentence.
_MID_LABEL = re.compile(r"(?:(?<=[.!?])\s+|\s{2,})(?P<name>(?:President|Prime Minister|Federal Chancellor|Chancellor)"
                        r" of [A-Z][\w ]{2,40}?\s[A-Z][\w'’\-]+\s[A-Z][\w'’\-]+)(?P<aside> \([a-z]+\))?:\s+(?=\S)")
# A label broken over two lines: a line ending in capitalised words, the next starting "Putin:".
_LABEL_HEAD = re.compile(r"(?:^|[.!?]\s|\s\s)(?:President|Prime Minister|Chancellor|Federal Chancellor)\b"
                         r"[\w\s.'’-]{0,60}$")
_LABEL_TAIL = re.compile(r"^[A-Z][\w'’\-]*(?:\s[A-Z][\w'’\-]*){0,2}(?:\s\([a-z]+\))?:\s")
_NOT_LABELS = frozenset({"related", "read", "see", "photo", "photos", "image", "source", "sources", "credit",
                         "note", "update", "updated", "published", "posted", "original", "watch", "listen",
                         "tags", "topics", "share", "editor", "by", "subject", "re", "date", "location", "when"})
_ONE_WORD_LABELS = frozenset({"question", "answer", "reply", "remark", "moderator", "interpreter", "participant"})
_MAX_HEADLINE_WORDS = 25
# A one-word fragment that closes a quotation and goes on to its attribution ("Period," he said).
# The one-word end of a quotation blingfire split off ('Period,” a diplomat said'); the closing
# mark must end the word, so an apostrophe inside one ("She’s safe.") does not count.
# A named speaker and a reporting verb right after a closed quotation: the quotation's attribution.
_NAMED_ATTRIBUTION = re.compile(
    r"^(?:[A-Z][\w’'.-]*\s+){1,3}(?:said|says|told|added|asked|wrote|tweeted|insisted|warned|stated|explained)\b")
_QUOTE_TAIL = re.compile(r"^(?![\"“‘'«„])\S+[,!?.]?[\"”’](?:\s*,)?\s+\S")


@dataclass(frozen=True)
class Span:
    """A sentence found in the text: offsets into the original, its clean text and kind."""

    start: int
    end: int
    clean: str
    kind: str
    label: str | None = None
    par: bool = False  # the first sentence of a paragraph (a block)


_MARKUP = re.compile(f"{_OPENER.pattern}|{_TAG.pattern}|{_ENTITY.pattern}|{_INVISIBLE.pattern}", re.I)


def _markup(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of each piece of markup, in order, in linear time.

    An opener (``<!--``, ``<script>``) spans to its closer; each closer is searched at most once
    after a failed search, so a text full of unclosed ``<!--`` stays linear. An unclosed comment
    is left as text; an unclosed script or style tag goes alone, like any tag.
    """
    unclosed: set[str] = set()
    pos = 0
    while (match := _MARKUP.search(text, pos)) is not None:
        start, end = match.span()
        opener = next((key for key in _CLOSER if match.group(0).lower().startswith(key)), None)
        if opener is not None:
            close = None if opener in unclosed else _CLOSER[opener].search(text, end)
            if close is not None:
                end = close.end()
            else:
                unclosed.add(opener)
                if opener == "<!--":
                    pos = start + 1
                    continue
        yield start, end
        pos = end


def strip_markup(text: str) -> tuple[str, list[int]]:
    """Remove HTML tags and invisible characters, decode entities.

    Returns:
        The clean text and a map with ``len(clean) + 1`` entries: ``index[i]`` is the offset in
        ``text`` of clean character ``i`` (the last entry is ``len(text)``).
    """
    if "<" not in text and "&" not in text and not _INVISIBLE.search(text):
        return text, list(range(len(text) + 1))
    clean: list[str] = []
    index: list[int] = []
    pos = 0
    for start, end in _markup(text):
        for i in range(pos, start):
            clean.append(text[i])
            index.append(i)
        token = text[start:end]
        if token.startswith("&"):
            for ch in _INVISIBLE.sub("", html.unescape(token)):
                clean.append(ch)
                index.append(start)
        elif _BLOCK_TAG.match(token) and clean and not clean[-1].isspace() and not text[end:end + 1].isspace():
            clean.append("\n")  # "</p><p>" between two sentences
            index.append(start)
        pos = end
    for i in range(pos, len(text)):
        clean.append(text[i])
        index.append(i)
    index.append(len(text))
    return "".join(clean), index


def _blocks(clean: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of blocks: lines, with soft-wrapped lines joined back."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n\r]+", clean)]
    i = 0
    while i < len(lines):
        start, end = lines[i]
        while i + 1 < len(lines):
            nxt_start, nxt_end = lines[i + 1]
            gap = clean[end:nxt_start]
            this = clean[lines[i][0]:end].rstrip()  # the block's last line: same test, linear time
            following = clean[nxt_start:nxt_end].lstrip()
            soft = gap.count("\n") + gap.count("\r") - gap.count("\r\n") <= 1
            label_split = _LABEL_HEAD.search(this) and _LABEL_TAIL.match(following)  # "...Vladimir\nPutin: ..."
            if not (soft and this and following and not _TERMINAL.search(this)
                    and (following[0].islower() or label_split)):
                break
            end = nxt_end
            i += 1
        yield start, end
        i += 1


def _trim(clean: str, start: int, end: int) -> tuple[int, int]:
    while start < end and clean[start].isspace():
        start += 1
    while end > start and clean[end - 1].isspace():
        end -= 1
    return start, end


def _split_body(clean: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split one body block with blingfire, then repair its known misses."""
    import blingfire

    piece = clean[start:end]
    try:
        _, offsets = blingfire.text_to_sentences_and_offsets(piece)
    except Exception:  # blingfire rejects some inputs (e.g. lone surrogates): keep the block whole
        offsets = [(0, len(piece))]
    spans = [(start + a, start + b) for a, b in offsets if b > a]
    if not spans or any(b > len(piece) for _, b in offsets):
        spans = [(start, end)]
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and _continues(clean, merged[-1], (s, e)):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _continues(clean: str, prev: tuple[int, int], cur: tuple[int, int]) -> bool:
    """True when blingfire split inside a sentence (e.g. ``"Ready!" he said.``)."""
    text = clean[cur[0]:cur[1]].lstrip()
    before = clean[prev[0]:prev[1]].rstrip()
    if not text or not before:
        return True
    first = text[0]
    if first.islower() or first in ",;:)]—–-":
        return True
    if not _TERMINAL.search(before):  # blingfire split with no stop: keep together
        return True
    if _QUOTE_TAIL.match(text):  # '"... capitulation. Period," a diplomat said.'
        return True
    attribution = _NAMED_ATTRIBUTION.match(text)
    if attribution and _closes_whole_quotation(before) and len(text[attribution.end():].split()) <= 6 \
            and not any(q in text for q in "\"“"):
        return True  # '"... a trial." Pelosi said.', not 'Varela said the government could ...' (new sentence)
    if not any(ch.isalnum() for ch in text):  # a stray closing mark or an elision ('"', '[...]')
        return True
    return bool(re.search(r"\b(?:[A-Z]|No|Nos|Art|St|Gen|Gov|Sen|Rep|Lt|Col|Sgt|Capt)\.$", before))


def _closes_whole_quotation(sentence: str) -> bool:
    """The sentence ends a quotation that it is (or that began before it), not one opened mid-sentence."""
    if sentence[-1:] not in "\"”":
        return False
    body = sentence[:-1]
    opening = body.rfind("“") if sentence[-1] == "”" else (body.rfind('"') if body.count('"') % 2 else -1)
    return opening <= 0


def _is_name_label(name: str) -> bool:
    """A title-case line start that is a speaker label, not a heading such as ``Related coverage:``."""
    words = name.split()
    if words[0].lower().rstrip(".") in _NOT_LABELS or words[-1] in {"of", "the"}:
        return False
    if any(w.endswith(".") and len(w) > 4 for w in words[:-1]):  # "Trafalgar Square. Image:": a sentence
        return False
    return len(words) >= 2 or words[0].lower() in _ONE_WORD_LABELS


def _kind(block: str, n_words: int) -> str:
    if _META_LINE.match(block):
        return "meta"
    if not _TERMINAL.search(block) and n_words <= _MAX_HEADLINE_WORDS and not block.endswith(":"):
        return "headline"  # a line ending in a colon introduces what follows ("Mills said:")
    return "body"


def segment(text: str) -> list[Span]:
    """Split ``text`` into sentences with offsets into ``text`` as given.

    Never raises on any string; every span satisfies ``0 <= start < end <= len(text)`` and
    spans are increasing and disjoint.
    """
    clean, index = strip_markup(text)
    spans: list[Span] = []
    carried: str | None = None  # a label standing alone on its line, for the next block
    # Title-case labels only in a transcript: a news headline "Karl Rove: Clinton ..." is no turn.
    found = _LINE_LABELS.findall(clean)
    transcript = len(found) >= 2 or any(" of " in " ".join(f.split()) for f in found)
    for b_start, b_end in _blocks(clean):
        b_start, b_end = _trim(clean, b_start, b_end)
        if b_start >= b_end:
            continue
        label, carried = carried, None
        match = _LABEL.match(clean, b_start, b_end)
        named = _NAME_LABEL.match(clean, b_start, b_end) if match is None else None
        if match and (match.group("q") or len(match.group("name")) >= 2):
            label = "Q" if match.group("q") else match.group("name")
            b_start = match.end()
        elif named and transcript and _is_name_label(named.group("name")):
            label = " ".join(named.group("name").split())
            if named.group("aside"):  # "Question (retranslated):" stays in the text, a meta unit
                cut = named.end("aside") + 1
                spans.append(Span(index[b_start], index[cut - 1] + 1, " ".join(clean[b_start:cut].split()), "meta"))
            b_start = named.end()
        elif (mid := _MID_LABEL.search(clean, b_start, b_end)) and _is_name_label(mid.group("name")):
            label = " ".join(mid.group("name").split())  # "At a meeting ... President of Russia Vladimir Putin:"
            cut = mid.end("aside") if mid.group("aside") else mid.end("name")
            spans.append(Span(index[b_start], index[cut] + 1, " ".join(clean[b_start:cut + 1].split()), "meta"))
            b_start = mid.end()
        if label is not None and b_start >= b_end:  # "Vladimir Putin:" on its own line: the next line's
            carried = label
            continue
        block = clean[b_start:b_end]
        kind = _kind(block, len(block.split()))
        credit = _CREDIT.search(block) if label is None else None
        if credit and credit.start() > 0:
            kind = "meta"  # a photo caption ending in its credit line
            cut = b_start + credit.start()
            pieces = [*_split_body(clean, b_start, cut), (cut, b_end)]
        elif kind != "body" and label is None:
            pieces = [(b_start, b_end)]
        else:
            kind = "body"
            pieces = _split_body(clean, b_start, b_end)
        first = True
        for s, e in pieces:
            s, e = _trim(clean, s, e)
            if s >= e:
                continue
            o_start, o_end = index[s], index[e - 1] + 1
            sentence = " ".join(clean[s:e].split())
            spans.append(Span(o_start, o_end, sentence, kind, label, first))
            label = None if kind != "body" else label
            first = False
    return _disjoint(spans)


def _disjoint(spans: list[Span]) -> list[Span]:
    """Guard the offset contract: drop empty spans and clip any overlap."""
    out: list[Span] = []
    last = 0
    for span in spans:
        start = max(span.start, last)
        if span.end > start:
            out.append(Span(start, span.end, span.clean, span.kind, span.label, span.par))
            last = span.end
    return out


def clean_text(text: str) -> str:
    """The text with markup removed and white space collapsed: what a model sees."""
    return " ".join(strip_markup(text)[0].split())
