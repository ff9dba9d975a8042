"""The word lists speaker attribution reads, loaded from ``speaker_words.json`` beside this module.

Reporting verbs, nouns that name people or bodies, the office holders that transcript role labels
("THE PRESIDENT:") stand for, seats of power and country spellings are data: edit the JSON file,
not the code.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from stance.text.nlp import lemma_table


def _load() -> dict[str, Any]:
    text = resources.files("stance.text").joinpath("speaker_words.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_DATA = _load()
SPEECH_VERBS: frozenset[str] = frozenset(_DATA["speech_verbs"])
SPEAKER_NOUNS: frozenset[str] = frozenset(_DATA["speaker_nouns"])
OFFICE_HOLDERS: dict[str, str] = dict(_DATA["office_holders"])
SEATS: dict[str, str] = dict(_DATA["seats_of_power"])
NATIONS: dict[str, str] = dict(_DATA["nations"])
HEADS_OF_GOVERNMENT: tuple[str, ...] = tuple(_DATA["heads_of_government"])
LEMMAS = lemma_table(SPEECH_VERBS | SPEAKER_NOUNS)


def nation(word: str) -> str:
    """One spelling per country: ``US``, ``U.S.``, ``American`` -> ``u.s.``."""
    return NATIONS.get(word.lower(), word.lower())
