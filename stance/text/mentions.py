"""The mention table: names, titles and bodies first given in a document, to resolve later mentions.

Surnames and pronouns resolve to the fullest name first given, titles ("the secretary of state") to
the person first named with them, "the ministry" to the fullest body named before it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stance.text.lexicon import HEADS_OF_GOVERNMENT, SEATS, nation

if TYPE_CHECKING:
    from spacy.tokens import Doc

TITLE_WORDS = re.compile(
    r"^(?:(?:former|then|acting|deputy|vice|chief|senior|interim|U\.S\.|US|[A-Z][a-z]+(?:an|ish|ese|i|ic))\s+)*"
    r"(?:Secretary of State|Secretary-General|Secretary General|President|Prime Minister|Minister|Secretary|"
    r"Chancellor|King|Queen|Prince|Sheikh|Emir|"
    r"Senator|Sen|Rep|Representative|Governor|Gov|Mayor|General|Gen|Admiral|Adm|"
    r"Colonel|Col|Ambassador|Envoy|Spokesman|Spokeswoman|Spokesperson|Speaker|Leader|Judge|"
    r"Justice|Commissioner|Director|Chairman|Chairwoman|Chair|Mr|Mrs|Ms|Dr|Sir|Dame|"
    r"Pope|Premier|First Minister|Foreign Minister|Defense Minister|Defence Minister)(?:\.|\b)"
    r"(?:\s+of\s+(?:the\s+)?[A-Z][\w'’-]+(?=\s+[A-Z]))?[\s,]*"  # "President of Ukraine Volodymyr Zelenskyy"
)
_SUFFIX = re.compile(r"\s+(?:QC|KC|MP)$")


@dataclass
class MentionTable:
    """Names first given in a document, to resolve surnames, pronouns and titles."""

    full_names: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # bodies seen as subjects of main clauses
    abbreviations: dict[str, str] = field(default_factory=dict)  # "SDF" -> "the Syrian Democratic Forces"

    def expand(self, phrase: str) -> str | None:
        """``the SDF`` -> ``the Syrian Democratic Forces`` when the document spelt it out before."""
        return self.abbreviations.get(re.sub(r"^the\s+", "", phrase.strip(), flags=re.I).rstrip("’'s"))

    def body(self, phrase: str) -> str | None:
        """Resolve ``the ministry`` to the fullest body or source named before it.

        ``the ministry`` -> ``India's external affairs ministry``; ``the diplomat`` ->
        ``a Western diplomat in Nairobi``.
        """
        words = phrase.lower().split()
        if len(words) != 2 or words[0] != "the":
            return None
        for name in reversed(self.bodies):
            lowered = name.lower()
            if lowered != phrase.lower() and words[1] in re.findall(r"[\w'’-]+", lowered)[:6]:
                return name
        return None

    def add_person(self, name: str, title: str | None = None) -> str:
        """Record a person mention; return the fullest known form of it."""
        name = clean_name(name)
        full = self.lookup(name) or name
        if full == name and name not in self.full_names:
            self.full_names.append(name)
        if title:
            self.titles.setdefault(title.lower(), full)
        return full

    def lookup(self, name: str) -> str | None:
        """The fullest recorded name that ends with or equals ``name``'s last word(s).

        Accents and a generational suffix do not count: ``Erdogan`` finds ``Recep Tayyip Erdoğan``,
        ``Downey`` finds ``Robert Downey Jr.``.
        """
        parts = _folded(name).split()
        if not parts:
            return None
        best = None
        for full in self.full_names:
            fparts = _GENERATION.sub("", _folded(full)).split()
            matches = fparts[-len(parts):] == parts or (len(parts) == 1 and parts[0] in fparts)
            if matches and (best is None or len(full) > len(best)):
                best = full
        return best

    def title(self, phrase: str) -> str | None:
        """Resolve a description such as ``the secretary of state`` to a recorded name.

        Descriptions by seat of power or nationality resolve to the head of that government named
        before: ``the Kremlin leader`` -> the ``Russian president``, ``the Ukrainian leader`` ->
        the ``Ukrainian president`` (or prime minister, or chancellor).
        """
        phrase = re.sub(r"^(?:the|this|that)\s+", "", phrase.lower()).strip()
        if phrase in self.titles:
            return self.titles[phrase]
        for title, name in self.titles.items():
            if title.endswith(" " + phrase):
                return name
        seat = re.fullmatch(r"([\w.' -]+?)\s+(?:leader|chief|head of state|head of government)", phrase)
        if seat:
            country = nation(SEATS.get(seat.group(1), seat.group(1)))
            for office in HEADS_OF_GOVERNMENT:
                if f"{country} {office}" in self.titles:
                    return self.titles[f"{country} {office}"]
        return None


_GENERATION = re.compile(r"\s+(?:Jr\.?|Sr\.?|II|III)$")


@functools.lru_cache(maxsize=4096)
def _folded(name: str) -> str:
    """``Erdoğan`` -> ``Erdogan``: accents removed for comparing names."""
    if name.isascii():
        return name
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))


def clean_name(name: str) -> str:
    """A name without its possessive and leading titles: ``President Joe Biden's`` -> ``Joe Biden``."""
    name = _SUFFIX.sub("", re.sub(r"(?:'s|’s|')$", "", name.strip()))
    while True:
        stripped = TITLE_WORDS.sub("", name, count=1)
        if stripped == name or not stripped:
            break
        name = stripped
    return " ".join(name.split())


def without_initials(name: str) -> str:
    """``Antony J. Blinken`` -> ``Antony Blinken``: a middle initial dropped, as annotators write names."""
    words = name.split()
    if len(words) < 3:
        return name
    kept = [w for i, w in enumerate(words) if i in (0, len(words) - 1) or not re.fullmatch(r"[A-Z]\.", w)]
    return " ".join(kept)


def collect_mentions(doc: Doc, table: MentionTable) -> None:
    """Record PERSON entities, with the title words standing before them or in apposition."""
    for ent in doc.ents:
        if ent.label_ != "PERSON" or not all(t.is_alpha or t.text in ".-'’" for t in ent):
            continue
        start = ent.start
        while start > 0 and start > ent.start - 6:
            prev = doc[start - 1]
            in_phrase = prev.dep_ in {"compound", "amod"} and prev.head.i >= ent.start
            if not (prev.is_title or prev.is_upper or prev.lower_ in {"of", "for"} or in_phrase):
                break
            if prev.ent_type_ == "PERSON" or (prev.is_sent_start and prev.lower_ == "the"):
                break
            start -= 1
        words = [t for t in doc[start:ent.start] if t.ent_type_ not in {"GPE", "NORP"}]
        while words and words[0].lower_ in {"of", "for", "the"}:
            words = words[1:]
        title = " ".join(t.lower_ for t in words) or None
        nations = [t for t in doc[start:ent.start] if t.ent_type_ in {"GPE", "NORP"}]
        if title and nations:  # "Russian President Vladimir Putin": also "russian president"
            table.titles.setdefault(f"{nation(nations[-1].lower_)} {title}", table.add_person(ent.text))
        if title is None:
            appos = [c for c in ent.root.children if c.dep_ == "appos"]
            if appos:
                title = " ".join(t.lower_ for t in appos[0].subtree if t.dep_ not in {"det", "punct"})
        table.add_person(ent.text, title)
    for ent in doc.ents:
        if ent.label_ == "ORG" and len(ent) > 1 and ent.text not in table.bodies:
            table.bodies.append(ent.text)
    for match in _SPELT_OUT.finditer(doc.text):  # "the Syrian Democratic Forces (SDF)"
        name = re.sub(r"^(?:The|A|An)\s+", "", " ".join(match.group(1).split()))
        table.abbreviations.setdefault(match.group(2), "the " + name)


_SPELT_OUT = re.compile(r"((?:[A-Z][\w'’-]*\s+(?:(?:of|and|for|on|the)\s+)*){1,8}[A-Z][\w'’-]*)\s+\(([A-Z]{2,7})\)")


PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}


def learn_gender(doc: Doc, subject: str, gender: dict[str, str]) -> None:
    """'Ingrid Hals said she ...': a he/she after the named subject tells the subject's gender."""
    if subject in gender:
        return
    for tok in doc:
        found = PRONOUN_GENDER.get(tok.lower_)
        if found and tok.i > 0 and tok.dep_ in {"nsubj", "nsubjpass", "poss"}:
            gender[subject] = found
            return
