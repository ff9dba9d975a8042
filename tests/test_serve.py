"""Acceptance: ``mlflow models serve -m models:/stance@champion --env-manager local`` answers a
REST scoring request for the seed article with rows of the scoring contract."""

from __future__ import annotations

import json
import os
import sys
import urllib.request
from pathlib import Path

import pytest

from .conftest import SEED
from .servers import free_port, server, wait_until_up

CONTRACT = ["doc_id", "sent_idx", "start", "end", "kind", "text", "speaker", "speaker_id", "stance", "stance_scores",
            "sentiment", "sentiment_scores", "model", "truncated"]


def _post(url: str, payload: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_models_serve_answers_with_contract_rows(mlflow_store, tmp_path, seed_gold):
    port = free_port()
    bin_dir = Path(sys.executable).parent  # the server execs `uvicorn` from PATH, as in an activated venv
    mlflow_cli = str(bin_dir / "mlflow")
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_store["uri"], "PATH": f"{bin_dir}:{os.environ['PATH']}",
           "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    command = [mlflow_cli, "models", "serve", "-m", "models:/stance@champion", "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    log = tmp_path / "serve.log"
    with server(command, env, log, cwd=tmp_path) as process:
        wait_until_up(f"http://127.0.0.1:{port}/ping", process, log)
        text = SEED.read_text(encoding="utf-8")
        articles = {"dataframe_split": {"columns": ["doc_id", "text"], "data": [["seed", text]]}}
        rows = _post(f"http://127.0.0.1:{port}/invocations", articles)["predictions"]
        sentences = {"dataframe_split": {"columns": ["doc_id", "sent_idx", "text", "speaker"],
                                         "data": [["s", 0, "We will sign only if the siege ends.", "the envoy"]]},
                     "params": {"model": "served"}}
        one = _post(f"http://127.0.0.1:{port}/invocations", sentences)["predictions"]
    assert len(rows) == len(seed_gold) == 43
    for i, row in enumerate(rows):
        assert list(row) == CONTRACT
        assert row["doc_id"] == "seed" and row["sent_idx"] == i
        assert text[row["start"]:row["end"]] == row["text"]
        scores = json.loads(row["stance_scores"])
        assert sorted(scores) == ["conditional", "dismissive", "neutral", "optimistic"]
        assert row["stance"] == max(scores, key=scores.get) or row["kind"] == "meta"
        assert abs(sum(json.loads(row["sentiment_scores"]).values()) - 1) < 1e-6
    assert [r["speaker"] for r in rows] == [g["speaker"] for g in seed_gold]
    assert [(r["speaker"], r["model"], r["text"]) for r in one] == [
        ("the envoy", "served", "We will sign only if the siege ends.")]
