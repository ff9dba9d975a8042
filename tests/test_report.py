"""stance report: per-speaker counts on a fixture, strongest sentences, dates, md and html, Chromium rendering."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.report import build_report, read_rows, write_report

from .conftest import ROOT

FIXTURE = ROOT / "tests" / "data" / "report" / "rows.jsonl"


def counts(counter) -> dict[str, int]:
    return {k: v for k, v in counter.items() if v}


def test_per_speaker_counts_across_and_per_article():
    report = build_report(read_rows(FIXTURE))
    assert report.rows == 10 and report.meta_rows == 1 and report.articles == ["a", "b", "c"]
    assert {s: counts(c) for s, c in report.speakers.items()} == {
        "AUTHOR": {"neutral": 1},  # the meta credit line is not counted
        "Volodymyr Zelensky": {"optimistic": 2, "conditional": 1},
        "the Kremlin": {"dismissive": 3},
        "Marco Rubio": {"conditional": 1, "optimistic": 1},
    }
    assert {s: len(d) for s, d in report.speaker_articles.items()} == {
        "AUTHOR": 1, "Volodymyr Zelensky": 2, "the Kremlin": 2, "Marco Rubio": 2}
    assert {s: counts(c) for s, c in report.per_article["b"].items()} == {
        "Volodymyr Zelensky": {"optimistic": 1}, "the Kremlin": {"dismissive": 2}, "Marco Rubio": {"conditional": 1}}


def test_strongest_sentences_and_dates(tmp_path):
    report = build_report(read_rows(FIXTURE), top=2)
    dismissive = sorted(report.strongest["dismissive"], reverse=True)
    assert [(score, item["doc_id"], item["sent_idx"]) for score, _, item in dismissive] == [(0.95, "b", 1),
                                                                                            (0.9, "a", 3)]
    assert {d: counts(c) for d, c in report.by_date.items()} == {
        "2025-05-01": {"neutral": 1, "optimistic": 1, "conditional": 1, "dismissive": 1},
        "2025-05-03": {"optimistic": 1, "dismissive": 2, "conditional": 1}}
    assert report.undated_articles == 1
    dates = tmp_path / "dates.csv"
    dates.write_text("doc_id,date\nc,2025-05-02T10:00:00Z\n", encoding="utf-8")
    md = write_report(FIXTURE, fmt="md", dates=dates)
    assert "| 2025-05-02 | 1 | 0 | 0 | 0 |" in md
    assert "| the Kremlin | 2 | 3 | 0 (0%) | 3 (100%) | 0 (0%) | 0 (0%) |" in md


def test_the_same_report_from_parquet_and_csv(tmp_path):
    import pandas as pd

    df = pd.read_json(FIXTURE, lines=True, dtype={"date": str})
    for col in ("stance_scores", "sentiment_scores"):
        df[col] = df[col].map(json.dumps)
    df.to_parquet(tmp_path / "s.parquet")
    df.to_csv(tmp_path / "s.csv", index=False)
    expected = write_report(FIXTURE, fmt="md").split("\n", 1)[1]
    for name in ("s.parquet", "s.csv"):
        assert write_report(tmp_path / name, fmt="md").split("\n", 1)[1] == expected


def test_cli_report_md_html_and_bad_input(tmp_path):
    runner = CliRunner()
    md = runner.invoke(app, ["report", str(FIXTURE), "--format", "md"])
    assert md.exit_code == 0 and "## Speakers across articles" in md.output
    html = runner.invoke(app, ["report", str(FIXTURE), "--out", str(tmp_path / "r.html")])
    assert html.exit_code == 0, html.output
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2 and "Marco Rubio" in page
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "x"}\n', encoding="utf-8")
    result = runner.invoke(app, ["report", str(bad), "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and "row 1 has no ['speaker', 'stance', 'stance_scores']" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(StanceError, match="Dates file"):
        write_report(FIXTURE, fmt="md", dates=tmp_path / "missing.json")


CHECK_IMAGES = """<script>
window.addEventListener("load", () => {
  const imgs = [...document.images];
  const out = document.createElement("pre");
  out.id = "image-check";
  out.textContent = JSON.stringify(imgs.map(i => [i.id, i.complete, i.naturalWidth, i.naturalHeight]));
  document.body.appendChild(out);
});
</script></body>"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_report_renders_in_headless_chromium(tmp_path):
    """Acceptance 4: the page loads in a real browser and both charts decode as images."""
    page = write_report(FIXTURE, tmp_path / "report.html")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", CHECK_IMAGES), encoding="utf-8")
    flags = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000"]
    dom = subprocess.run(["chromium", *flags, "--dump-dom", probe.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    start = dom.index('<pre id="image-check">') + len('<pre id="image-check">')
    images = json.loads(dom[start: dom.index("</pre>", start)])
    assert [i[0] for i in images] == ["speaker-chart", "time-chart"]
    assert all(complete and width > 300 and height > 100 for _, complete, width, height in images), images
    shot = tmp_path / "report.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", "--window-size=1200,1600",
                    (tmp_path / "report.html").as_uri()], capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000
    assert Path(shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
