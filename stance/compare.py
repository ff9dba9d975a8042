"""A table of tracked runs and their key metrics, best first: in the terminal (rich), or as a
self-contained HTML page with a bar chart (``stance compare --html``)."""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from pathlib import Path
from typing import Any

from stance.errors import StanceError

COLUMNS = (
    ("val_real_stance_macro_f1", "val real stance F1"),
    ("test_real_stance_macro_f1", "test real stance F1"),
    ("test_real_sentiment_macro_f1", "test real sent. F1"),
    ("test_authored_stance_macro_f1", "test authored stance F1"),
    ("train_seconds", "train s"),
)
SHOWN_PARAMS = ("config.model.family", "config.model.input", "config.run_name")
MAX_PARAM_COLUMNS = 5


def runs_table(experiment: str, run_ids: list[str], metric: str) -> list[dict[str, Any]]:
    """Rows (run name, id, family, input, metrics, params) of the experiment's runs, sorted by ``metric``."""
    import mlflow

    from stance.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri())
    exp = mlflow.get_experiment_by_name(experiment)
    if exp is None:
        raise StanceError(f"No experiment {experiment!r} in {tracking_uri()}: expected one made by `stance train`. "
                          "Train a model first (`make demo`) or pass --experiment.")
    runs = mlflow.search_runs(experiment_ids=[exp.experiment_id], output_format="list")
    if run_ids:
        runs = [r for r in runs if r.info.run_id in run_ids or r.info.run_id[:8] in run_ids]
    rows = []
    for r in runs:
        params = r.data.params
        rows.append({
            "run": r.info.run_name, "run_id": r.info.run_id,
            "family": params.get("config.model.family", "?"), "input": params.get("config.model.input", "?"),
            "promoted": r.data.tags.get("stance.promoted", ""), "params": dict(params),
            **{key: r.data.metrics.get(key) for key, _ in COLUMNS},
        })

    def key(row: dict[str, Any]) -> float:
        value = row.get(metric)
        return -float(value) if value is not None else float("inf")

    rows.sort(key=key)
    return rows


def differing_params(rows: list[dict[str, Any]]) -> list[str]:
    """Names of the params whose values differ between the runs (besides run name, family, input), at most five."""
    names = sorted({name for row in rows for name in row["params"]} - set(SHOWN_PARAMS))
    differ = [n for n in names if len({row["params"].get(n) for row in rows}) > 1]
    return differ[:MAX_PARAM_COLUMNS]


def _cells(row: dict[str, Any], params: list[str]) -> list[str]:
    """The text of one table row, the same in the terminal and in HTML."""
    def param(name: str) -> str:
        value = row["params"].get(name, "-")
        return value[:8] if name == "git_commit" else value

    return [row["run"], row["run_id"][:8], row["family"], row["input"], *[param(p) for p in params],
            *[f"{row[k]:.3f}" if row[k] is not None else "-" for k, _ in COLUMNS],
            "yes" if row["promoted"] == "true" else ""]


def _header(params: list[str]) -> list[str]:
    short = [p.removeprefix("config.").removeprefix("model.params.") for p in params]
    return ["run", "run id", "family", "input", *short,
            *[label for _, label in COLUMNS], "promoted"]


def compare_runs(experiment: str, run_ids: list[str], metric: str, html_out: Path | None = None) -> None:
    """Print the runs table with rich; with ``html_out``, also write it as an HTML page."""
    from rich.console import Console
    from rich.table import Table

    rows = runs_table(experiment, run_ids, metric)
    params = differing_params(rows)
    header = _header(params)
    n_left = 4 + len(params)
    table = Table(title=f"runs in experiment {experiment!r}, by {metric}")
    for i, name in enumerate(header):
        table.add_column(name, justify="left" if i < n_left else "right")
    for row in rows:
        table.add_row(*_cells(row, params))
    Console(width=180).print(table)
    if html_out is not None:
        Path(html_out).write_text(html_page(experiment, metric, rows), encoding="utf-8")


def bar_chart_png(rows: list[dict[str, Any]]) -> bytes:
    """A PNG bar chart of the macro-F1 columns, one group of bars per run."""
    from stance.plots import bar_figure, close

    names = [f"{row['run']} ({row['run_id'][:8]})" for row in rows]
    series = {label: [row[key] for row in rows] for key, label in COLUMNS if key.endswith("macro_f1")}
    fig = bar_figure(names, series, "macro-F1 per run")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    close(fig)
    return buffer.getvalue()


def html_page(experiment: str, metric: str, rows: list[dict[str, Any]]) -> str:
    """The runs table and its bar chart as one self-contained page (the chart is an inline PNG)."""
    params = differing_params(rows)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in _header(params))
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in _cells(row, params)) + "</tr>"
                     for row in rows)
    chart = base64.b64encode(bar_chart_png(rows)).decode("ascii") if rows else ""
    image = f'<img alt="macro-F1 per run" src="data:image/png;base64,{chart}">' if chart else "<p>No runs.</p>"
    title = html.escape(f"runs in experiment {experiment!r}, by {metric}")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: right; }}
th {{ background: #f0f0f0; }}
td:nth-child(-n+{4 + len(params)}) {{ text-align: left; }}
</style></head>
<body>
<h1>{title}</h1>
<p>Generated by <code>stance compare</code> on {datetime.now().isoformat(timespec="seconds")}.</p>
<table>
<thead><tr>{header}</tr></thead>
<tbody>
{body}
</tbody>
</table>
{image}
</body></html>
"""
