"""Who speaks in transcripts and official documents: speaker labels, interviewers, signers.

Transcripts print turns as labels (``MS. PSAKI:``, ``SECRETARY BLINKEN:``, ``Q``, ``Question:``,
``President of Russia Vladimir Putin:``, ``SENIOR ADMINISTRATION OFFICIAL:``); a label holds until
the next one. Labels resolve to the full name the document gives (``Antony Blinken``), ``Q`` to
the interviewer the title names (``... with Margaret Brennan``) or ``a reporter``, anonymous
titled turns to their description (``a senior administration official``). Statements belong to
their signer: the person the title names (``Statement by President Biden on ...``) or the byline
under it (``Ned Price, Department Spokesperson``); ``Office of the Spokesperson`` releases are
``the State Department``'s.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from stance.text.lexicon import OFFICE_HOLDERS
from stance.text.mentions import TITLE_WORDS, MentionTable, clean_name, without_initials

REPORTER_LABEL = "a reporter"
_QUESTION_LABELS = {"q", "question", "questioner", "question (retranslated)"}
_DEFINITE_ROLES = {"moderator", "operator", "interpreter", "narrator", "announcer"}
_ANONYMOUS_ROLES = {"official", "officials", "aide", "participant", "staff", "staffer", "briefer", "source"}
_PROPER_IN_ROLES = ("State Department", "White House", "U.S.", "NSC", "Pentagon", "Defense Department", "Treasury")
_ROLE_IN_TEXT = re.compile(r"\b(President|Vice President)\s+((?:[A-Z][\w.'’-]+\s+){0,3}?[A-Z][\w'’-]+)")
_STATEMENT_TITLE = re.compile(
    r"^(?:Statement|Remarks|Message|Letter|Proclamation|Op-Ed)s?\b.{0,60}?\b(?:from|by|of)\s+(?:the\s+)?"
    r"(?:(?:Press|White House|Deputy|NSC|National Security|Principal|Assistant|Senior)\s+)*"
    r"(?:President|Vice President|Press Secretary|Secretary|Advisor|Adviser|Spokesperson|Director|First Lady)?\s*"
    r"((?:[A-Z][\w.'’-]+\s?){1,4})"
)
# "President Biden Statement on ...": the name before the kind of document.
_NAME_FIRST_TITLE = re.compile(r"^(?:President|Vice President|First Lady|Secretary|Press Secretary)\s+"
                               r"((?:[A-Z][\w.'’-]+\s){1,3})(?=(?:Statement|Remarks|Message)s?\b)")
# A byline under an official title: "Antony J. Blinken, Secretary of State".
_BYLINE = re.compile(r"^((?:[A-Z][\w'’-]*\.?\s){1,3}[A-Z][\w'’-]+),\s+[A-Z][\w ,.'’-]{2,80}$")
_SPOKESPERSON_OFFICE = re.compile(r"^Office of the Spokesperson$", re.I)
_INTERVIEWER = re.compile(r"\b[Ww]ith\s+((?:[A-Z][\w'’.-]+\s){1,3}?[A-Z][\w'’-]+)(?=\s+(?:of|on|from|at)\b|\s*$|,)")


def office_holder(role: str, text: str, table: MentionTable) -> str | None:
    """Who holds ``role`` ("president") in this document: "President Biden" -> Joe Biden."""
    for match in _ROLE_IN_TEXT.finditer(text):
        if match.group(1).lower() != role:
            continue
        name = match.group(2).split()
        full = OFFICE_HOLDERS.get(name[-1].lower())
        return full or table.lookup(" ".join(name)) or " ".join(name)
    return None


def _known_prefix(words: list[str], table: MentionTable) -> str | None:
    """The longest run of ``words`` from the start that names a person the document knows."""
    for n in range(len(words), 0, -1):
        name = " ".join(words[:n])
        if name in table.full_names or words[n - 1].lower() in OFFICE_HOLDERS:
            return name
        found = table.lookup(name) if n > 1 or words[0][:1].isupper() else None
        if found and found.split()[-1] == words[n - 1]:
            return name
    return None


def _title_author(headline: str, table: MentionTable) -> str | None:
    match = _STATEMENT_TITLE.match(headline) or _NAME_FIRST_TITLE.match(headline)
    if not match:
        return None
    words = [w for w in match.group(1).split() if w.lower() not in {"on", "at", "in", "to", "and"}]
    stop = next((i for i, w in enumerate(words) if not w[:1].isupper() or w.endswith("ing")), len(words))
    words = words[:stop]
    if not words:
        return None
    if "President" in headline.split(words[0])[0][-20:]:
        full = OFFICE_HOLDERS.get(words[-1].lower())
        if full:
            return full
    name = _known_prefix(words, table) or " ".join(words[:2])
    return table.lookup(name) or name


def document_author(headlines: Sequence[str], text: str, table: MentionTable) -> str | None:
    """The signer of a statement or the speaker of remarks, from the title or the byline under it.

    Args:
        headlines: The document's first lines that are not body text (title, byline, place).
    """
    if headlines:
        author = _title_author(headlines[0], table)
        if author:
            return author
    for line in headlines[1:4]:
        if _SPOKESPERSON_OFFICE.match(line.strip()):
            return "the State Department"
        byline = _BYLINE.match(line.strip())
        if byline:
            return without_initials(table.lookup(byline.group(1)) or byline.group(1))
    return None


_ATTRIBUTABLE = re.compile(r"^The (?:below|following)(?: statement| text)? (?:is attributable to|was released by|"
                           r"was issued by)\s+(?:the\s+)?(.+?)[:.]?$")


def attributed_to(sentence: str, table: MentionTable) -> str | None:
    """The signer a release line names for the text below it ("The below is attributable to ...")."""
    match = _ATTRIBUTABLE.match(sentence.strip())
    if not match:
        return None
    name = clean_name(match.group(1).split(",")[0])
    if not name or not name[:1].isupper():
        return None
    found = table.lookup(name)
    return without_initials(found if found and " " in found else name)


def interviewer(headline: str) -> str | None:
    """The journalist an interview's title names: "... On CBS Face the Nation with Margaret Brennan"."""
    found = _INTERVIEWER.findall(headline)
    return found[-1] if found else None


def _role(label: str) -> str:
    """``SENIOR STATE DEPARTMENT OFFICIAL`` -> ``senior State Department official``."""
    role = " ".join(label.lower().split())
    for proper in _PROPER_IN_ROLES:
        role = re.sub(rf"\b{re.escape(proper.lower())}\b", proper, role)
    return role


def _title_case(word: str) -> str:
    if not word.isupper():
        return word
    word = word.capitalize()
    return re.sub(r"([-'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), word)


def _full_name(surname: str, text: str, table: MentionTable) -> str | None:
    """The full name of a person the document names by ``surname``: the table, else "First [M.] Surname"."""
    found = table.lookup(surname)
    if found and " " in found:
        return without_initials(found)
    last = surname.split()[-1]
    for match in re.finditer(rf"\b((?:[A-Z][a-z]+\s+){{1,2}})(?:[A-Z]\.\s+)?{re.escape(last)}\b", text):
        given = match.group(1).strip()
        while (shorter := TITLE_WORDS.sub("", given, count=1).strip()) != given:
            given = shorter  # "Secretary Antony" -> "Antony"; "Secretary" -> no given name
        if given:
            return f"{given} {last}"
    return OFFICE_HOLDERS.get(last.lower()) or found


_NOT_GIVEN = frozenset({"In", "On", "At", "The", "When", "After", "Before", "But", "And", "As", "For", "With", "From",
                        "By", "To", "Of", "If", "Then", "Since", "While", "Under", "Over", "Mr", "Ms", "Mrs", "Dr"})


def given_name(surname: str, text: str) -> str | None:
    """``Benhamou`` -> ``Nadia Benhamou`` when the text prints the name in full somewhere."""
    for match in re.finditer(rf"\b([A-Z][a-z]+)\s+{re.escape(surname)}\b", text):
        given = match.group(1)
        if given not in _NOT_GIVEN and TITLE_WORDS.sub("", given + " ") == given + " ":
            return f"{given} {surname}"
    return None


def label_speaker(label: str, table: MentionTable, text: str = "", headline: str = "") -> str:
    """The speaker a transcript label stands for (see the module docstring)."""
    low = " ".join(label.lower().split())
    if low in _QUESTION_LABELS:
        return interviewer(headline) or REPORTER_LABEL
    words = [_title_case(w) for w in re.sub(r"\([^)]*\)", "", label).split()]
    if not words:
        return REPORTER_LABEL
    if words[-1].lower() in _DEFINITE_ROLES:
        return "the " + words[-1].lower()
    if words[-1].lower() in _ANONYMOUS_ROLES:
        return ("" if words[-1].lower().endswith("s") else "a ") + _role(" ".join(words))
    if words[0].upper() in {"THE", "A", "AN"}:
        role = " ".join(words[1:]).lower()
        return (office_holder(role, text, table) or table.title(role)
                or " ".join(w.capitalize() for w in words[1:]))
    for n in range(len(words), 1, -1):  # "President of Russia Vladimir Putin" -> a name the text gives
        if " ".join(words[-n:]) in table.full_names:
            return " ".join(words[-n:])
    if "of" in words[:-2]:  # "Prime Minister of Japan Shinzo Abe": the name follows the country
        rest = words[len(words) - words[::-1].index("of"):]
        rest = rest[1:] if rest[0].lower() == "the" else rest
        words = rest[1:] if len(rest) > 2 else rest
    name = clean_name(" ".join(words)) or " ".join(words)
    if len(name.split()) >= 2 and name.split()[0][:1].isupper() and name == " ".join(words):
        return table.lookup(name) or name  # a full name as printed
    return _full_name(name, text, table) or name
