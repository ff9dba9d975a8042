"""Speaker attribution: the seed article's gold speakers and each common shape of reporting."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.text.segment import segment
from stance.text.speakers import attribute, parse

SEED_SPEAKERS = [
    "AUTHOR", "AUTHOR", "AUTHOR", "AUTHOR", "Volodymyr Zelensky", "Vladimir Putin", "AUTHOR",
    "Russia's Foreign Ministry", "Volodymyr Zelensky", "Volodymyr Zelensky", "Volodymyr Zelensky",
    "Volodymyr Zelensky", "AUTHOR", "the Kremlin", "AUTHOR", "AUTHOR", "Vladimir Medinsky",
    "Vladimir Medinsky", "AUTHOR", "AUTHOR", "Marco Rubio", "Marco Rubio", "AUTHOR", "Turkish officials",
    "AUTHOR", "AUTHOR", "Donald Trump", "Donald Trump", "Donald Trump", "Vladimir Putin", "European leaders",
    "Volodymyr Zelensky", "AUTHOR", "Russian officials", "a Russian diplomat", "AUTHOR", "AUTHOR",
    "Russian officials", "Vladimir Putin", "Vladimir Putin", "AUTHOR", "AUTHOR", "AUTHOR",
]


def speakers(nlp, text: str) -> list[str]:
    spans = segment(text)
    return [s for s, _ in attribute(spans, parse(nlp, [x.clean for x in spans]))]


def test_seed_speakers_equal_gold(nlp, seed_text, seed_gold):
    assert [g["speaker"] for g in seed_gold] == SEED_SPEAKERS
    assert speakers(nlp, seed_text) == SEED_SPEAKERS


@pytest.mark.parametrize(("text", "expected"), [
    ('Foreign Minister Amara Diallo arrived in Geneva. "We are ready," Diallo said.',
     ["AUTHOR", "Amara Diallo"]),
    ('Union leader Tom Brandt spoke on Monday. He said: "This offer is an insult."',
     ["AUTHOR", "Tom Brandt"]),
    ('Negotiator Lena Ortiz met the press. "We will sign only if the tariffs go," said Ortiz, the envoy.',
     ["AUTHOR", "Lena Ortiz"]),
    ('Talks resumed in Doha on Tuesday, according to the Qatari foreign ministry.',
     ["the Qatari foreign ministry"]),
    ('Prime Minister Karl Jensen was quoted as saying that the coalition talks were dead.',
     ["Karl Jensen"]),
    ('Chief executive Maria Rossi rejected the bid. She called it "an insulting offer."',
     ["Maria Rossi", "Maria Rossi"]),
    ('U.S. Secretary of State Daniel Okafor flew in. The secretary of state said talks were close.',
     ["AUTHOR", "Daniel Okafor"]),
    ('"We have heard these promises before. Nothing changes," said a senior diplomat.',
     ["a senior diplomat", "a senior diplomat"]),
    ('The union said it would strike on Friday unless the company improved its offer.',
     ["the union"]),
    ('The talks come after the president, who threatened to halt trade, left the summit.',
     ["AUTHOR"]),
    ("The government's security secretary, Rodrigo Almeida, said the state would not sign under threat.",
     ["Rodrigo Almeida"]),
    ("A Western diplomat in Nairobi, who asked not to be named, said donors were tired. "
     "The diplomat said aid would resume only once a programme was agreed.",
     ["a Western diplomat in Nairobi", "a Western diplomat in Nairobi"]),
    ("India's external affairs ministry issued a statement on Friday. "
     "It said the discussions had been frank and constructive.",
     ["AUTHOR", "India's external affairs ministry"]),
    ("ABUJA (Savannah News Agency) - The Federation of University Teachers on Monday rejected the offer.",
     ["the Federation of University Teachers"]),
    ("The talks are expected to resume in Paris next week.", ["AUTHOR"]),
])



def test_attribution_shapes(nlp, text, expected):
    assert speakers(nlp, text) == expected


def test_quote_first_speaker_in_next_sentence(nlp):
    text = ('"This is not a serious offer." The words came from Mayor Ines Duarte, who walked out. '
            '"We will not return," Duarte told reporters.')
    assert speakers(nlp, text)[2] == "Ines Duarte"


def test_transcript_labels(nlp):
    text = ("Press Briefing by Press Secretary Jen Psaki\n\n"
            "MS. PSAKI: Hi, everyone. We hope the talks resume.\n\n"
            "Q Thanks, Jen. Is the deal dead?\n\n"
            "MS. PSAKI: Not at all.\n")
    assert speakers(nlp, text) == ["AUTHOR", "Jen Psaki", "Jen Psaki", "a reporter", "a reporter", "Jen Psaki"]


def test_statement_sentences_belong_to_the_signer(nlp):
    text = ("Statement from President Joe Biden on the Rail Agreement\n\n"
            "I am calling on Congress to pass the tentative agreement.\n\n"
            "A shutdown would devastate our economy.\n")
    assert speakers(nlp, text) == ["AUTHOR", "Joe Biden", "Joe Biden"]


def test_the_president_label_resolves_to_the_office_holder(nlp):
    text = ("Remarks by President Biden on the Debt Ceiling\n\n"
            "THE PRESIDENT: We reached a deal.\n\n"
            "Q Is it final?\n")
    assert speakers(nlp, text) == ["AUTHOR", "Joe Biden", "a reporter"]


@pytest.mark.parametrize(("text", "expected"), [
    ('"We are ready to sign," Amal Haddad said, "but only if the siege is lifted."', ["Amal Haddad"]),
    ("In a statement, the Qatari foreign ministry said the mediators had made progress.",
     ["the Qatari foreign ministry"]),
    ("Labour minister Joan Pratt told reporters that the strike could end this week.", ["Joan Pratt"]),
    ("The union welcomed the offer but warned that members would vote on it first.", ["the union"]),
    ("Mayor Ines Duarte rejected the proposal on Monday.", ["Ines Duarte"]),
    ("Negotiator Karim Nasser walked out. He insisted the talks were over.", ["AUTHOR", "Karim Nasser"]),
])
def test_reported_speech_shapes(nlp, text, expected):
    assert speakers(nlp, text) == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_attribution_never_raises(nlp, text):
    spans = segment(text)
    result = attribute(spans, parse(nlp, [s.clean for s in spans]))
    assert len(result) == len(spans) and all(isinstance(s, str) and s for s, _ in result)


def test_unattributed_quotation_in_a_statement_belongs_to_the_signer(nlp):
    # An opening quotation with no attribution, in a signed statement, used to crash attribution.
    text = ("Statement from President Joe Biden on the Ceasefire Talks\n\n"
            "The talks in Cairo resumed today.\n\n"
            "\u201cWe will not stop until every hostage is home.\n\n"
            "Both sides must now close the remaining gaps.")
    assert speakers(nlp, text) == ["AUTHOR", "Joe Biden", "Joe Biden", "Joe Biden"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Russian President Vladimir Putin did not attend the talks. The Kremlin leader said he was ready for serious work.",
     "Vladimir Putin"),
    ("US President Donald Trump spoke on Friday. The White House leader said a deal was close.", "Donald Trump"),
    ("Ukrainian President Volodymyr Zelensky flew to Ankara. The Ukrainian leader said Moscow was not serious.",
     "Volodymyr Zelensky"),
])
def test_leader_by_seat_or_nationality(nlp, text, expected):
    assert speakers(nlp, text) == ["AUTHOR", expected]

