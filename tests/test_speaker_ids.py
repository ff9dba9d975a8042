"""One name per person across a batch: ``speaker_id`` in every output and the report grouped by it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance.report import build_report, read_rows
from stance.score import score_inputs
from stance.text.speaker_ids import SpeakerIndex, assign_speaker_ids
from stance.types import speaker_slug

DOCS = [
    {"id": "a", "text": "Trump said on Monday that the talks with Beijing were over."},
    {"id": "b", "text": "Donald Trump said a trade deal with China was close."},
]


def test_a_surname_becomes_the_one_full_name_of_the_batch():
    index = SpeakerIndex()
    index.add(["Trump", "Donald Trump", "Joe Biden", "Jill Biden", "Biden", "AUTHOR", "the Kremlin"])
    assert index.canonical("Trump") == "Donald Trump"
    assert index.canonical("Biden") == "Biden"  # two full names end in Biden: left as it is
    assert index.speaker_id("Trump") == index.speaker_id("Donald Trump") == "donald-trump"
    assert index.speaker_id("AUTHOR") == "author"
    assert index.speaker_id("the Kremlin") == "the-kremlin"
    assert speaker_slug("Recep Tayyip Erdoğan") == "recep-tayyip-erdogan"
    rows = [{"speaker": "Trump"}, {"speaker": "Donald Trump"}, {"speaker": "Putin"}]
    assign_speaker_ids(rows)
    assert [r["speaker_id"] for r in rows] == ["donald-trump", "donald-trump", "putin"]


def _rows(path: Path) -> list[dict]:
    import pandas as pd

    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    df = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, keep_default_na=False)
    return list(df.to_dict("records"))


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_speaker_id_in_every_output_format_across_documents(tiny_pipeline, tmp_path, suffix):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(d) + "\n" for d in DOCS), encoding="utf-8")
    out = tmp_path / f"out{suffix}"
    score_inputs(tiny_pipeline, [src], out, batch_size=1, progress=False)  # one document per batch
    rows = _rows(out)
    assert [(r["doc_id"], r["speaker"], r["speaker_id"]) for r in rows] == [
        ("a", "Trump", "donald-trump"), ("b", "Donald Trump", "donald-trump")]
    report = build_report(read_rows(out))
    assert list(report.speakers) == ["Donald Trump"]
    assert sum(report.speakers["Donald Trump"].values()) == 2
    assert report.speaker_articles["Donald Trump"] == {"a", "b"}


def test_pyfunc_rows_carry_speaker_id_across_the_call(tiny_pipeline):
    import pandas as pd

    from stance.tracking import OUTPUT_COLUMNS, StancePyfunc

    model = StancePyfunc()
    model.pipeline = tiny_pipeline
    frame = pd.DataFrame({"doc_id": [d["id"] for d in DOCS], "text": [d["text"] for d in DOCS]})
    out = model.predict(None, frame)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert list(out["speaker_id"]) == ["donald-trump", "donald-trump"]
    per_doc = model.predict(None, frame, params={"output": "documents"})
    assert [json.loads(rows)[0]["speaker_id"] for rows in per_doc["rows"]] == ["donald-trump", "donald-trump"]
