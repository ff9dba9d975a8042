"""The seed article's gold file: its canonical sentences and its contract with the article."""

from __future__ import annotations

import pytest

CANONICAL = [
    ('saying Moscow was "not serious"', "Volodymyr Zelensky", "dismissive"),
    ('ready for "ready for serious work,"', "Russia's Foreign Ministry", "optimistic"),
    ("nothing's going to happen until Putin and I get together", "Donald Trump", "conditional"),
    ('"Zelensky is only suitable for signing a capitulation. Period,"', "a Russian diplomat", "dismissive"),
]


@pytest.mark.parametrize(("fragment", "speaker", "stance"), CANONICAL)
def test_canonical_sentences(seed_gold, fragment, speaker, stance):
    row = next(r for r in seed_gold if fragment in r["text"])
    assert (row["speaker"], row["stance"]) == (speaker, stance)


def test_gold_offsets_slice_the_file_as_read(seed_text, seed_gold):
    assert [r["sent_idx"] for r in seed_gold] == list(range(len(seed_gold)))
    for row in seed_gold:
        assert seed_text[row["start"]:row["end"]] == row["text"]
    assert all(r["stance"] == "neutral" for r in seed_gold if r["kind"] == "meta")
    assert all("<" not in r["speaker"] for r in seed_gold)
