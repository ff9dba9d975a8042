"""Sentence splitting: offsets, kinds, markup, and the shapes of real reporting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stance.text.segment import clean_text, segment, strip_markup


def test_seed_boundaries_equal_gold(seed_text, seed_gold):
    spans = segment(seed_text)
    assert [(s.start, s.end) for s in spans] == [(g["start"], g["end"]) for g in seed_gold]
    assert [s.kind for s in spans] == [g["kind"] for g in seed_gold]


def test_markup_is_removed_but_offsets_index_the_file(seed_text):
    spans = segment(seed_text)
    told = next(s for s in spans if s.clean.startswith("Medinsky told"))
    assert "<u>" in seed_text[told.start:told.end]
    assert "<u>" not in told.clean and "told state television" in told.clean


def test_photo_caption_and_credit_are_meta(seed_text):
    kinds = {s.clean: s.kind for s in segment(seed_text)}
    assert kinds["Alexander Ryumin / TASS"] == "meta"
    assert kinds["Journalists in Istanbul waiting for the Russia-Ukraine peace talks to begin."] == "meta"
    assert kinds["May 15, 2025"] == "meta"
    assert kinds["AFP and Reuters contributed reporting."] == "meta"


def test_abbreviations_do_not_end_sentences():
    text = ("Mr. Smith met Gen. Lee in the U.S. capital on Feb. 24, officials said. "
            "The U.N. envoy arrived later.")
    assert [s.clean for s in segment(text)] == [
        "Mr. Smith met Gen. Lee in the U.S. capital on Feb. 24, officials said.",
        "The U.N. envoy arrived later.",
    ]


def test_quote_with_attribution_is_one_sentence():
    text = '"We are ready!" he said. "Talks start Monday." The minister left.'
    assert [s.clean for s in segment(text)] == ['"We are ready!" he said.', '"Talks start Monday."', "The minister left."]


def test_quote_fragment_before_attribution_stays_whole():
    text = '"Zelensky is only suitable for signing a capitulation. Period," a Russian diplomat said.'
    assert len(segment(text)) == 1


def test_curly_apostrophes_do_not_join_sentences():
    # A contraction's apostrophe is not the closing mark of a quotation ("She’s" starts a sentence).
    text = "I spoke with Brittney Griner. She’s safe. She’s on a plane. I’m hoping. I am praying."
    assert [s.clean for s in segment(text)] == [
        "I spoke with Brittney Griner.", "She’s safe.", "She’s on a plane.", "I’m hoping.", "I am praying."]


@pytest.mark.parametrize(("text", "expected"), [
    ('"The American people deserve the truth." Pelosi said.', 1),  # a bare attribution after the quotation
    ('"Nobody on the wards is fooled." Benhamou said nurses would return to work once management agreed.', 2),
    ('Cengiz called it a "political maneuver." She explained, "By confessing this, he is distancing himself."', 2),
    ('The office tweeted the response "required all hands." Authorities stated the road was damaged.', 2),
    ('He said: "I offered to resign last night." "', 1),  # a stray closing mark joins its sentence
    ("Can they get off? [...]", 1),
])
def test_attribution_and_fragments_after_a_quotation(text, expected):
    assert len(segment(text)) == expected


def test_headline_dateline_and_related_lines():
    text = ("Steel talks stall as Ottawa walks out\n\nBy Ana Ruiz\n\n"
            "OTTAWA (Wire) - Canada's trade minister left the talks on Tuesday.\n\n"
            "Related article: Tariffs bite in Ontario\n")
    got = [(s.kind, s.clean) for s in segment(text)]
    assert got == [
        ("headline", "Steel talks stall as Ottawa walks out"),
        ("meta", "By Ana Ruiz"),
        ("body", "OTTAWA (Wire) - Canada's trade minister left the talks on Tuesday."),
        ("meta", "Related article: Tariffs bite in Ontario"),
    ]


def test_transcript_labels_are_cut_off_and_reported():
    text = "MS. PSAKI: Hi, everyone. We hope talks resume.\n\nQ Thanks, Jen. Is the deal dead?\n"
    spans = segment(text)
    assert [(s.label, s.clean) for s in spans] == [
        ("MS. PSAKI", "Hi, everyone."), ("MS. PSAKI", "We hope talks resume."),
        ("Q", "Thanks, Jen."), ("Q", "Is the deal dead?"),
    ]
    assert all(text[s.start:s.end] == s.clean for s in spans)


def test_entities_decode_with_offsets_mapped():
    text = "Talks &amp; deals resumed.<br/> It&#39;s done."
    clean, index = strip_markup(text)
    assert clean == "Talks & deals resumed. It's done."
    assert len(index) == len(clean) + 1 and index[-1] == len(text)
    assert clean_text("a <b>bold</b>\n move") == "a bold move"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_gives_offsets_that_slice_back(text):
    spans = segment(text)
    last = 0
    for s in spans:
        assert last <= s.start < s.end <= len(text)
        assert text[s.start:s.end].strip() == text[s.start:s.end]
        last = s.end
