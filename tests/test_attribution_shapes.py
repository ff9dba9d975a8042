"""Issue 19's shapes of real reporting, each with the exact speakers expected per sentence."""

from __future__ import annotations

import pytest

from stance.text.mentions import MentionTable
from stance.text.quotes import quotation_groups
from stance.text.segment import segment
from stance.text.speakers import attribute, parse
from stance.text.turns import REPORTER_LABEL, document_author, interviewer, label_speaker


def speakers(nlp, text: str) -> list[str]:
    spans = segment(text)
    return [s for s, _ in attribute(spans, parse(nlp, [x.clean for x in spans]))]


MILLS = ('"This offer is an insult to every worker on these docks. We will not go back to the table until\n'
         'they take automation off the list. Our members are ready to stay out as long as it takes," said\n'
         'union president Harold Mills.')


def test_the_issue_example_gives_harold_mills_three_times(nlp):
    assert speakers(nlp, MILLS) == ["Harold Mills"] * 3


@pytest.mark.parametrize(("text", "expected"), [
    # attribution after a quotation of three sentences, curly marks
    ("“We came to negotiate. We stayed all night. We leave with nothing,” said envoy Rosa Delgado.",
     ["Rosa Delgado"] * 3),
    # attribution inside the quotation, after its first sentence
    ('"We are close," Delgado said. "The last issue is the border. It will take a week."',
     ["Delgado", "Delgado", "Delgado"]),
    # a colon introduction at the end of a paragraph, the quotation in the next
    ('Union president Harold Mills said:\n\n"We will not go back. Our members are ready."',
     ["Harold Mills", "Harold Mills", "Harold Mills"]),
    # a quotation that stays open over a paragraph break and reopens with a mark
    ('"We came in good faith," said Amara Diallo, the foreign minister. "We offered a ceasefire.\n\n'
     '"They answered with shelling. That tells you everything."\n\nThe talks end on Friday.',
     ["Amara Diallo", "Amara Diallo", "Amara Diallo", "Amara Diallo", "AUTHOR"]),
    # « guillemets »
    ("«We are ready. We are waiting,» said negotiator Marc Tremblay.", ["Marc Tremblay"] * 2),
    # an unbalanced mark does not swallow the next paragraph
    ('"The strike goes on.\n\nThe port stayed closed on Monday.', ["AUTHOR", "AUTHOR"]),
])
def test_quotations_over_sentences_and_paragraphs(nlp, text, expected):
    assert speakers(nlp, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Talks will resume next week, according to Qatar's foreign ministry.", ["Qatar's foreign ministry"]),
    ('The Kremlin said in a statement that Moscow was "ready for serious work".', ["the Kremlin"]),
    ("Harold Mills, the union's president, said the offer was an insult. He added that members would stay out.",
     ["Harold Mills", "Harold Mills"]),
    ("A person familiar with the talks said a deal was close.", ["a person familiar with the talks"]),
    ('"Now we are seeing a new process," said study co-author Karen Alley.', ["Karen Alley"]),
    ('"A lot of people think that," said a protester using the pseudonym Katya.', ["Katya"]),
    ("President of Ukraine Volodymyr Zelensky said Russia was not serious.", ["Volodymyr Zelensky"]),
    ("The Syrian Democratic Forces (SDF) announced a deal. The SDF said the talks were over.",
     ["the Syrian Democratic Forces", "the Syrian Democratic Forces"]),
    ('President Recep Tayyip Erdoğan arrived in Ankara. "We will decide," Erdogan said.',
     ["AUTHOR", "Recep Tayyip Erdoğan"]),
    ("According to the WHO, cases rose in March.", ["the WHO"]),
    ('Carrie Lam spoke on Wednesday. "Our city is hurting," Lam continued in the statement.',
     ["AUTHOR", "Carrie Lam"]),
    ("Talks continued on Monday.", ["AUTHOR"]),
])
def test_other_shapes_of_reporting(nlp, text, expected):
    assert speakers(nlp, text) == expected


TRANSCRIPT = """Secretary Antony J. Blinken On CBS Face the Nation with Margaret Brennan

Antony J. Blinken, Secretary of State
Washington, D.C.
QUESTION: Good morning, Mr. Secretary. Are the talks over?
SECRETARY BLINKEN: Good morning, Margaret. The talks are not over. We are ready to keep going.
QUESTION: And the Russians?
SECRETARY BLINKEN: President Vladimir Putin said yesterday that Moscow wants a deal. We will see.
"""

KREMLIN = """News conference following Russian-Turkish talks

President of Russia Vladimir
Putin: Ladies and gentlemen, we had substantive talks.
We agreed to continue the negotiations.
Question (retranslated):
Will there be a ceasefire?
President of Turkey Recep Tayyip Erdogan:
We hope so.
"""


def test_transcript_turns_carry_over_until_the_next_turn(nlp):
    assert speakers(nlp, TRANSCRIPT) == [
        "AUTHOR", "AUTHOR", "Antony Blinken",  # title, byline; the place line is the signer's
        "Margaret Brennan", "Margaret Brennan", "Antony Blinken", "Antony Blinken", "Antony Blinken",
        "Margaret Brennan", "Vladimir Putin", "Antony Blinken"]


def test_kremlin_labels_in_title_case_and_over_a_line_break(nlp):
    spans = segment(KREMLIN)
    got = [(s.kind, s.label, sp) for s, (sp, _) in zip(spans, attribute(spans, parse(nlp, [x.clean for x in spans])),
                                                       strict=True)]
    assert got == [
        ("headline", None, "AUTHOR"),
        ("body", "President of Russia Vladimir Putin", "Vladimir Putin"),
        ("body", None, "Vladimir Putin"),
        ("meta", None, "AUTHOR"),  # "Question (retranslated):", a meta unit as the corpus has it
        ("body", "Question", REPORTER_LABEL),
        ("body", "President of Turkey Recep Tayyip Erdogan", "Recep Tayyip Erdogan"),
    ]


@pytest.mark.parametrize(("label", "text", "expected"), [
    ("Q", "", REPORTER_LABEL),
    ("MS. PSAKI", "Press Briefing by Press Secretary Jen Psaki", "Jen Psaki"),
    ("MR PRICE", "Ned Price, Department Spokesperson", "Ned Price"),
    ("SENIOR ADMINISTRATION OFFICIAL", "", "a senior administration official"),
    ("SENIOR STATE DEPARTMENT OFFICIAL", "", "a senior State Department official"),
    ("MODERATOR", "", "the moderator"),
    ("FOREIGN MINISTER KULEBA", "Ukrainian Foreign Minister Dmytro Kuleba", "Dmytro Kuleba"),
    ("THE PRESIDENT", "Remarks by President Biden on the ceasefire", "Joe Biden"),
    ("Prime Minister of Japan Shinzo Abe", "", "Shinzo Abe"),
])
def test_transcript_labels_resolve_to_full_names(label, text, expected):
    assert label_speaker(label, MentionTable(), text) == expected


def test_interviewer_and_signer_from_the_title_and_byline():
    assert interviewer("Secretary Antony J. Blinken With Rene Pfister of Der Spiegel") == "Rene Pfister"
    assert interviewer("Department Press Briefing – April 8, 2022") is None
    table = MentionTable()
    assert document_author(["Ceasefire in Yemen", "Antony J. Blinken, Secretary of State"], "", table) == \
        "Antony Blinken"
    assert document_author(["Truce in Ethiopia", "Office of the Spokesperson"], "", table) == "the State Department"
    assert document_author(["President Biden Statement on UN-Mediated Truce in Yemen"], "", table) == "Joe Biden"


def test_a_release_line_hands_what_follows_to_its_signer(nlp):
    text = ("Truce in Yemen\n\nOffice of the Spokesperson\n"
            "The below is attributable to Spokesperson Ned Price:\n"
            "The United States welcomes the truce. We urge all parties to build on it.")
    assert speakers(nlp, text) == ["AUTHOR", "AUTHOR", "AUTHOR", "Ned Price", "Ned Price"]


def test_quotation_groups_follow_marks_not_sentences():
    texts = ['"One.', "Two.", 'Three," she said.', "Narration."]
    assert quotation_groups(texts, [True, False, False, True]) == [[0, 1, 2]]
    assert quotation_groups(['"Open and never closed.', "Next paragraph."], [True, True]) == []


def test_evaluate_speakers_needs_no_model_and_prints_accuracy_per_source(tmp_path):
    import json

    from typer.testing import CliRunner

    from stance.cli import app

    (tmp_path / "d1.txt").write_text(MILLS, encoding="utf-8")
    spans = segment(MILLS)
    (tmp_path / "gold.jsonl").write_text("".join(
        json.dumps({"doc_id": "d1", "source": "docks", "start": s.start, "end": s.end, "speaker": sp}) + "\n"
        for s, sp in zip(spans, ["Harold Mills", "Harold Mills", "AUTHOR"], strict=True)), encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "--data", str(tmp_path / "gold.jsonl"), "--task", "speakers"],
                                env={"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/none.db"})
    assert result.exit_code == 0, result.output
    assert "speaker accuracy 0.667 (normalised 0.667, n=3)" in result.output
    assert any(line.split() == ["docks", "3", "0.667", "0.667"] for line in result.output.splitlines())
    assert not (tmp_path / "none.db").exists()  # no registry was opened
