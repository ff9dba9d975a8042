"""Quote and speaker attribution, with pronoun, surname and title resolution.

Who speaks in a sentence is found, in order, from:

1. a transcript speaker label (``MS. PSAKI:``, ``THE PRESIDENT:``, ``Q`` -> ``a reporter``),
   which holds for the following paragraphs until the next label;
2. the dependency parse: a reporting verb (say, tell, warn, reject, welcome, ...) in the main
   clause and its subject, or ``according to X``, or ``X was quoted as saying``;
3. a quotation with no attribution of its own: the speaker of the quotation it continues, or
   of the next sentence when that one attributes it (``"..." \u2014 next: he said.``);
4. otherwise ``AUTHOR``.

Names resolve through a per-document mention table built from spaCy's entities: surnames and
pronouns to the fullest name first given, titles ("the secretary of state") to the person first
named with them. Side clauses (relative clauses) never name the speaker.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stance.text.nlp import lemma, lemma_table, load_nlp, parse
from stance.text.segment import Span
from stance.types import AUTHOR

__all__ = ["SPEAKER_NOUNS", "SPEECH_VERBS", "MentionTable", "attribute", "load_nlp", "parse"]

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

SPEECH_VERBS = frozenset({
    "accuse", "acknowledge", "add", "admit", "agree", "announce", "argue", "assert", "assure",
    "believe", "blast", "boast", "brush", "call", "caution", "claim", "complain", "concede", "condemn",
    "confirm", "contend", "counter", "criticise", "criticize", "declare", "decline", "demand", "deny",
    "describe", "dismiss", "doubt", "downplay", "emphasise", "emphasize", "expect", "explain",
    "express", "fear", "hail", "hope", "indicate", "insist", "lament", "maintain", "mention", "note",
    "observe", "offer", "play", "pledge", "post", "praise", "predict", "promise", "propose", "question",
    "quote", "reassure", "rebuff", "recall", "refuse", "reiterate", "reject", "remark", "reply",
    "respond", "rule", "say", "signal", "slam", "state", "stress", "suggest", "tell", "testify",
    "think", "threaten", "told", "tweet", "urge", "voice", "vow", "warn", "welcome", "write",
})
# Common nouns that name people or bodies, which may be the subject of a reporting verb.
SPEAKER_NOUNS = frozenset({
    "administration", "adviser", "advisor", "agency", "aide", "alliance", "ambassador", "analyst", "association",
    "attorney", "authority", "bank", "board", "bondholder", "cabinet", "candidate", "captain", "chair", "chairman",
    "chairwoman", "chancellor", "chief", "club", "coach", "coalition", "commander", "commission", "commissioner",
    "committee", "company", "congress", "council", "court", "creditor", "critic", "delegate", "delegation",
    "department", "deputy", "diplomat", "director", "economist", "embassy", "employer", "envoy", "executive", "expert",
    "family", "federation", "firm", "founder", "general", "government", "governor", "group", "head", "insider",
    "investor", "judge", "lawmaker", "lawyer", "leader", "leadership", "league", "legislator", "management",
    "manager", "mayor", "mediator", "member", "military", "minister", "ministry", "mother", "negotiator", "observer",
    "office", "official", "officer", "opposition", "organiser", "organizer", "owner", "palace", "parliament",
    "participant", "partner", "party", "people", "player", "police", "politician", "premier", "president",
    "presidency", "prosecutor", "protester", "regime", "relative", "representative", "republican", "democrat",
    "resident", "secretary", "senate", "senator", "side", "source", "speaker", "spokesman", "spokesperson",
    "spokeswoman", "staff", "state", "student", "supporter", "team", "treasury", "union", "veteran", "victim",
    "voter", "worker", "witness", "woman", "man", "person", "father", "rebel", "militia", "army", "navy", "kremlin",
    "house", "bloc", "nation", "country", "host", "organisation", "organization", "institute", "campaigner",
})
_LEMMAS = lemma_table(SPEECH_VERBS | SPEAKER_NOUNS)
REPORTER_LABEL = "a reporter"
_PRONOUNS_PERSON = {"he", "she", "him", "her", "i", "me"}
_PRONOUNS_GROUP = {"they", "we", "it", "them", "us"}
_TITLE_WORDS = re.compile(
    r"^(?:(?:former|then|acting|deputy|vice|chief|senior|interim|U\.S\.|US|[A-Z][a-z]+(?:an|ish|ese|i|ic))\s+)*"
    r"(?:President|Prime Minister|Minister|Secretary|Chancellor|King|Queen|Prince|Sheikh|Emir|"
    r"Senator|Sen\.|Rep\.|Representative|Governor|Gov\.|Mayor|General|Gen\.|Admiral|Adm\.|"
    r"Colonel|Col\.|Ambassador|Envoy|Spokesman|Spokeswoman|Spokesperson|Speaker|Leader|Judge|"
    r"Justice|Commissioner|Director|Chairman|Chairwoman|Chair|Mr\.|Mrs\.|Ms\.|Dr\.|Sir|Dame|"
    r"Pope|Premier|Foreign Minister|Defense Minister|Defence Minister)\b[\s,]*"
)
_OPEN_QUOTES = "\"“«„"
_QUOTE_CHARS = "\"“”«»„"


# Seats of power that stand for a country's leader in news copy ("the Kremlin leader").
_SEATS = {"kremlin": "russian", "white house": "u.s.", "élysée": "french", "elysee": "french",
          "downing street": "british", "beijing": "chinese", "moscow": "russian", "kyiv": "ukrainian",
          "kiev": "ukrainian", "tehran": "iranian", "ankara": "turkish", "israeli government": "israeli"}
_NATIONS = {"us": "u.s.", "american": "u.s.", "united states": "u.s.", "russia": "russian", "ukraine": "ukrainian",
            "china": "chinese", "france": "french", "britain": "british", "uk": "british", "u.k.": "british",
            "israel": "israeli", "iran": "iranian", "turkey": "turkish", "germany": "german"}


def _nation(word: str) -> str:
    """One spelling per country: ``US``, ``U.S.``, ``American`` -> ``u.s.``."""
    return _NATIONS.get(word.lower(), word.lower())


_HEADS_OF_GOVERNMENT = ("president", "prime minister", "chancellor", "supreme leader", "king", "emir")


@dataclass
class MentionTable:
    """Names first given in a document, to resolve surnames, pronouns and titles."""

    full_names: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)
    bodies: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)  # bodies seen as subjects of main clauses

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
        name = _clean_name(name)
        full = self.lookup(name) or name
        if full == name and name not in self.full_names:
            self.full_names.append(name)
        if title:
            self.titles.setdefault(title.lower(), full)
        return full

    def lookup(self, name: str) -> str | None:
        """The fullest recorded name that ends with or equals ``name``'s last word(s)."""
        parts = name.split()
        if not parts:
            return None
        best = None
        for full in self.full_names:
            fparts = full.split()
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
            country = _nation(_SEATS.get(seat.group(1), seat.group(1)))
            for office in _HEADS_OF_GOVERNMENT:
                if f"{country} {office}" in self.titles:
                    return self.titles[f"{country} {office}"]
        return None


def _clean_name(name: str) -> str:
    name = re.sub(r"(?:'s|’s|')$", "", name.strip())
    while True:
        stripped = _TITLE_WORDS.sub("", name, count=1)
        if stripped == name or not stripped:
            break
        name = stripped
    return " ".join(name.split())


@dataclass
class _State:
    """What attribution remembers while reading a document in order."""

    table: MentionTable
    last_person: str | None = None
    author: str | None = None
    recent: list[str] = field(default_factory=list)  # persons, most recent last
    gender: dict[str, str] = field(default_factory=dict)  # person -> "m" / "f", as the text shows it
    last_group: str | None = None
    turn: str | None = None
    prev_speaker: str = AUTHOR
    prev_open_quote: bool = False


# Role labels in official transcripts ("THE PRESIDENT:") name an office, not a person; the
# document names the office holder only by surname ("Remarks by President Biden"). These are
# the office holders' full names, by surname, for the transcripts analysts score most.
OFFICE_HOLDERS = {
    "biden": "Joe Biden", "trump": "Donald Trump", "obama": "Barack Obama", "harris": "Kamala Harris",
    "pence": "Mike Pence", "vance": "JD Vance", "bush": "George W. Bush",
}
_ROLE_IN_TEXT = re.compile(r"\b(President|Vice President)\s+((?:[A-Z][\w.'’-]+\s+){0,3}?[A-Z][\w'’-]+)")
_STATEMENT_TITLE = re.compile(
    r"^(?:Statement|Remarks|Message|Letter|Proclamation|Op-Ed)s?\b.{0,60}?\b(?:from|by|of)\s+(?:the\s+)?"
    r"(?:(?:Press|White House|Deputy|NSC|National Security|Principal|Assistant|Senior)\s+)*"
    r"(?:President|Vice President|Press Secretary|Secretary|Advisor|Adviser|Spokesperson|Director|First Lady)?\s*"
    r"((?:[A-Z][\w.'’-]+\s?){1,4})"
)


def office_holder(role: str, text: str, table: MentionTable) -> str | None:
    """Who holds ``role`` ("president") in this document: "President Biden" -> Joe Biden."""
    for match in _ROLE_IN_TEXT.finditer(text):
        if match.group(1).lower() != role:
            continue
        name = match.group(2).split()
        full = OFFICE_HOLDERS.get(name[-1].lower())
        return full or table.lookup(" ".join(name)) or " ".join(name)
    return None


def document_author(headline: str, text: str, table: MentionTable) -> str | None:
    """The signer of a statement or the speaker of remarks, from the document's title."""
    match = _STATEMENT_TITLE.match(headline)
    if not match:
        return None
    words = [w for w in match.group(1).split() if w.lower() not in {"on", "at", "in", "to", "and"}]
    stop = next((i for i, w in enumerate(words) if not w[:1].isupper()), len(words))
    words = words[:stop]
    if not words:
        return None
    if "President" in headline.split(words[0])[0][-20:]:
        full = OFFICE_HOLDERS.get(words[-1].lower())
        if full:
            return full
    name = " ".join(words)
    return table.lookup(name) or name


def _label_speaker(label: str, table: MentionTable, text: str = "") -> str:
    if label == "Q":
        return REPORTER_LABEL
    words = label.split()
    if words and words[0].upper() in {"THE", "A", "AN"}:
        role = " ".join(words[1:]).lower()
        return (office_holder(role, text, table) or table.title(role)
                or " ".join(w.capitalize() for w in words[1:]))
    name = " ".join(w.capitalize() for w in words if w.upper() not in {"MR.", "MS.", "MRS.", "DR."})
    name = re.sub(r"-(\w)", lambda m: "-" + m.group(1).upper(), name)
    return table.lookup(name) or name


def _collect_mentions(doc: Doc, table: MentionTable) -> None:
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
        nation = [t for t in doc[start:ent.start] if t.ent_type_ in {"GPE", "NORP"}]
        if title and nation:  # "Russian President Vladimir Putin": also "russian president"
            table.titles.setdefault(f"{_nation(nation[-1].lower_)} {title}", table.add_person(ent.text))
        if title is None:
            appos = [c for c in ent.root.children if c.dep_ == "appos"]
            if appos:
                title = " ".join(t.lower_ for t in appos[0].subtree if t.dep_ not in {"det", "punct"})
        table.add_person(ent.text, title)
    for ent in doc.ents:
        if ent.label_ == "ORG" and len(ent) > 1 and ent.text not in table.bodies:
            table.bodies.append(ent.text)


def _depth(tok: Token) -> int:
    depth = 0
    while tok.head.i != tok.i and depth < 50:
        tok = tok.head
        depth += 1
    return depth


def _in_side_clause(tok: Token) -> bool:
    cur = tok
    while cur.head.i != cur.i:
        if cur.dep_ in {"relcl", "acl", "pcomp", "pobj", "appos", "csubj"}:
            return True
        cur = cur.head
    return False


def _subject(verb: Token) -> Token | None:
    for dep in ("nsubj", "nsubjpass"):
        for child in verb.children:
            if child.dep_ == dep:
                return child
    # "..., saying that ..." / "agreed to ..." take the subject of the verb they hang on.
    if verb.dep_ in {"advcl", "xcomp", "conj", "ccomp"} and verb.head.i != verb.i:
        return _subject(verb.head)
    return None


def _according_to(sent: SpacySpan) -> Token | None:
    for tok in sent:
        if tok.lower_ == "according" and tok.i + 1 < len(tok.doc) and tok.doc[tok.i + 1].lower_ == "to":
            for child in tok.doc[tok.i + 1].children:
                if child.dep_ == "pobj":
                    return child
    return None


def _phrase(head: Token) -> tuple[str, str | None]:
    """The noun phrase a subject head stands for, and the PERSON entity in it, if any."""
    doc = head.doc
    for ent in doc.ents:
        if ent.label_ == "PERSON" and ent.start <= head.i < ent.end:
            return ent.text, ent.text
    for tok in head.subtree:  # "The representative, Alan Kabisov, said" -> the named person
        if tok.dep_ == "appos":
            for ent in doc.ents:
                if ent.label_ == "PERSON" and ent.start <= tok.i < ent.end:
                    return ent.text, ent.text
            name = _propn_name(tok) if tok.pos_ == "PROPN" else None
            if name:
                return name, name
    excluded: set[int] = set()
    for tok in head.subtree:
        if tok.i == head.i:
            continue
        side = tok.dep_ in _NOT_IN_PHRASE and (tok.head.i == head.i or tok.dep_ == "relcl")
        after_comma = tok.dep_ == "acl" and tok.left_edge.i > 0 and doc[tok.left_edge.i - 1].text == ","
        if side or after_comma:
            excluded.update(t.i for t in tok.subtree)
    kept = [t.i for t in head.subtree if t.i not in excluded] or [head.i]
    start, end = min(kept), max(kept) + 1
    text = doc[start:end].text.strip(" ,")
    for ent in doc.ents:
        if ent.label_ == "PERSON" and start <= ent.start and ent.end <= end:
            return text, ent.text
    return text, None


_NOT_IN_PHRASE = frozenset({"relcl", "appos", "punct", "cc", "conj", "advcl"})


def _propn_name(head: Token) -> str | None:
    """Two or more proper nouns in a row ending at ``head``, when spaCy's NER missed them."""
    tokens = [t for t in head.lefts if t.dep_ in {"compound", "flat"} and t.pos_ == "PROPN"] + [head]
    if len(tokens) < 2 or tokens[-1].i - tokens[0].i != len(tokens) - 1:
        return None
    return " ".join(t.text for t in tokens)


def _root_subject_person(doc: Doc) -> str | None:
    """The PERSON named as subject of a sentence's main verb, if any."""
    for tok in doc:
        if tok.dep_ in {"nsubj", "nsubjpass"} and tok.head.dep_ == "ROOT":
            for ent in doc.ents:
                if ent.label_ == "PERSON" and ent.start <= tok.i < ent.end:
                    return str(ent.text)
    return None


def _named_subject(pronoun: Token) -> str | None:
    """The person named as subject of the sentence's main clause, before the pronoun."""
    root = pronoun.sent.root
    for child in root.children:
        if child.dep_ in {"nsubj", "nsubjpass"} and child.i < pronoun.i:
            for ent in pronoun.doc.ents:
                if ent.label_ == "PERSON" and ent.start <= child.i < ent.end:
                    return str(ent.text)
    return None


def _resolve(head: Token, state: _State) -> str:
    low = head.lower_
    if low in _PRONOUNS_PERSON:
        if low in {"i", "me"} and (state.turn or state.author):
            return state.turn or state.author or AUTHOR
        named = _named_subject(head)
        if named:
            return state.table.add_person(named)
        wanted = _PRONOUN_GENDER.get(low)
        for candidate in reversed(state.recent):  # the latest person the pronoun can refer to
            if wanted is None or state.gender.get(candidate, wanted) == wanted:
                return candidate
        return state.last_person or state.prev_speaker
    if low in _PRONOUNS_GROUP:
        if low in {"we", "us"} and (state.turn or state.author):
            return state.turn or state.author or AUTHOR
        if low == "it":  # "It said ...": the body heard from last, else the last body named
            bodies = state.table.subjects or state.table.bodies
            return state.last_group or (bodies[-1] if bodies else AUTHOR)
        return state.last_group or state.prev_speaker
    text, person = _phrase(head)
    if person is None and head.pos_ == "PROPN" and head.ent_type_ in {"", "PERSON"}:
        person = _propn_name(head)  # a name the NER missed ("Marc-André Tremblay")
    if person:
        return state.table.add_person(person)
    if head.pos_ == "PROPN" and len(text.split()) <= 3:
        found = state.table.lookup(_clean_name(text))
        if found:
            return found
    if text[:1].islower() or text.lower().startswith(("the ", "a ", "an ")):
        by_title = state.table.title(text)
        if by_title and not text.lower().startswith(("a ", "an ")):
            return by_title
    body = state.table.body(text)
    if body:
        return body
    first = head.doc[head.left_edge.i]
    common = not first.ent_type_ and first.pos_ in {"DET", "NOUN", "ADJ", "NUM", "PRON"}
    if text.startswith("The ") and len(text.split()) > 1:
        return "the " + text[4:]  # "The World Shipowners' Council" -> "the World Shipowners' Council"
    if first.is_sent_start and common and text[:1].isupper():
        text = text[:1].lower() + text[1:]  # "Officials familiar with ..." at a sentence start
    return _clean_name(text) if text[:1].isupper() else text


def _attribution(sent: SpacySpan, state: _State) -> str | None:
    acc = _according_to(sent)
    verbs = [t for t in sent if t.pos_ in {"VERB", "AUX"} and lemma(t, _LEMMAS) in SPEECH_VERBS]
    inside = _quoted_chars(sent.text)
    verbs = [v for v in verbs if not _in_side_clause(v) and (v.idx - sent.start_char) not in inside]
    verbs.sort(key=_depth)
    for verb in verbs:
        subj = _subject(verb)
        if subj is not None and _can_speak(subj):
            return _resolve(subj, state)
    if acc is not None and _can_speak(acc):
        return _resolve(acc, state)
    return None


def _can_speak(head: Token) -> bool:
    """Named entities, personal pronouns and nouns for people or bodies can speak; "the talks" cannot."""
    if head.lower_ in {"who", "which", "that", "this", "these", "those", "what", "all", "some", "many", "both",
                       "each", "few", "most", "none", "any", "one", "others", "another"}:
        return False
    if head.pos_ in {"PROPN", "PRON"} or head.ent_type_ in {"PERSON", "ORG", "NORP", "GPE"}:
        return True
    if head.text[:1].isupper() and not head.is_sent_start:  # a name tagged as a common noun
        return True
    return lemma(head, _LEMMAS) in SPEAKER_NOUNS


def _quoted_chars(text: str) -> set[int]:
    """Character positions that lie inside quotation marks."""
    inside: set[int] = set()
    for match in re.finditer(r'"[^"]*"|“[^”]*”|«[^»]*»', text):
        inside.update(range(match.start(), match.end()))
    if not inside and text[:1] in _OPEN_QUOTES:  # an open quotation running to the end
        close = max(text.rfind("”"), text.rfind('"'))
        inside.update(range(0, close if close > 0 else len(text)))
    return inside


def _quote_status(text: str) -> tuple[bool, bool, bool]:
    """(starts inside a quotation, has a quotation mark, leaves a quotation open)."""
    starts = text[:1] in _OPEN_QUOTES
    has = any(c in _QUOTE_CHARS for c in text)
    n_straight = text.count('"')
    opened = text.count("“") - text.count("”") > 0 or n_straight % 2 == 1
    return starts, has, opened


def attribute(spans: Sequence[Span], docs: Sequence[Doc]) -> list[tuple[str, bool]]:
    """Return ``(speaker, quoted)`` for every span of one document, in order.

    Args:
        spans: The document's sentences from :func:`stance.text.segment.segment`.
        docs: The spaCy parse of each span's clean text (same order).
    """
    table = MentionTable()
    for doc in docs:
        _collect_mentions(doc, table)
    state = _State(table=table)
    transcript = any(s.label for s in spans)
    full_text = " ".join(s.clean for s in spans)
    headline = next((s.clean for s in spans if s.kind == "headline"), "")
    author = document_author(headline, full_text, table)
    state.author = author
    out: list[tuple[str, bool]] = []
    pending: list[int] = []  # quotations waiting for the next sentence's attribution
    for i, (span, doc) in enumerate(zip(spans, docs, strict=True)):
        starts, has_quote, opened = _quote_status(span.clean)
        if span.kind != "body":
            out.append((AUTHOR, False))
            state.prev_open_quote = False
            continue
        if span.label:
            state.turn = _label_speaker(span.label, table, full_text)
        speaker = None
        if transcript and state.turn:
            speaker = state.turn
        else:
            sent = doc[:]
            speaker = _attribution(sent, state)
            if speaker is None and (starts or state.prev_open_quote):
                if state.prev_open_quote or (out and out[-1][1]):
                    speaker = state.prev_speaker
                else:
                    pending.append(i)
        if speaker is None and author and not transcript:
            speaker = author  # a statement's unattributed sentences are its signer's
        if speaker is None:
            speaker = AUTHOR
            if i not in pending:  # narration breaks a chain of unattributed quotations
                pending.clear()
        elif pending:
            for j in pending:
                if j < i:  # the current sentence, when pending itself, is appended below
                    out[j] = (speaker, True)
            pending.clear()
        if speaker != AUTHOR:
            _remember(speaker, table, state)
        _remember_subject_body(doc, table)
        subject = _root_subject_person(doc)
        if subject:
            state.last_person = table.add_person(subject)
            _learn_gender(doc, state.last_person, state)
        for person in (speaker, state.last_person):
            if person in table.full_names:
                if person in state.recent:
                    state.recent.remove(person)
                state.recent.append(person)
        state.prev_open_quote = opened or (state.prev_open_quote and not has_quote)
        state.prev_speaker = speaker
        out.append((speaker, has_quote or starts))
    return out


def _remember_subject_body(doc: Doc, table: MentionTable) -> None:
    """A body that is the subject of a main clause ("The ministry issued ...") may speak next as "it"."""
    for tok in doc:
        if tok.dep_ == "nsubj" and tok.head.dep_ == "ROOT" and tok.pos_ in {"NOUN", "PROPN"} and \
                tok.ent_type_ != "PERSON" and lemma(tok, _LEMMAS) in SPEAKER_NOUNS:
            phrase, person = _phrase(tok)
            if person is None:
                table.subjects.append("the " + phrase[4:] if phrase.startswith("The ") else phrase)


_PRONOUN_GENDER = {"he": "m", "him": "m", "his": "m", "she": "f", "her": "f", "hers": "f"}


def _learn_gender(doc: Doc, subject: str, state: _State) -> None:
    """'Ingrid Hals said she ...': a he/she after the named subject tells the subject's gender."""
    if subject in state.gender:
        return
    for tok in doc:
        gender = _PRONOUN_GENDER.get(tok.lower_)
        if gender and tok.i > 0 and tok.dep_ in {"nsubj", "nsubjpass", "poss"}:
            state.gender[subject] = gender
            return


def _remember(speaker: str, table: MentionTable, state: _State) -> None:
    if speaker in table.full_names:
        state.last_person = speaker
        return
    if speaker not in table.bodies and speaker != REPORTER_LABEL:
        table.bodies.append(speaker)
    state.last_group = speaker
