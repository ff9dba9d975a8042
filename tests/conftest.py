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
