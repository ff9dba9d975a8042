"""A terminal table of tracked runs and their key metrics, best first."""

from __future__ import annotations

from typing import Any

from stance.errors import StanceError

COLUMNS = (
    ("val_stance_macro_f1", "val stance F1"),
    ("test_stance_macro_f1", "test stance F1"),
    ("test_sentiment_macro_f1", "test sent. F1"),
    ("train_seconds", "train s"),
)


def runs_table(experiment: str, run_ids: list[str], metric: str) -> list[dict[str, Any]]:
    """Rows (run name, id, family, input, metrics) of the experiment's runs, sorted by ``metric``."""
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
            "promoted": r.data.tags.get("stance.promoted", ""),
            **{key: r.data.metrics.get(key) for key, _ in COLUMNS},
        })
    def key(row: dict[str, Any]) -> float:
        value = row.get(metric)
        return -float(value) if value is not None else float("inf")

    rows.sort(key=key)
    return rows


def compare_runs(experiment: str, run_ids: list[str], metric: str) -> None:
    """Print the runs table with rich."""
    from rich.console import Console
    from rich.table import Table

    rows = runs_table(experiment, run_ids, metric)
    table = Table(title=f"runs in experiment {experiment!r}, by {metric}")
    for name in ("run", "run id", "family", "input", *[label for _, label in COLUMNS], "promoted"):
        table.add_column(name, justify="right" if name not in ("run", "run id", "family", "input") else "left")
    for row in rows:
        table.add_row(row["run"], row["run_id"][:8], row["family"], row["input"],
                      *[f"{row[k]:.3f}" if row[k] is not None else "-" for k, _ in COLUMNS],
                      "yes" if row["promoted"] == "true" else "")
    Console(width=140).print(table)
