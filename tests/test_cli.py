"""The command line through typer's runner: train, score, evaluate, compare, promote, bad input."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stance.cli import app

from .conftest import ROOT, SEED, SEED_GOLD, TINY_CORPUS

runner = CliRunner()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """A project folder with its own MLflow store and one trained, registered model."""
    import os

    import mlflow

    work = tmp_path_factory.mktemp("project")
    old_cwd, old_uri = os.getcwd(), os.environ.get("MLFLOW_TRACKING_URI")
    os.chdir(work)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{work}/mlflow.db"
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    (work / "configs").mkdir()
    (work / "configs" / "tiny.yaml").write_text(
        f"run_name: tiny\ndata:\n  corpus: {TINY_CORPUS}\nmodel:\n  family: tfidf.v1\n  params:\n    max_features: 5000\n")
    # Two registered versions: v1 the champion; v2 must beat it by 1.0, so it stays challenger.
    first = invoke("train", "--config", "configs/tiny.yaml", "--output", "models/a")
    second = invoke("train", "--config", "configs/tiny.yaml", "--set", "tracking.promote_margin=1.0",
                    "--output", "models/b")
    (work / "train-output.json").write_text(json.dumps([first.exit_code, first.output, second.exit_code,
                                                        second.output]))
    yield work
    os.chdir(old_cwd)
    if old_uri is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = old_uri


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_no_trained_model_yet(tmp_path, monkeypatch):
    """An empty store (the commands read MLFLOW_TRACKING_URI on every call)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/empty.db")
    result = invoke("score", SEED, "--out", tmp_path / "s.jsonl")
    assert result.exit_code == 1
    assert "No trained model yet" in result.output and "stance train" in result.output
    assert "Traceback" not in result.output


def test_second_run_that_does_not_beat_the_champion_is_challenger(workdir):
    code1, out1, code2, out2 = json.loads((workdir / "train-output.json").read_text())
    assert code1 == 0, out1
    assert "registered models:/stance/1 as champion" in out1
    assert code2 == 0, out2
    assert "models:/stance/2 as challenger" in out2
    assert (workdir / "mlartifacts").is_dir() and (workdir / "mlflow.db").is_file()


def test_score_writes_contract_rows(workdir):
    out = workdir / "s.jsonl"
    result = invoke("score", SEED, "--out", out)
    assert result.exit_code == 0, result.output
    text = SEED.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    gold = [json.loads(line) for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()]
    assert [r["sent_idx"] for r in rows] == list(range(len(gold)))
    for row in rows:
        assert text[row["start"]:row["end"]] == row["text"]
        assert row["doc_id"] == "000_b62eaf8dc1d09b0d" and row["model"] == "models:/stance@champion"
        assert row["stance"] in ("optimistic", "dismissive", "conditional", "neutral")
        assert abs(sum(row["stance_scores"].values()) - 1) < 1e-6
        assert abs(sum(row["sentiment_scores"].values()) - 1) < 1e-6
        assert "<u>" not in row["speaker"]
    assert [r["speaker"] for r in rows] == [g["speaker"] for g in gold]
    assert all(r["stance"] == "neutral" for r in rows if r["kind"] == "meta")


def test_score_formats(workdir):
    for name in ("s.csv", "s.parquet"):
        result = invoke("score", SEED, "--out", workdir / name)
        assert result.exit_code == 0, result.output
    import pandas as pd

    assert len(pd.read_csv(workdir / "s.csv")) == len(pd.read_parquet(workdir / "s.parquet")) == 43
    bad = invoke("score", SEED, "--out", workdir / "s.xml")
    assert bad.exit_code == 1 and "Unsupported output format" in bad.output


def test_promote_and_compare(workdir):
    result = invoke("promote", "2")
    assert result.exit_code == 0 and "models:/stance@champion -> version 2" in result.output
    table = invoke("compare")
    assert table.exit_code == 0, table.output
    assert table.output.count("tiny") == 2 and "by val_real_stance_macro_f1" in table.output
    invoke("promote", "1")
    missing = invoke("promote", "99")
    assert missing.exit_code == 1 and "no such version" in missing.output


def test_evaluate_on_seed_gold(workdir):
    result = invoke("evaluate", "--data", SEED_GOLD, "--json", workdir / "m.json")
    assert result.exit_code == 0, result.output
    assert "sentence boundary F1 1.000" in result.output
    assert "speaker accuracy 1.000" in result.output
    assert "stance: macro-F1" in result.output and "confusion" in result.output
    metrics = json.loads((workdir / "m.json").read_text())
    assert metrics["sentences"] == 43


def test_batch_with_bad_documents(workdir):
    folder = workdir / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text("Talks resumed in Geneva. \"We are ready,\" the envoy said.\n", encoding="utf-8")
    (folder / "empty.txt").write_text("  \n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Les n\xe9gociations".encode("latin-1"))
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02PNG")
    jsonl = workdir / "docs.jsonl"
    jsonl.write_text('{"id": "a", "text": "The union rejected the offer."}\n{"id": "b", "body": "x"}\n{broken\n'
                     '{"id": "c", "text": "Talks will only resume if the strike ends."}\n', encoding="utf-8")
    out = workdir / "batch.jsonl"
    result = invoke("score", folder, jsonl, "--out", out, "--errors", workdir / "errors.jsonl")
    assert result.exit_code == 2, result.output
    assert "scored 3 documents" in result.output and "skipped 5 bad documents" in result.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert {r["doc_id"] for r in rows} == {"good", "a", "c"}
    reasons = [json.loads(x)["reason"] for x in (workdir / "errors.jsonl").read_text().splitlines()]
    assert any("binary file" in r for r in reasons)
    assert any("Empty document 'empty'" in r for r in reasons)
    assert any("Cannot decode" in r and "UTF-8" in r for r in reasons)
    assert any("has no 'text'" in r and "['body', 'id']" in r for r in reasons)
    assert any("invalid JSON" in r for r in reasons)


@pytest.mark.parametrize(("args", "message"), [
    (["score", "missing.txt", "--out", "o.jsonl"], "Input not found: missing.txt"),
    (["score", str(SEED), "--out", "o.jsonl", "--model", "models:/nope/7"], "Cannot load model 'models:/nope/7'"),
    (["score", str(SEED), "--out", "o.jsonl", "--model", "no-such-model"], "not a folder and not a URI"),
    (["train", "--config", "configs/tiny.yaml", "--set", "model.params.depth=3"], "model.params.depth: Extra inputs"),
    (["train", "--config", "configs/tiny.yaml", "--set", "seed=many"], "seed: Input should be a valid integer"),
    (["train", "--config", "configs/none.yaml"], "Config file not found"),
    (["evaluate", "--data", "nothing.jsonl"], "Input not found: nothing.jsonl"),
])
def test_user_errors_are_one_line(workdir, args, message):
    result = invoke(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_single_empty_file_fails_clearly(workdir):
    empty = workdir / "empty_article.txt"
    empty.write_text("")
    result = invoke("score", empty, "--out", workdir / "x.jsonl")
    assert result.exit_code == 1
    assert "Empty document 'empty_article'" in result.output and "Nothing to score" in result.output


def test_help_lists_commands():
    result = invoke("--help")
    for command in ("train", "score", "evaluate", "compare", "promote", "demo"):
        assert command in result.output
    assert ROOT.is_dir()


def test_pyfunc_model_in_a_fresh_process(workdir):
    """The registered champion loads with plain MLflow in a new process and returns contract rows."""
    import os
    import subprocess
    import sys

    code = (
        "import json, mlflow, pandas as pd\n"
        f"text = open({str(SEED)!r}, encoding='utf-8').read()\n"
        "model = mlflow.pyfunc.load_model('models:/stance@champion')\n"
        "out = model.predict(pd.DataFrame({'doc_id': ['seed'], 'text': [text]}))\n"
        "rows = out.to_dict('records')\n"
        "assert all(text[r['start']:r['end']] == r['text'] for r in rows)\n"
        "sent = model.predict(pd.DataFrame({'doc_id': ['x'], 'sent_idx': [0], 'text': ['We will sign only if it ends.']}))\n"
        "print(len(rows), rows[4]['speaker'], sorted(json.loads(rows[4]['stance_scores'])), len(sent))\n"
    )
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{workdir}/mlflow.db"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=workdir,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == (
        "43 Volodymyr Zelensky ['conditional', 'dismissive', 'neutral', 'optimistic'] 1")
