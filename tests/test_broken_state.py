"""Broken state: damaged model folders, a foreign label set, a missing, locked or damaged MLflow store,
a registry without a champion, an unwritable output, two runs on one output.

Each gives one line naming the path and the fix, through the library and the CLI, and leaves
what was already written untouched.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.locks import lock_path, output_lock
from stance.pipeline import Pipeline
from stance.score import score_inputs
from stance.stores import check_store
from stance.tracking import resolve_pipeline

from .conftest import ROOT, SEED

runner = CliRunner()
PREVIOUS = '{"doc_id": "earlier run"}\n'


def score_cli(out: Path, *extra: str):
    return runner.invoke(app, ["score", str(SEED), "--out", str(out), *extra])


def one_error_line(result) -> str:
    """The CLI failed with exit 1 and printed exactly one line, an error, no traceback."""
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


@pytest.fixture
def model_dir(tiny_pipeline, tmp_path) -> Path:
    return tiny_pipeline.save(tmp_path / "model")


@pytest.fixture
def previous_output(tmp_path) -> Path:
    out = tmp_path / "scores.jsonl"
    out.write_text(PREVIOUS, encoding="utf-8")
    return out


@pytest.fixture
def store_env(monkeypatch, tmp_path):
    """Point MLFLOW_TRACKING_URI at a path under tmp_path; restore MLflow's global URI afterwards."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    monkeypatch.chdir(tmp_path)

    def use(path: Path) -> str:
        uri = f"sqlite:///{path}"
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
        return uri

    yield use
    mlflow.set_tracking_uri(previous)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


# (case, how the folder is damaged, what the message says about it)
DAMAGE = [
    ("no-manifest", lambda d: (d / "manifest.json").unlink(), "no manifest.json"),
    ("manifest-cut", lambda d: (d / "manifest.json").write_text('{"family": "tfidf.v1", "lab'),
     "manifest.json is not valid JSON"),
    ("payload-missing", lambda d: (d / "tfidf.joblib").unlink(), "FileNotFoundError"),
    ("payload-cut", lambda d: _truncate(d / "tfidf.joblib"), ": "),
    ("payload-garbage", lambda d: (d / "tfidf.joblib").write_bytes(b"\x80\x04garbage" * 50), ": "),
    ("payload-empty", lambda d: (d / "tfidf.joblib").write_bytes(b""), "EOFError"),
    ("settings-not-json", lambda d: (d / "pipeline.json").write_text("{oops"), "pipeline.json: Expecting"),
    ("settings-unknown", lambda d: (d / "pipeline.json").write_text('{"colour": 1}'),
     "pipeline.json: Pipeline.__init__() got an unexpected keyword argument 'colour'"),
]


@pytest.mark.parametrize(("case", "damage", "detail"), DAMAGE, ids=[d[0] for d in DAMAGE])
def test_damaged_model_folder(model_dir, previous_output, case, damage, detail):
    damage(model_dir)
    with pytest.raises(StanceError) as err:
        Pipeline.load(model_dir)
    message = str(err.value)
    assert message.startswith(f"Model folder {model_dir} is incomplete or damaged: ")
    assert detail in message and message.endswith("Retrain it or point --model at a complete folder.")
    line = one_error_line(score_cli(previous_output, "--model", str(model_dir)))
    assert line == f"error: {message}"
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS
    assert not lock_path(previous_output).exists()


def test_model_trained_with_another_label_set(model_dir, previous_output):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["labels"]["stance"] = ["pro", "anti", "neutral"]
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(StanceError) as err:
        Pipeline.load(model_dir)
    assert str(err.value) == (
        f"Model {str(model_dir)!r} was trained with labels {manifest['labels']}; expected "
        "{'stance': ['optimistic', 'dismissive', 'conditional', 'neutral'], "
        "'sentiment': ['positive', 'negative', 'neutral']}. Retrain it with this version of stance.")
    assert one_error_line(score_cli(previous_output, "--model", str(model_dir))) == f"error: {err.value}"
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


def test_missing_store_is_named_and_not_created(store_env, tmp_path, previous_output):
    db = tmp_path / "elsewhere" / "mlflow.db"
    uri = store_env(db)
    with pytest.raises(StanceError) as err:
        resolve_pipeline(None)
    assert str(err.value).startswith(f"No trained model yet: there is no MLflow store at {db} ({uri}). ")
    assert "set MLFLOW_TRACKING_URI" in str(err.value) and "stance train" in str(err.value)
    line = one_error_line(score_cli(previous_output))
    assert line == f"error: {err.value}"
    assert one_error_line(score_cli(previous_output, "--model", "models:/stance/1")) == line
    assert not db.exists() and not db.parent.exists()
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


def test_locked_store(store_env, tmp_path, previous_output):
    """Another connection holds an exclusive transaction (a writer mid-commit, a stuck process)."""
    db = tmp_path / "mlflow.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE registered_models (name TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        uri = store_env(db)
        with pytest.raises(StanceError) as err:
            check_store(uri, timeout=0.1)
        assert str(err.value) == (f"MLflow store {db} is locked by another process (database is locked). "
                                  "Wait for the other run (a training run?) to finish, then retry.")
        assert one_error_line(score_cli(previous_output)) == f"error: {err.value}"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


@pytest.mark.parametrize(("case", "make", "detail"), [
    ("not-a-database", lambda p: p.write_bytes(b"this is not SQLite\n" * 100), "file is not a database"),
    ("a-folder", lambda p: p.mkdir(), "it is not a file"),
    ("foreign-database", lambda p: sqlite3.connect(p).execute("CREATE TABLE notes (x)").connection.commit(),
     "a SQLite database without MLflow's tables (has ['notes'])"),
])
def test_unreadable_store(store_env, tmp_path, previous_output, case, make, detail):
    db = tmp_path / "mlflow.db"
    make(db)
    uri = store_env(db)
    with pytest.raises(StanceError) as err:
        resolve_pipeline(None)
    assert str(err.value) == (
        f"Cannot read the MLflow store {db} ({uri}): {detail}. Expected an MLflow SQLite database; "
        "set MLFLOW_TRACKING_URI to the right file, or move this one away and retrain.")
    assert one_error_line(score_cli(previous_output)) == f"error: {err.value}"
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


def test_registry_without_champion(store_env, tmp_path, previous_output):
    from mlflow import MlflowClient

    uri = store_env(tmp_path / "mlflow.db")
    MlflowClient(tracking_uri=uri).create_registered_model("stance")  # registered, but no version has the alias
    with pytest.raises(StanceError) as err:
        resolve_pipeline(None)
    assert str(err.value) == (
        f"No trained model yet: the registry at {uri} has no model 'stance' with alias 'champion'. "
        "Run `stance train --config configs/tfidf.yaml` (or `make demo`) first, or pass --model.")
    assert one_error_line(score_cli(previous_output)) == f"error: {err.value}"
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


@pytest.mark.parametrize(("case", "detail"), [("parent-is-a-file", "is a file, not a folder"),
                                              ("out-is-a-folder", "it is a folder")])
def test_output_not_writable(tiny_pipeline, model_dir, tmp_path, case, detail):
    blocker = tmp_path / "blocker.jsonl"
    if case == "parent-is-a-file":
        blocker.write_text("a file", encoding="utf-8")
        out = blocker / "scores.jsonl"
        expected = f"Cannot write {out}: {blocker} is a file, not a folder. Choose a writable --out path."
    else:
        blocker.mkdir()
        (blocker / "kept.txt").write_text("kept", encoding="utf-8")
        out = blocker
        expected = f"Cannot write {out}: it is a folder. Choose a writable --out path."
    with pytest.raises(StanceError) as err:
        score_inputs(tiny_pipeline, [SEED], out, progress=False)
    assert str(err.value) == expected
    assert one_error_line(score_cli(out, "--model", str(model_dir))) == f"error: {expected}"
    if case == "out-is-a-folder":
        assert [p.name for p in blocker.iterdir()] == ["kept.txt"]
    else:
        assert blocker.read_text(encoding="utf-8") == "a file"


def test_second_run_on_the_same_output_refuses(tiny_pipeline, model_dir, previous_output):
    lock = lock_path(previous_output)
    with output_lock(previous_output):
        assert lock.read_text().strip() == str(os.getpid())
        with pytest.raises(StanceError) as err:
            score_inputs(tiny_pipeline, [SEED], previous_output, progress=False)
        assert str(err.value) == (
            f"Output {previous_output} is being written by another stance run (pid {os.getpid()}; lock file "
            f"{lock}). Wait for that run to finish or choose another --out; if no run is writing it, delete {lock}.")
        assert one_error_line(score_cli(previous_output, "--model", str(model_dir))) == f"error: {err.value}"
        assert lock.read_text().strip() == str(os.getpid())  # the holder's lock is left alone
    assert not lock.exists()
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS


def test_lock_held_by_another_process_then_released(model_dir, tmp_path):
    out = tmp_path / "scores.jsonl"
    code = ("import sys\nfrom stance.locks import output_lock\n"
            f"with output_lock({str(out)!r}):\n    print('locked', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        line = one_error_line(score_cli(out, "--model", str(model_dir)))
        assert f"is being written by another stance run (pid {holder.pid};" in line
        assert not out.exists()
    finally:
        holder.communicate("", timeout=60)
    assert holder.returncode == 0 and not lock_path(out).exists()
    result = score_cli(out, "--model", str(model_dir))
    assert result.exit_code == 0, result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 43


def test_stale_lock_of_a_dead_run_is_taken_over(tiny_pipeline, model_dir, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)
    out = tmp_path / "scores.jsonl"
    lock = lock_path(out)
    lock.write_text(f"{pid}\n")
    result = score_cli(out, "--model", str(model_dir))
    assert result.exit_code == 0, result.output
    assert (f"warning: took over the stale lock {lock} of pid {pid}, which is no longer running (a killed run?)."
            in result.output.splitlines())
    assert len(out.read_text(encoding="utf-8").splitlines()) == 43
    assert not lock.exists() and not list(tmp_path.glob("*.stale.*"))


def test_unreadable_lock_file_is_not_overridden(model_dir, previous_output):
    """A lock without a pid (being written, or damaged) is left to the user, with the file to delete."""
    lock = lock_path(previous_output)
    lock.write_text("")
    line = one_error_line(score_cli(previous_output, "--model", str(model_dir)))
    assert line.startswith(f"error: Output {previous_output} is being written by another stance run (pid unknown;")
    assert line.endswith(f"delete {lock}.")
    assert lock.exists() and previous_output.read_text(encoding="utf-8") == PREVIOUS


def test_a_run_that_fails_midway_leaves_the_output_and_no_lock(tiny_pipeline, tmp_path, previous_output):
    """The model breaks on the second batch: the earlier output is intact, the lock is gone."""

    class BreaksOnSecondBatch:
        calls = 0

        def score_documents(self, docs):
            self.calls += 1
            if self.calls == 2:
                raise RuntimeError("out of memory")
            return tiny_pipeline.score_documents(docs)

    docs = tmp_path / "docs.jsonl"
    docs.write_text("".join(json.dumps({"id": str(i), "text": "Talks resumed."}) + "\n" for i in range(5)))
    with pytest.raises(RuntimeError, match="out of memory"):
        score_inputs(BreaksOnSecondBatch(), [docs], previous_output, batch_size=2, progress=False)
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS
    assert not lock_path(previous_output).exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("scores")) == ["scores.jsonl"]


def test_training_against_a_locked_or_damaged_store(store_env, tmp_path):
    """Training checks the store before its run starts: one line, nothing trained or written."""
    from stance.tracking import MlflowTracker

    from .conftest import TINY_CORPUS

    config = tmp_path / "tiny.yaml"
    config.write_text(f"run_name: tiny\ndata:\n  corpus: {TINY_CORPUS}\nmodel:\n  family: tfidf.v1\n")
    db = tmp_path / "mlflow.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("CREATE TABLE registered_models (name TEXT)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store_env(db)
        result = runner.invoke(app, ["train", "--config", str(config), "--output", str(tmp_path / "m")])
        assert one_error_line(result) == (f"error: MLflow store {db} is locked by another process (database is "
                                          "locked). Wait for the other run (a training run?) to finish, then retry.")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not (tmp_path / "m").exists() and not (tmp_path / "mlartifacts").exists()
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(StanceError, match="file is not a database"), MlflowTracker(f"sqlite:///{garbage}").start(
            "tiny", "stance"):
        pass


def test_errors_file_not_writable_fails_before_scoring(tiny_pipeline, model_dir, tmp_path, previous_output):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file", encoding="utf-8")
    errors = blocker / "errors.jsonl"
    expected = (f"Cannot write the errors file {errors}: {blocker} is a file, not a folder. "
                "Choose a writable --errors path (default: <out>.errors.jsonl).")
    with pytest.raises(StanceError) as err:
        score_inputs(tiny_pipeline, [SEED], previous_output, errors=errors, progress=False)
    assert str(err.value) == expected
    assert one_error_line(score_cli(previous_output, "--model", str(model_dir), "--errors", str(errors))) == (
        f"error: {expected}")
    folder = tmp_path / "errors-folder"
    folder.mkdir()
    line = one_error_line(score_cli(previous_output, "--model", str(model_dir), "--errors", str(folder)))
    assert line == f"error: Cannot write the errors file {folder}: it is a folder. Choose a writable --errors path " \
                   "(default: <out>.errors.jsonl)."
    assert previous_output.read_text(encoding="utf-8") == PREVIOUS and blocker.read_text() == "a file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "errors-folder", "model", "scores.jsonl"]


def test_stale_lock_taken_over_by_another_run_first_is_given_back(tmp_path, monkeypatch):
    """Two runs find the same stale lock; the one that renames it second must not delete the winner's lock."""
    import stance.locks

    out = tmp_path / "scores.jsonl"
    lock = lock_path(out)
    lock.write_text("999999999\n")  # no such pid
    winner = str(os.getppid())  # a live process: the run that took the stale lock over first
    real_rename = os.rename

    def rename_after_the_winner(src, dst):
        Path(src).write_text(winner + "\n")
        real_rename(src, dst)

    monkeypatch.setattr(stance.locks.os, "rename", rename_after_the_winner)
    with pytest.raises(StanceError, match=f"being written by another stance run \\(pid {winner};"):
        stance.locks.acquire(out)
    assert lock.read_text().strip() == winner
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.jsonl.lock"]
