"""Quote and speaker attribution, with pronoun, surname and title resolution.

Who speaks in a sentence is found, in order, from:

1. a transcript speaker label (:mod:`stance.text.turns`), which holds for the following
   paragraphs until the next label, unless the sentence reports someone else's words;
2. the dependency parse: a reporting verb (say, tell, warn, reject, welcome, ...) in the main
   clause and its subject, or ``according to X``, or ``X was quoted as saying``;
3. a quotation with no attribution of its own: the speaker of the quotation it belongs to
   (:mod:`stance.text.quotes` finds quotations over sentences and paragraphs, and the sentence
   that attributes them, before, inside or after), of the quotation it continues, or of the next
   sentence when that one attributes it (``"..." \u2014 next: he said.``);
4. the signer of a statement (:func:`stance.text.turns.document_author`);
5. otherwise ``AUTHOR``.

Names resolve through a per-document mention table (:mod:`stance.text.mentions`). Side clauses
(relative clauses) never name the speaker. Word lists are data (:mod:`stance.text.lexicon`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stance.text.lexicon import LEMMAS, SPEAKER_NOUNS, SPEECH_VERBS
from stance.text.mentions import PRONOUN_GENDER, MentionTable, clean_name, collect_mentions, learn_gender
from stance.text.nlp import lemma, load_nlp, parse
from stance.text.quotes import open_after, quotation_groups, quote_status, quoted_chars
from stance.text.segment import Span
from stance.text.turns import REPORTER_LABEL, attributed_to, document_author, given_name, label_speaker
from stance.types import AUTHOR

__all__ = ["SPEAKER_NOUNS", "SPEECH_VERBS", "MentionTable", "attribute", "load_nlp", "parse"]

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

_QUOTING_VERBS = frozenset({"continued", "concluded", "went"})  # reporting verbs only beside a quotation
_NOT_SPEAKERS = frozenset({"who", "which", "that", "this", "these", "those", "what", "all", "some", "many", "both",
                           "each", "few", "most", "none", "any", "one", "others", "another"})
_SIGNERS_COUNTRY = frozenset({"united states", "u.s.", "us", "united states of america", "united states government"})
_NEVER_SPEAK = frozenset({"DATE", "TIME", "LOC", "FAC", "MONEY", "PERCENT", "CARDINAL", "ORDINAL", "QUANTITY",
                          "EVENT", "LAW", "WORK_OF_ART", "LANGUAGE"})
_PRONOUNS_PERSON = {"he", "she", "him", "her", "i", "me"}
_PRONOUNS_GROUP = {"they", "we", "it", "them", "us"}


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
    text: str = ""  # the document's clean text, to find a surname's full form


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
    """The subject of a reporting verb: one that can speak first ("study co-author Karen Alley")."""
    subjects = [c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"} and c.text[:1].isalnum()]
    speaking = [c for c in subjects if _can_speak(c)]
    if speaking or subjects:
        return (speaking or subjects)[0]
    prev = verb.doc[verb.i - 1].text if verb.i > 0 else ""
    if prev in {",", "\"", "”", "’", "'", "»"}:  # '..." said a protester': the subject after the verb
        for child in verb.rights:
            named = child.dep_ == "ccomp" and child.ent_type_ == "PERSON"  # the tagger's guess after "»"
            if (child.dep_ in {"dobj", "attr", "npadvmod", "oprd"} or named) and _can_speak(child):
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
        wanted = PRONOUN_GENDER.get(low)
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
    text = re.sub(r"\s*\([^)]*\)?\s*$", "", text) or text  # "... Forces (SDF)": the abbreviation dropped
    expanded = state.table.expand(text)
    if expanded:
        return expanded
    if person is None and head.pos_ == "PROPN" and head.ent_type_ in {"", "PERSON"}:
        person = _propn_name(head)  # a name the NER missed ("Marc-André Tremblay")
    if person:
        full = state.table.add_person(person)
        if " " not in full:  # a surname whose first mention the NER missed: "Nadia Benhamou" in the text
            full = given_name(full, state.text) or full
        return full
    if head.pos_ == "PROPN" and len(text.split()) <= 3:
        found = state.table.lookup(clean_name(text))
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
    return clean_name(text) if text[:1].isupper() else text


def _attribution(sent: SpacySpan, state: _State) -> str | None:
    acc = _according_to(sent)
    inside = quoted_chars(sent.text)
    quoting = SPEECH_VERBS | _QUOTING_VERBS if inside else SPEECH_VERBS  # '"...," Lam continued.'
    verbs = [t for t in sent if t.pos_ in {"VERB", "AUX"} and lemma(t, LEMMAS) in quoting]
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
    if not head.text[:1].isalnum():  # a stray mark the tagger took for a noun ("»")
        return False
    if head.ent_type_ in _NEVER_SPEAK:  # dates, places that are not governments, events, laws
        return False
    if head.lower_ in _NOT_SPEAKERS and not head.text.isupper():  # "who", not "WHO"
        return False
    if head.pos_ in {"PROPN", "PRON"} or head.ent_type_ in {"PERSON", "ORG", "NORP", "GPE"}:
        return True
    if head.text[:1].isupper() and not head.is_sent_start:  # a name tagged as a common noun
        return True
    return lemma(head, LEMMAS) in SPEAKER_NOUNS


def _leading_lines(spans: Sequence[Span]) -> list[str]:
    """The lines before the first body sentence: title, byline, place."""
    out = []
    for span in spans:
        if span.kind == "body":
            break
        out.append(span.clean)
    return out


def attribute(spans: Sequence[Span], docs: Sequence[Doc]) -> list[tuple[str, bool]]:
    """Return ``(speaker, quoted)`` for every span of one document, in order.

    Args:
        spans: The document's sentences from :func:`stance.text.segment.segment`.
        docs: The spaCy parse of each span's clean text (same order).
    """
    table = MentionTable()
    for doc in docs:
        collect_mentions(doc, table)
    state = _State(table=table)
    full_text = " ".join(s.clean for s in spans)
    heads = _leading_lines(spans)
    state.author = document_author(heads, full_text, table)
    state.text = full_text
    out: list[tuple[str, bool]] = []
    own: list[bool] = []  # the sentence names its speaker (attribution or a transcript turn)
    pending: list[int] = []  # quotations waiting for the next sentence's attribution
    body = [i for i, s in enumerate(spans) if s.kind == "body"]
    still_open = dict(zip(body, open_after([spans[i].clean for i in body], [spans[i].par for i in body]),
                          strict=True))
    for i, (span, doc) in enumerate(zip(spans, docs, strict=True)):
        if span.kind != "body":
            out.append((AUTHOR, False))
            own.append(False)
            state.prev_open_quote = False
            continue
        if span.label:
            state.turn = label_speaker(span.label, table, full_text, heads[0] if heads else "")
        signer = attributed_to(span.clean, table)
        if signer:  # "The below is attributable to Spokesperson Ned Price:": what follows is theirs
            state.author = signer
            out.append((AUTHOR, False))
            own.append(False)
            continue
        speaker, mine = _sentence_speaker(i, span, doc, state, out, pending)
        _update(speaker, doc, state)
        starts, has_quote, _ = quote_status(span.clean)
        state.prev_open_quote = still_open[i]
        state.prev_speaker = speaker
        out.append((speaker, has_quote or starts))
        own.append(mine)
    _spread_quotations(spans, out, own)
    return out


def _sentence_speaker(i: int, span: Span, doc: Doc, state: _State, out: list[tuple[str, bool]],
                      pending: list[int]) -> tuple[str, bool]:
    """The speaker of body sentence ``i`` and whether the sentence itself names it."""
    found = _attribution(doc[:], state)
    if found and state.author and found.lower().removeprefix("the ") in _SIGNERS_COUNTRY:
        found = state.author  # "The United States welcomes ..." in a signed statement: the signer speaks
    if state.turn:  # a transcript turn, unless the sentence reports a named third person's words
        reported = found is not None and found != state.turn and found in state.table.full_names
        return (found if reported and found else state.turn), True
    starts = span.clean[:1] in "\"“«„"
    speaker = found
    if speaker is None and (starts or state.prev_open_quote):
        if (state.prev_open_quote or (out and out[-1][1])) and state.prev_speaker != AUTHOR:
            speaker = state.prev_speaker
        else:
            pending.append(i)
    if speaker is None and state.author:
        speaker = state.author  # a statement's unattributed sentences are its signer's
    if speaker is None:
        if i not in pending:  # narration breaks a chain of unattributed quotations
            pending.clear()
        return AUTHOR, False
    if pending:
        for j in pending:
            if j < i:  # the current sentence, when pending itself, is appended by the caller
                out[j] = (speaker, True)
        pending.clear()
    return speaker, found is not None


def _update(speaker: str, doc: Doc, state: _State) -> None:
    """Remember the speaker and the sentence's named subject for the sentences that follow."""
    table = state.table
    if speaker != AUTHOR:
        _remember(speaker, table, state)
    _remember_subject_body(doc, table)
    subject = _root_subject_person(doc)
    if subject:
        state.last_person = table.add_person(subject)
        learn_gender(doc, state.last_person, state.gender)
    for person in (speaker, state.last_person):
        if person in table.full_names:
            if person in state.recent:
                state.recent.remove(person)
            state.recent.append(person)


def _spread_quotations(spans: Sequence[Span], out: list[tuple[str, bool]], own: list[bool]) -> None:
    """Give every sentence of a quotation over several sentences the quotation's speaker.

    The speaker is the one a sentence of the quotation names (its attribution, before, inside
    or after), else the one the sentence before it names when that sentence ends with a colon
    (``Mills said:``). Sentences that name their own speaker keep it.
    """
    body = [i for i, s in enumerate(spans) if s.kind == "body"]
    groups = quotation_groups([spans[i].clean for i in body], [spans[i].par for i in body])
    for group in groups:
        members = [body[k] for k in group]
        named = [out[j][0] for j in members if own[j] and out[j][0] != AUTHOR]
        before = body[group[0] - 1] if group[0] > 0 else None
        if not named and before is not None and spans[before].clean.rstrip().endswith(":") and own[before]:
            named = [out[before][0]]
        if not named or named[0] == AUTHOR:
            continue
        for j in members:
            if not own[j]:
                out[j] = (named[0], True)


def _remember_subject_body(doc: Doc, table: MentionTable) -> None:
    """A body that is the subject of a main clause ("The ministry issued ...") may speak next as "it"."""
    for tok in doc:
        if tok.dep_ == "nsubj" and tok.head.dep_ == "ROOT" and tok.pos_ in {"NOUN", "PROPN"} and \
                tok.ent_type_ != "PERSON" and lemma(tok, LEMMAS) in SPEAKER_NOUNS:
            phrase, person = _phrase(tok)
            if person is None:
                table.subjects.append("the " + phrase[4:] if phrase.startswith("The ") else phrase)


def _remember(speaker: str, table: MentionTable, state: _State) -> None:
    if speaker in table.full_names:
        state.last_person = speaker
        return
    if speaker not in table.bodies and speaker != REPORTER_LABEL:
        table.bodies.append(speaker)
    state.last_group = speaker
