"""``make demo``: train the default model if none is registered, score the seed article, show it."""

from __future__ import annotations

from pathlib import Path

SEED_ARTICLE = Path("seeds/000_b62eaf8dc1d09b0d.txt")
DEFAULT_CONFIG = Path("configs/default.yaml")


def run(config: Path = DEFAULT_CONFIG, article: Path = SEED_ARTICLE, out: Path = Path("s.jsonl")) -> None:
    """Train if needed, score ``article`` into ``out`` and print its sentences with their labels."""
    import json

    from rich.console import Console
    from rich.table import Table

    from stance.config import load_config
    from stance.score import score_inputs
    from stance.text.segment import clean_text
    from stance.tracking import MlflowTracker, has_champion, resolve_pipeline, tracking_uri

    console = Console(width=160)
    MlflowTracker()  # sets the tracking URI
    if not has_champion():
        console.print(f"no champion model in {tracking_uri()}: training {config} (about 10 minutes, "
                      "then 6 of evaluation, on 2 cores) ...")
        import io

        from stance.train import train

        result = train(load_config(config), MlflowTracker(), Path("models/model-last"), stdout=io.StringIO())
        console.print(f"trained: real-text validation stance macro-F1 "
                      f"{result['metrics']['val_real_stance_macro_f1']:.3f}; "
                      f"registered {result['model'].get('model_uri')}")
    pipeline = resolve_pipeline(None)
    summary = score_inputs(pipeline, [str(article)], out, model_label="models:/stance@champion", progress=False)
    table = Table(title=f"{article.name}: {summary.sentences} sentences (rows in {out})", show_lines=False)
    for col in ("#", "kind", "speaker", "stance", "sentiment", "text"):
        table.add_column(col, overflow="fold", max_width=70 if col == "text" else None)
    for line in out.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        text = clean_text(row["text"])
        table.add_row(str(row["sent_idx"]), row["kind"], row["speaker"], row["stance"], row["sentiment"],
                      text[:140] + ("..." if len(text) > 140 else ""))
    console.print(table)
