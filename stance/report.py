"""``stance report``: who takes which stance, how strongly, and over time, from the rows of ``stance score``.

The rows are read streaming and folded into counts: each speaker's stance distribution across
articles and per article, the strongest sentences of each stance (a bounded heap), and, when rows
carry a ``date`` (passed through by ``stance score`` from a ``date`` column or field) or a dates file
maps doc ids to dates, the stance counts per day. Meta rows (credits, bylines) are left out: they are
neutral by rule and say nothing about anyone's stance. The HTML page is self-contained: its charts
are matplotlib PNGs embedded as base64.
"""

from __future__ import annotations

import base64
import csv
import heapq
import html
import io
import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stance.errors import Errors, StanceError
from stance.types import LABELS, speaker_slug

STANCE_COLORS = {"optimistic": "#2e7d32", "dismissive": "#c62828", "conditional": "#f9a825", "neutral": "#90a4ae"}


def read_rows(path: str | Path) -> Iterator[dict[str, Any]]:
    """Rows of a scores file (.jsonl, .csv or .parquet), score columns as dicts, one at a time."""
    path = Path(path)
    if not path.is_file():
        raise StanceError(Errors.E034.format(path=path, detail="no such file"))
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if line.strip():
                    yield _checked(_json(line, path, lineno), path, lineno)
    elif suffix == ".csv":
        with open(path, encoding="utf-8", newline="") as fh:
            for lineno, row in enumerate(csv.DictReader(fh), 2):
                yield _checked(row, path, lineno)
    elif suffix == ".parquet":
        import pyarrow.parquet as pq

        for n, row in enumerate((r for b in pq.ParquetFile(path).iter_batches() for r in b.to_pylist()), 1):
            yield _checked(row, path, n)
    else:
        raise StanceError(Errors.E034.format(path=path, detail=f"unknown extension {suffix!r}"))


def _json(line: str, path: Path, lineno: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise StanceError(Errors.E034.format(path=path, detail=f"line {lineno}: invalid JSON ({exc.msg})")) from None
    if not isinstance(row, dict):
        raise StanceError(Errors.E034.format(path=path, detail=f"line {lineno}: not an object"))
    return row


def _checked(row: dict[str, Any], path: Path, lineno: int) -> dict[str, Any]:
    missing = [k for k in ("doc_id", "speaker", "stance", "stance_scores") if k not in row]
    if missing:
        raise StanceError(Errors.E034.format(path=path, detail=f"row {lineno} has no {missing}"))
    if isinstance(row["stance_scores"], str):
        row["stance_scores"] = json.loads(row["stance_scores"])
    return row


def read_dates(path: str | Path) -> dict[str, str]:
    """A doc id -> date mapping from JSON (``{"doc": "2025-05-16"}``) or CSV (``doc_id,date``)."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): str(v) for k, v in data.items()}
        with open(path, encoding="utf-8", newline="") as fh:
            return {str(r["doc_id"]): str(r["date"]) for r in csv.DictReader(fh)}
    except (OSError, ValueError, KeyError) as exc:
        raise StanceError(Errors.E035.format(path=path, detail=f"{type(exc).__name__}: {exc}")) from None


@dataclass
class Report:
    """The folded counts a report is drawn from."""

    rows: int = 0
    meta_rows: int = 0
    articles: list[str] = field(default_factory=list)
    speakers: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    speaker_articles: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    per_article: dict[str, dict[str, Counter[str]]] = field(default_factory=dict)
    strongest: dict[str, list[tuple[float, int, dict[str, Any]]]] = field(default_factory=lambda: defaultdict(list))
    by_date: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    undated_articles: int = 0


def _day(value: Any) -> str | None:
    """A date as ``YYYY-MM-DD``, or None when it cannot be read."""
    if value in (None, ""):
        return None
    import pandas as pd

    stamp = pd.to_datetime(str(value), errors="coerce", utc=True)
    return None if pd.isna(stamp) else str(stamp.date())


def build_report(rows: Iterator[dict[str, Any]], dates: dict[str, str] | None = None, top: int = 5,
                 max_articles: int = 200) -> Report:
    """Fold rows into a :class:`Report`; per-article tables are kept for the first ``max_articles``."""
    report = Report()
    seen: set[str] = set()
    article_dates: dict[str, str | None] = {}
    names: dict[str, str] = {}
    for n, row in enumerate(rows):
        report.rows += 1
        doc, stance = str(row["doc_id"]), str(row["stance"])
        speaker = str(row.get("speaker_id") or speaker_slug(str(row["speaker"])))  # grouped by id
        if len(str(row["speaker"])) > len(names.get(speaker, "")):
            names[speaker] = str(row["speaker"])  # shown under the fullest name the id was given
        if doc not in seen:
            seen.add(doc)
            report.articles.append(doc)
            article_dates[doc] = _day((dates or {}).get(doc) or row.get("date"))
        if row.get("kind") == "meta":
            report.meta_rows += 1
            continue
        report.speakers[speaker][stance] += 1
        report.speaker_articles[speaker].add(doc)
        if len(report.per_article) < max_articles or doc in report.per_article:
            report.per_article.setdefault(doc, defaultdict(Counter))[speaker][stance] += 1
        item = (float(row["stance_scores"].get(stance, 0.0)), -n,
                {k: row.get(k) for k in ("doc_id", "sent_idx", "speaker", "text", "stance_scores")})
        heap = report.strongest[stance]
        (heapq.heappush if len(heap) < top else heapq.heappushpop)(heap, item)
        day = article_dates[doc]
        if day:
            report.by_date[day][stance] += 1
    report.undated_articles = sum(1 for d in article_dates.values() if d is None)
    _show_names(report, names)
    return report


def _show_names(report: Report, names: dict[str, str]) -> None:
    """Re-key the speaker tables from speaker ids to the names shown for them."""
    report.speakers = {names[k]: v for k, v in report.speakers.items()}
    report.speaker_articles = {names[k]: v for k, v in report.speaker_articles.items()}
    report.per_article = {doc: {names[k]: v for k, v in table.items()} for doc, table in report.per_article.items()}


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def speaker_chart(report: Report, limit: int = 15) -> str:
    """A stacked horizontal bar chart of the most frequent speakers' stances (base64 PNG)."""
    from matplotlib.figure import Figure

    ranked = sorted(report.speakers, key=lambda s: (-sum(report.speakers[s].values()), s))[:limit][::-1]
    fig = Figure(figsize=(8, 0.4 * len(ranked) + 1.2))
    ax = fig.add_subplot()
    left = [0] * len(ranked)
    for stance in LABELS.stance:
        counts = [report.speakers[s][stance] for s in ranked]
        ax.barh(ranked, counts, left=left, color=STANCE_COLORS[stance], label=stance)
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_xlabel("sentences")
    ax.set_title("Stance by speaker (most frequent speakers)")
    ax.legend(loc="lower right", fontsize="small")
    return _png(fig)


def time_chart(report: Report) -> str:
    """Stance counts per day as lines (base64 PNG)."""
    import datetime as dt

    from matplotlib.figure import Figure

    days = sorted(report.by_date)
    fig = Figure(figsize=(8, 3.5))
    ax = fig.add_subplot()
    x: Any = [dt.date.fromisoformat(d) for d in days]  # real dates: gaps between days show as gaps
    for stance in LABELS.stance:
        ax.plot(x, [report.by_date[d][stance] for d in days], marker="o", color=STANCE_COLORS[stance],
                label=stance, alpha=0.85)
    ax.set_ylabel("sentences")
    ax.set_title("Stance over time")
    ax.tick_params(axis="x", labelrotation=45)
    ax.legend(fontsize="small")
    return _png(fig)


def _distribution(counts: Counter[str]) -> list[str]:
    total = sum(counts.values()) or 1
    return [f"{counts[s]} ({counts[s] / total:.0%})" for s in LABELS.stance]


def _speaker_rows(speakers: dict[str, Counter[str]], articles: dict[str, set[str]] | None = None) -> list[list[str]]:
    ranked = sorted(speakers, key=lambda s: (-sum(speakers[s].values()), s))
    return [[s, *([str(len(articles[s]))] if articles else []), str(sum(speakers[s].values())),
             *_distribution(speakers[s])] for s in ranked]


def _strongest(report: Report) -> dict[str, list[dict[str, Any]]]:
    return {s: [item for _, _, item in sorted(report.strongest.get(s, []), reverse=True)] for s in LABELS.stance}


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Report, title: str) -> str:
    """A self-contained HTML page: tables, the strongest sentences, and charts as embedded PNGs."""
    stances = list(LABELS.stance)
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p>{len(report.articles)} articles, {report.rows} sentences; meta lines (credits, bylines: "
             f"{report.meta_rows}) are left out of the counts.</p>",
             "<h2>Speakers across articles</h2>",
             f'<img id="speaker-chart" alt="stance by speaker" src="data:image/png;base64,{speaker_chart(report)}">',
             _html_table(["speaker", "articles", "sentences", *stances],
                         _speaker_rows(report.speakers, report.speaker_articles))]
    if report.by_date:
        parts += ["<h2>Stance over time</h2>",
                  f'<img id="time-chart" alt="stance over time" src="data:image/png;base64,{time_chart(report)}">']
        if report.undated_articles:
            parts.append(f"<p>Articles without a date, not in the chart: {report.undated_articles}.</p>")
    parts.append("<h2>Strongest sentences per stance</h2>")
    for stance, items in _strongest(report).items():
        rows = [[f"{it['stance_scores'].get(stance, 0):.3f}", str(it["speaker"]), f"{it['doc_id']}#{it['sent_idx']}",
                 str(it["text"])] for it in items]
        parts += [f"<h3>{stance}</h3>", _html_table(["score", "speaker", "sentence", "text"], rows) if rows else
                  "<p>none</p>"]
    parts.append("<h2>Per article</h2>")
    for doc, speakers in report.per_article.items():
        parts += [f"<h3>{html.escape(doc)}</h3>", _html_table(["speaker", "sentences", *stances],
                                                              _speaker_rows(speakers))]
    if len(report.articles) > len(report.per_article):
        parts.append(f"<p>{len(report.articles) - len(report.per_article)} more articles are counted above but "
                     "not listed (raise --max-articles).</p>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;"
             "text-align:left;vertical-align:top}th{background:#f3f3f3}img{max-width:100%}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    def cell(c: str) -> str:
        return c.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows])


def render_markdown(report: Report, title: str, width: int = 100) -> str:
    """A terminal-friendly summary: the speaker table, the strongest sentences, counts per day."""
    stances = list(LABELS.stance)
    out = [f"# {title}", "", f"{len(report.articles)} articles, {report.rows} sentences "
           f"(meta lines left out: {report.meta_rows}).", "", "## Speakers across articles", "",
           _md_table(["speaker", "articles", "sentences", *stances],
                     _speaker_rows(report.speakers, report.speaker_articles)), "", "## Strongest sentences", ""]
    for stance, items in _strongest(report).items():
        out.append(f"### {stance}")
        for it in items:
            text = str(it["text"]).replace("\n", " ")
            text = text if len(text) <= width else text[: width - 3] + "..."
            out.append(f"- {it['stance_scores'].get(stance, 0):.3f} {it['speaker']} ({it['doc_id']}#{it['sent_idx']}): "
                       f"{text}")
        out.append("")
    if report.by_date:
        out += ["## Stance over time", "", _md_table(["date", *stances], [[d, *(str(report.by_date[d][s])
                                                                          for s in stances)]
                                                                     for d in sorted(report.by_date)]), ""]
    return "\n".join(out)


def write_report(scores: str | Path, out: str | Path | None = None, fmt: str = "html",
                 dates: str | Path | None = None, top: int = 5, max_articles: int = 200) -> str:
    """Build the report of a scores file; write it to ``out`` when given; return its text."""
    if fmt not in ("html", "md"):
        raise StanceError(f"Unknown report --format {fmt!r}; expected 'html' or 'md'.")
    report = build_report(read_rows(scores), read_dates(dates) if dates else None, top, max_articles)
    title = f"Stance report: {Path(scores).name}"
    text = render_html(report, title) if fmt == "html" else render_markdown(report, title)
    if out is not None:
        try:
            Path(out).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise StanceError(Errors.E018.format(path=out, detail=exc.strerror or str(exc))) from None
    return text
