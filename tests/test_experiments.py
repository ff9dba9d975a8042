"""The results report: which runs it reads, the figures it computes and the verdicts it states."""

from __future__ import annotations

import pandas as pd
import pytest

from stance import experiments


def _run(recipe, seed, test, val, seconds, digest, start):
    row = {"tags.stance.recipe": recipe, "tags.stance.seed": str(seed), "tags.stance.recipe_digest": digest,
           "start_time": pd.Timestamp("2026-11-25") + pd.Timedelta(minutes=start),
           "params.git_commit": "abcdef1234", "params.config.model.family": "tfidf.v1",
           "params.config.model.input": "speaker", "metrics.test_real_stance_macro_f1": test,
           "metrics.val_real_stance_macro_f1": val, "metrics.test_real_sentiment_macro_f1": 0.7,
           "metrics.val_real_sentiment_macro_f1": 0.6, "metrics.test_stance_macro_f1": 0.9,
           "metrics.test_real_stance_f1_conditional": 0.5, "params.n_test": "1126",
           "metrics.train_seconds": seconds, "metrics.test_stance_ece": 0.02, "metrics.test_stance_ece_raw": 0.06,
           "metrics.test_sentiment_ece": 0.03, "metrics.test_sentiment_ece_raw": 0.05,
           "metrics.cpu_sentences_per_s": 1000.0, "metrics.test_authored_stance_macro_f1": test}
    return row


@pytest.fixture
def recipes(tmp_path):
    files = []
    for name in ("tfidf", "big", "slow"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(f"run_name: {name}\n", encoding="utf-8")
        files.append(path)
    return files


def test_report_reads_the_newest_run_per_seed_of_the_current_recipe(recipes):
    d = {p.stem: experiments.digest(p) for p in recipes}
    runs = pd.DataFrame([
        _run("tfidf", 13, 0.70, 0.70, 10, d["tfidf"], 0),
        _run("tfidf", 13, 0.76, 0.75, 10, d["tfidf"], 5),      # newer run of the same seed: this one counts
        _run("tfidf", 14, 0.76, 0.75, 10, d["tfidf"], 6),
        _run("big", 13, 0.80, 0.77, 300, d["big"], 7),
        _run("big", 14, 0.82, 0.78, 320, d["big"], 8),
        _run("big", 15, 0.99, 0.99, 300, "0ld0ld0ld0ld", 9),   # an older version of the recipe file: ignored
        _run("slow", 13, 0.83, 0.80, 2400, d["slow"], 10),
    ])
    current = experiments.current_runs(runs, recipes)
    assert sorted(zip(current["tags.stance.recipe"], current["tags.stance.seed"], strict=True)) == [
        ("big", "13"), ("big", "14"), ("slow", "13"), ("tfidf", "13"), ("tfidf", "14")]
    text = experiments.render(current)
    # Real-text test stance, validation, conditional F1, real sentiment test and validation, authored.
    assert ("| big | tfidf.v1 | speaker | 2 | 0.810 ± 0.014 | 0.775 ± 0.007 | 0.500 ± 0.000 | 0.700 ± 0.000 | "
            "0.600 ± 0.000 | 0.810 ± 0.014 |") in text
    assert "| tfidf | tfidf.v1 | speaker | 2 | 0.760 ± 0.000 |" in text
    assert "0.060 ± 0.000 → 0.020 ± 0.000" in text  # ECE before -> after calibration
    assert "test 1,126" in text  # the split sizes are read from the runs' params
    # The best on real test is "slow" (one seed, sd 0): margin 0.070 over tfidf, spread 0.000.
    assert "**slow** 0.830 against `tfidf` 0.760: a margin of +0.070" in text
    assert "the margin is larger; but neither recipe varies with the seed" in text
    assert "The widest seed-to-seed spread of real-text test stance macro-F1 is 0.014 (`big`)." in text
    # Within the 12-minute budget the choice is by real validation: "big" ((0.775 + 0.6) / 2), not "slow" (40 min).
    assert "trains within 12 minutes on this machine, by the mean of real-text validation stance and sentiment" in text
    assert "**big** (validation stance 0.775, sentiment 0.600; real test stance 0.810; 310 s to train)" in text


def test_a_margin_inside_the_spread_is_called_so(recipes):
    d = {p.stem: experiments.digest(p) for p in recipes}
    runs = pd.DataFrame([_run("tfidf", 13, 0.76, 0.75, 10, d["tfidf"], 0),
                         _run("big", 13, 0.78, 0.77, 300, d["big"], 1),
                         _run("big", 14, 0.74, 0.77, 300, d["big"], 2)])
    text = experiments.render(experiments.current_runs(runs, recipes))
    assert "the margin is NOT larger" in text


def test_missing_recipe_file_is_one_clear_line(capsys):
    assert experiments.main(["configs/nope.yaml", "--report-only"]) == 1
    assert "recipe file(s) not found: configs/nope.yaml" in capsys.readouterr().err


def test_training_time_comes_from_runs_that_embedded_from_scratch(recipes):
    d = {p.stem: experiments.digest(p) for p in recipes}
    first, second = _run("big", 13, 0.8, 0.8, 200, d["big"], 0), _run("big", 14, 0.8, 0.8, 20, d["big"], 1)
    untagged = _run("tfidf", 13, 0.7, 0.7, 9, d["tfidf"], 2)
    for row, reused in ((first, "false"), (second, "true")):
        row.update({"params.config.model.family": "embedding.v1", "tags.stance.embeddings_reused": reused})
    runs = pd.DataFrame([first, second, untagged])
    assert list(experiments.cold(runs)) == [True, False, True]
    rows = {r["recipe"]: r for r in experiments.summary(experiments.current_runs(runs, recipes))}
    assert rows["big"]["seconds"] == 200 and rows["tfidf"]["seconds"] == 9
    stale = pd.DataFrame([second])  # only a run that reused embeddings: its time is unknown, not 20 s
    assert "| big | embedding.v1 | speaker | 1 | 0.800 | 0.800 | 0.500 | 0.700 | 0.600 | 0.800 | – |" in experiments.render(
        experiments.current_runs(stale, recipes))


def test_make_demo_trains_the_recipe_the_results_pick():
    """configs/default.yaml trains what RESULTS.md names the best recipe within the 12-minute budget."""
    import re
    from pathlib import Path

    from stance.config import load_config

    root = Path(__file__).resolve().parents[1]
    text = (root / "experiments" / "RESULTS.md").read_text(encoding="utf-8")
    pick = re.search(r"trains within 12 minutes on this machine.*?\*\*([\w-]+)\*\*", text)
    assert pick, "RESULTS.md names no recipe within the budget: run `make experiments`"
    assert (root / "configs" / "default.yaml").resolve().stem == pick.group(1)
    default, best = (load_config(root / "configs" / f"{name}.yaml") for name in ("default", pick.group(1)))
    assert (default.model, default.data) == (best.model, best.data)


def test_a_comment_keeps_the_digest_a_setting_changes_it_and_a_link_is_no_recipe(tmp_path):
    recipe = tmp_path / "big.yaml"
    recipe.write_text("run_name: big\nseed: 13\n", encoding="utf-8")
    before = experiments.digest(recipe)
    recipe.write_text("# what big is\nrun_name: big\nseed:   13\n", encoding="utf-8")
    assert experiments.digest(recipe) == before
    recipe.write_text("run_name: big\nseed: 14\n", encoding="utf-8")
    assert experiments.digest(recipe) != before
    (tmp_path / "default.yaml").symlink_to("big.yaml")
    assert experiments.recipes(tmp_path) == [recipe]


def test_runs_on_another_corpus_are_left_out(recipes):
    d = {p.stem: experiments.digest(p) for p in recipes}
    now, before = _run("tfidf", 13, 0.7, 0.7, 9, d["tfidf"], 0), _run("tfidf", 14, 0.9, 0.9, 9, d["tfidf"], 1)
    now["tags.stance.corpus_digest"], before["tags.stance.corpus_digest"] = "c0ffee", "01d01d"
    kept = experiments.current_runs(pd.DataFrame([now, before]), recipes, corpus="c0ffee")
    assert list(kept["tags.stance.seed"]) == ["13"]
