"""Run configs: validation, overrides, round-trip."""

from __future__ import annotations

import pytest

from stance.config import config_from_dict, dump_config, load_config, parse_overrides
from stance.errors import StanceError


def test_round_trip_every_shipped_config():
    from pathlib import Path

    import yaml

    for path in sorted(Path("configs").glob("*.yaml")):
        cfg = load_config(path)
        again = config_from_dict(yaml.safe_load(dump_config(cfg)))
        assert again == cfg, path


def test_overrides_are_typed_and_nested():
    assert parse_overrides(["model.params.C=2.5", "seed=7", "model.input=sentence"]) == {
        "model": {"params": {"C": 2.5}, "input": "sentence"}, "seed": 7}
    cfg = load_config("configs/tfidf.yaml", ["model.params.C=0.5", "seed=3"])
    assert cfg.model.params["C"] == 0.5 and cfg.seed == 3


def test_unknown_key_names_file_and_field():
    with pytest.raises(StanceError, match=r"configs/tfidf.yaml: model.params.Cx: Extra inputs are not permitted"):
        load_config("configs/tfidf.yaml", ["model.params.Cx=1"])
    with pytest.raises(StanceError, match=r"epochs: Extra inputs are not permitted"):
        load_config("configs/tfidf.yaml", ["epochs=3"])


def test_wrong_type_names_value_seen():
    with pytest.raises(StanceError, match=r"seed: Input should be a valid integer.*saw 'abc'"):
        load_config("configs/tfidf.yaml", ["seed=abc"])
    with pytest.raises(StanceError, match=r"params.C: Input should be a valid number"):
        config_from_dict({"model": {"family": "tfidf.v1", "params": {"C": "lots"}}})


def test_bad_override_and_missing_file():
    with pytest.raises(StanceError, match="expected key=value"):
        parse_overrides(["seed"])
    with pytest.raises(StanceError, match="Config file not found: nope.yaml"):
        load_config("nope.yaml")


def test_config_is_frozen():
    cfg = config_from_dict({})
    with pytest.raises(Exception, match="frozen"):
        cfg.seed = 1  # type: ignore[misc]
