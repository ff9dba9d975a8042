"""Fuzz segmentation, attribution and scoring (texts, and files of any bytes) with hypothesis for a fixed time.

Runs the properties of ``tests/test_properties.py`` (any Unicode text and glued hostile pieces)
round-robin in batches until the time is up, then prints how many examples each target tried.
Exits 1 with the falsifying example on the first failure. Offline: the model is a tfidf pipeline
trained on the tiny test corpus in seconds, the spaCy model is the packaged one.

    .venv/bin/python experiments/fuzz.py --minutes 10
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the properties live in the test suite

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.test_properties import (  # noqa: E402
    JSONL_LINES,
    TEXTS,
    TXT_BYTES,
    check_attribution,
    check_score_files,
    check_scoring,
    check_segmentation,
)

BATCH = {"segment": 2000, "attribute": 200, "score": 100, "score_files": 30}


def tiny_pipeline() -> Any:
    """The tfidf pipeline of the test suite's ``tiny_pipeline`` fixture."""
    from stance.config import config_from_dict
    from stance.pipeline import Pipeline
    from stance.tracking import NullTracker
    from stance.train import train

    out = Path(tempfile.mkdtemp()) / "model"
    cfg = config_from_dict({"run_name": "fuzz", "data": {"corpus": str(ROOT / "tests" / "data" / "corpus")},
                            "model": {"family": "tfidf.v1", "params": {"max_features": 5000}}})
    train(cfg, NullTracker(), out, stdout=io.StringIO())
    return Pipeline.load(out)


def batch_runner(check: Callable[[Any], None], strategy: st.SearchStrategy[Any], n: int,
                 counter: dict[str, int], name: str) -> Callable[[], None]:
    """A hypothesis test of ``n`` fresh random examples (no example database, no deadline)."""

    @settings(max_examples=n, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(example: Any) -> None:
        counter[name] += 1
        check(example)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long to fuzz (default 10)")
    args = parser.parse_args()

    from stance.text.speakers import load_nlp

    print("preparing the tiny model and spaCy ...", flush=True)
    pipeline, nlp = tiny_pipeline(), load_nlp()
    counter = {name: 0 for name in BATCH}
    runners = {
        "segment": batch_runner(check_segmentation, TEXTS, BATCH["segment"], counter, "segment"),
        "attribute": batch_runner(lambda text: check_attribution(nlp, text), TEXTS, BATCH["attribute"], counter,
                                  "attribute"),
        "score": batch_runner(lambda texts: check_scoring(pipeline, texts), st.lists(TEXTS, min_size=1, max_size=3),
                              BATCH["score"], counter, "score"),
        "score_files": batch_runner(lambda args: check_score_files(pipeline, *args), st.tuples(JSONL_LINES, TXT_BYTES),
                                    BATCH["score_files"], counter, "score_files"),
    }
    started = time.monotonic()
    deadline = started + args.minutes * 60
    rounds = 0
    while time.monotonic() < deadline:
        for name, run in runners.items():
            if time.monotonic() >= deadline:
                break
            try:
                run()
            except Exception:
                traceback.print_exc()
                print(f"FAILED: {name} after {counter[name]} examples (the falsifying example is above)")
                return 1
        rounds += 1
        elapsed = time.monotonic() - started
        print(f"{elapsed / 60:5.1f} min  " + "  ".join(f"{k} {v}" for k, v in counter.items()), flush=True)
    elapsed = time.monotonic() - started
    print(f"fuzzed {elapsed / 60:.1f} minutes, {rounds} rounds: {sum(counter.values())} examples tried "
          f"({', '.join(f'{k} {v}' for k, v in counter.items())}); no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
