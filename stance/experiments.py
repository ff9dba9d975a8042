"""``make experiments``: every recipe in ``configs/`` with several seeds, then RESULTS.md from MLflow.

Runs go to their own MLflow experiment (``stance-experiments``), are tagged with the recipe,
the seed and a digest of the recipe file, and register no model. The report reads the runs
back: for each recipe, the newest finished run per seed whose digest matches the recipe file as
it is now; nothing in it is typed by hand. A run already there is not trained again (``--force``
does), so an interrupted batch resumes.

    python -m stance.experiments                      # all recipes, seeds 13 14 15, then the report
    python -m stance.experiments --report-only        # rewrite RESULTS.md from the runs logged
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from stance.data import NOT_REAL
from stance.data import REAL_SOURCES as REAL
from stance.types import LABELS

EXPERIMENT = "stance-experiments"
SEEDS = (13, 14, 15)
CONFIGS = Path("configs")
RESULTS = Path("experiments/RESULTS.md")
BUDGET_SECONDS = 720  # `make demo`'s model must train within 12 minutes on 2 cores


def recipes(folder: Path = CONFIGS) -> list[Path]:
    """The recipe files, in name order; a link (``default.yaml``, the demo's pick) is not a recipe of its own."""
    return sorted(p for p in folder.glob("*.yaml") if not p.is_symlink())


def digest(path: Path) -> str:
    """A short digest of a recipe's content (a changed setting gets new runs; a changed comment does not)."""
    import json

    import yaml

    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]


def corpus_digest(folder: Path = Path("seeds/corpus")) -> str:
    """A short digest of the built corpus: runs on another corpus are not this table's."""
    digest_ = hashlib.sha256()
    for name in ("documents.jsonl", "sentences.jsonl"):
        path = folder / name
        digest_.update(path.read_bytes() if path.is_file() else b"")
    return digest_.hexdigest()[:12]


def logged_runs(experiment: str = EXPERIMENT, uri: str | None = None) -> pd.DataFrame:
    """Every finished run of ``experiment`` (empty if there is none)."""
    import mlflow

    from stance.tracking import tracking_uri

    mlflow.set_tracking_uri(tracking_uri(uri))
    if mlflow.get_experiment_by_name(experiment) is None:
        return pd.DataFrame()
    runs: pd.DataFrame = mlflow.search_runs(experiment_names=[experiment], max_results=5000,
                                            filter_string="attributes.status = 'FINISHED'")
    return runs


def current_runs(runs: pd.DataFrame, files: Sequence[Path], corpus: str | None = None) -> pd.DataFrame:
    """Per recipe and seed, the newest run whose recipe digest matches the file now (and, given
    ``corpus``, that trained on the corpus of that digest)."""
    if runs.empty or "tags.stance.recipe" not in runs:
        return runs
    wanted = {p.stem: digest(p) for p in files}
    keep = runs[runs["tags.stance.recipe"].map(wanted.get) == runs["tags.stance.recipe_digest"]]
    if corpus is not None:
        keep = keep[keep.get("tags.stance.corpus_digest", pd.Series(None, index=keep.index)) == corpus]
    keep = keep.sort_values("start_time", ascending=False)
    return keep.drop_duplicates(["tags.stance.recipe", "tags.stance.seed"]).sort_values(
        ["tags.stance.recipe", "tags.stance.seed"])


def run_all(files: Sequence[Path], seeds: Sequence[int], experiment: str = EXPERIMENT, force: bool = False) -> None:
    """Train every recipe with every seed (skipping those already logged), tagging each run."""
    import mlflow

    from stance.config import load_config
    from stance.models.encoder import memo_size, remember_embeddings
    from stance.tracking import MlflowTracker
    from stance.train import train

    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
    done = set()
    if not force:
        existing = current_runs(logged_runs(experiment), files, corpus_digest())
        if not existing.empty:
            done = set(zip(existing["tags.stance.recipe"], existing["tags.stance.seed"].astype(int), strict=True))
    todo = [(f, s) for f in files for s in seeds if (f.stem, s) not in done]
    print(f"experiments: {len(todo)} runs to train ({len(files) * len(seeds) - len(todo)} already logged) "
          f"into MLflow experiment {experiment!r}", file=sys.stderr)
    started = time.perf_counter()
    recipe = None
    for k, (file, seed) in enumerate(todo, 1):
        if file != recipe:  # each recipe's first run embeds from scratch: its training time is honest
            remember_embeddings()
            recipe = file
        warm = memo_size() > 0  # embeddings left by this recipe's earlier seeds (hits on its own are no reuse)
        config = load_config(file, [f"seed={seed}", f"tracking.experiment={experiment}", "tracking.promote=never",
                                    "tracking.log_model=false", f"run_name={file.stem}"])
        tracker = MlflowTracker()
        out = Path(tempfile.mkdtemp(prefix="stance-exp-"))
        t0 = time.perf_counter()
        try:
            with open(os.devnull, "w") as quiet, mlflow.start_run(run_name=file.stem,
                                                                   experiment_id=_experiment_id(experiment)):
                mlflow.set_tags({"stance.recipe": file.stem, "stance.seed": str(seed),
                                 "stance.recipe_digest": digest(file), "stance.corpus_digest": corpus_digest()})
                result = train(config, tracker, out / "model", stdout=quiet)
                mlflow.set_tag("stance.embeddings_reused", str(warm).lower())
        finally:
            shutil.rmtree(out, ignore_errors=True)
        m = result["metrics"]
        print(f"[{k}/{len(todo)}] {file.stem} seed {seed}: real-text test stance macro-F1 "
              f"{m['test_real_stance_macro_f1']:.3f}, "
              f"{time.perf_counter() - t0:.0f} s (all: {(time.perf_counter() - started) / 60:.1f} min)",
              file=sys.stderr)


def _experiment_id(name: str) -> str:
    import mlflow

    from stance.tracking import artifact_root, tracking_uri

    found = mlflow.get_experiment_by_name(name)
    if found is not None:
        return str(found.experiment_id)
    return str(mlflow.create_experiment(name, artifact_location=artifact_root(tracking_uri())))


def _ms(values: pd.Series, scale: float = 1.0, digits: int = 3) -> str:
    """``mean ± sd`` of a metric over seeds (sample sd; one run: the mean alone)."""
    v = pd.to_numeric(values, errors="coerce").dropna().to_numpy() * scale
    if not len(v):
        return "–"
    if len(v) == 1:
        return f"{v[0]:.{digits}f}"
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}"


def _mean(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.mean()) if len(v) else float("nan")


def _sd(values: pd.Series) -> float:
    v = pd.to_numeric(values, errors="coerce").dropna()
    return float(v.std(ddof=1)) if len(v) > 1 else 0.0


def cold(runs: pd.DataFrame) -> pd.Series:
    """Which runs embedded every sentence themselves (their training time is what a user waits).

    ``make experiments`` keeps a recipe's embeddings in memory between its seeds; such runs are
    tagged ``stance.embeddings_reused=true`` (the memo already held embeddings when they started).
    A run logged without the tag counts as cold unless it is ``embedding.v1``.
    """
    tag = runs.get("tags.stance.embeddings_reused", pd.Series(None, index=runs.index, dtype=object))
    family = runs.get("params.config.model.family", pd.Series("", index=runs.index, dtype=object))
    return (tag == "false") | (tag.isna() & (family != "embedding.v1"))


def _metric(group: pd.DataFrame, name: str) -> pd.Series:
    return group.get(f"metrics.{name}", pd.Series(dtype=float))


def summary(runs: pd.DataFrame) -> list[dict[str, Any]]:
    """One dict per recipe: its runs and the means the verdicts use (time: cold runs only).

    ``test``/``val`` are the real-text stance macro-F1 (every source but authored and seed): the
    yardstick that chooses recipes.
    """
    out = []
    for recipe, group in runs.groupby("tags.stance.recipe", sort=True):
        seconds = group.loc[cold(group), "metrics.train_seconds"]
        out.append({"recipe": recipe, "runs": group, "n": len(group),
                    "test": _mean(_metric(group, "test_real_stance_macro_f1")),
                    "sd": _sd(_metric(group, "test_real_stance_macro_f1")),
                    "val": _mean(_metric(group, "val_real_stance_macro_f1")),
                    "val_sentiment": _mean(_metric(group, "val_real_sentiment_macro_f1")),
                    "seconds": _mean(seconds), "seconds_text": _ms(seconds, digits=0)})
    return out


def verdicts(rows: list[dict[str, Any]], baseline: str = "tfidf") -> list[str]:
    """The sentences the acceptance asks for, computed from the runs (real-text figures)."""
    lines: list[str] = []
    rows = [r for r in rows if not np.isnan(r["test"])]
    if not rows:
        return lines
    best = max(rows, key=lambda r: r["test"])
    base = next((r for r in rows if r["recipe"] == baseline), None)
    if base is not None:
        margin = best["test"] - base["test"]
        spread = max(best["sd"], base["sd"])
        caveat = ("; but neither recipe varies with the seed, so a spread of 0 measures no noise"
                  if spread == 0 and best is not base else "")
        lines.append(f"- Best recipe on real-text test stance macro-F1: **{best['recipe']}** {best['test']:.3f} "
                     f"against `{baseline}` {base['test']:.3f}: a margin of {margin:+.3f}, against a "
                     f"seed-to-seed spread (the larger sd of the two) of {spread:.3f}: the margin is "
                     f"{'larger' if margin > spread else 'NOT larger'}{caveat}.")
        others = [r for r in rows if r["sd"] > 0]
        if others:
            widest = max(others, key=lambda r: r["sd"])
            lines.append(f"- The widest seed-to-seed spread of real-text test stance macro-F1 is {widest['sd']:.3f} "
                         f"(`{widest['recipe']}`).")
    within = [r for r in rows if r["seconds"] <= BUDGET_SECONDS]
    if within:
        pick = max(within, key=lambda r: (r["val"] + r["val_sentiment"]) / 2)
        lines.append(f"- Best recipe that trains within {BUDGET_SECONDS // 60} minutes on this machine, by the "
                     f"mean of real-text validation stance and sentiment macro-F1 (test stays unseen by the "
                     f"choice): **{pick['recipe']}** (validation stance {pick['val']:.3f}, sentiment "
                     f"{pick['val_sentiment']:.3f}; real test stance {pick['test']:.3f}; {pick['seconds']:.0f} s "
                     f"to train).")
    return lines


def _machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _sizes(runs: pd.DataFrame) -> str:
    """The split sizes the runs logged (``n_train``, ``n_validation``, ``n_test``), as logged."""
    sizes = []
    for split in ("train", "validation", "test"):
        values = sorted(set(pd.to_numeric(runs.get(f"params.n_{split}", pd.Series(dtype=float)),
                                          errors="coerce").dropna().astype(int)))
        sizes.append(f"{split} {'/'.join(f'{v:,}' for v in values) or '–'}")
    return ", ".join(sizes)


def _per_source_table(rows: list[dict[str, Any]], task: str, split: str = "test") -> list[str]:
    columns = ["real", *REAL, *NOT_REAL]
    lines = ["| recipe | " + " | ".join(f"**{c}**" if c == "real" else c for c in columns) + " |",
             "|---|" + "---|" * len(columns)]
    for r in rows:
        cells = [_ms(_metric(r["runs"], f"{split}_{c}_{task}_macro_f1")) for c in columns]
        lines.append(f"| {r['recipe']} | " + " | ".join(cells) + " |")
    return lines


def render(runs: pd.DataFrame, experiment: str = EXPERIMENT) -> str:
    """RESULTS.md from the runs (as ``current_runs`` selects them): real text first, authored beside it."""
    rows = summary(runs)
    commits = sorted(set(runs["params.git_commit"].dropna().astype(str).str[:9])) if not runs.empty else []
    seeds = sorted(set(runs["tags.stance.seed"].astype(int))) if not runs.empty else []
    lines = [
        "# Results",
        "",
        f"Written by `make experiments` from the finished runs of MLflow experiment `{experiment}` "
        "(open them with `make ui`). Do not edit: every number below is read from those runs.",
        "",
        f"- Runs: {len(runs)}; seeds {', '.join(map(str, seeds)) or '–'}; code at commit(s) "
        f"{', '.join(commits) or '–'}; machine: {_machine()}.",
        "- **Real text is the yardstick.** *Real* pools the documents of every real source "
        f"({', '.join(REAL)}); `authored` (written for the corpus) and `seed` (the canonical article) are "
        "reported beside it and never mixed in. Recipes are chosen on real validation documents only.",
        f"- Splits (sentences, as the runs logged them): {_sizes(runs)}; by document with `data.split_seed` "
        "(13), the same for every run; the seed changes only the model (solver, initialisation, shuffles). "
        "The logistic-regression families have no randomness of their own: their sd is 0, or float rounding "
        "where a run embedded its sentences in other batches.",
        "- Figures are mean ± sd over seeds. Scores are calibrated by temperature scaling on validation; ECE "
        "(whole test split) is given before → after. NewsMTSC F1m is macro-F1 × 100 over each evaluation "
        "set's targets, from a sentence-level input (not target-aware); the published target-aware GRU-TSC "
        "reaches 83.1 (mt) and 82.5 (rw).",
        "- Train s is the time `fit` takes (embedding included), from the runs that embedded every sentence "
        "themselves: the runs of a recipe after its first reuse its embeddings (results change only by "
        "float rounding). CPU sentences/s is the classifier alone on the test split, with the runtime the "
        "run chose (segmentation and speakers excluded).",
        "",
        "## Summary: real text",
        "",
        "| recipe | family | input | runs | **real stance macro-F1 (test)** | real stance (validation) | "
        "real conditional F1 (test) | **real sentiment macro-F1 (test)** | real sentiment (validation) | "
        "authored stance (test) | train s | CPU sentences/s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        g = r["runs"]
        family = g["params.config.model.family"].iloc[0] if "params.config.model.family" in g else "?"
        mode = g["params.config.model.input"].iloc[0] if "params.config.model.input" in g else "?"
        lines.append(
            f"| {r['recipe']} | {family} | {mode} | {r['n']} | {_ms(_metric(g, 'test_real_stance_macro_f1'))} | "
            f"{_ms(_metric(g, 'val_real_stance_macro_f1'))} | "
            f"{_ms(_metric(g, 'test_real_stance_f1_conditional'))} | "
            f"{_ms(_metric(g, 'test_real_sentiment_macro_f1'))} | {_ms(_metric(g, 'val_real_sentiment_macro_f1'))} | "
            f"{_ms(_metric(g, 'test_authored_stance_macro_f1'))} | {r['seconds_text']} | "
            f"{_ms(_metric(g, 'cpu_sentences_per_s'), digits=0)} |")
    lines += ["", "## Verdicts", "", *verdicts(rows), "",
              "## Stance macro-F1 per source (test)", "", *_per_source_table(rows, "stance"), "",
              "## Stance macro-F1 per source (validation)", "", *_per_source_table(rows, "stance", "val"), "",
              "## Sentiment macro-F1 per source (test)", "", *_per_source_table(rows, "sentiment"), "",
              "## Stance F1 per class, real text (test)", "",
              "| recipe | " + " | ".join(LABELS.stance) + " |", "|---|" + "---|" * len(LABELS.stance)]
    for r in rows:
        cells = [_ms(_metric(r["runs"], f"test_real_stance_f1_{lab}")) for lab in LABELS.stance]
        lines.append(f"| {r['recipe']} | " + " | ".join(cells) + " |")
    lines += ["", "## The whole test split (real and authored together), calibration, NewsMTSC", "",
              "| recipe | stance macro-F1 (test) | sentiment macro-F1 (test) | stance ECE | sentiment ECE | "
              "NewsMTSC F1m mt | NewsMTSC F1m rw |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        g = r["runs"]
        ece = {t: f"{_ms(_metric(g, f'test_{t}_ece_raw'))} → {_ms(_metric(g, f'test_{t}_ece'))}"
               for t in ("stance", "sentiment")}
        lines.append(f"| {r['recipe']} | {_ms(_metric(g, 'test_stance_macro_f1'))} | "
                     f"{_ms(_metric(g, 'test_sentiment_macro_f1'))} | {ece['stance']} | {ece['sentiment']} | "
                     f"{_ms(_metric(g, 'newsmtsc_mt_sentiment_f1m'), digits=1)} | "
                     f"{_ms(_metric(g, 'newsmtsc_rw_sentiment_f1m'), digits=1)} |")
    return "\n".join(lines) + "\n"


def write_report(files: Sequence[Path], out: Path = RESULTS, experiment: str = EXPERIMENT) -> Path:
    """Write RESULTS.md from the logged runs of ``files``' recipes."""
    runs = current_runs(logged_runs(experiment), files, corpus_digest())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(runs, experiment), encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stance.experiments", description=__doc__.split("\n")[0])
    parser.add_argument("configs", nargs="*", type=Path, help="recipes (default: configs/*.yaml)")
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--experiment", default=EXPERIMENT)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--force", action="store_true", help="train again runs already logged")
    parser.add_argument("--report-only", action="store_true", help="only rewrite the report")
    args = parser.parse_args(argv)
    files = args.configs or recipes()
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        print(f"error: recipe file(s) not found: {', '.join(missing)}; expected YAML files such as "
              f"configs/tfidf.yaml", file=sys.stderr)
        return 1
    if not args.report_only:
        run_all(files, args.seeds, args.experiment, args.force)
    path = write_report(recipes(), args.out, args.experiment)  # the whole table, whatever was trained now
    print(f"experiments: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(main())
