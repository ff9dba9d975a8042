"""Run configuration: YAML -> pydantic (``extra="forbid"``) -> frozen objects passed down.

``--set key=value`` overrides use dotted keys (``model.params.C=2``); values are parsed as YAML
scalars. Validation errors are turned into one readable line naming the file and the field.
"""

from __future__ import annotations

import inspect
import typing
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from stance.errors import Errors, StanceError


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Frozen):
    """Where the corpus is and how it is split (by document, fixed seed)."""

    corpus: str = "seeds/corpus"
    validation_fraction: float = Field(default=0.15, gt=0, lt=0.5)
    test_fraction: float = Field(default=0.15, gt=0, lt=0.5)
    sources: tuple[str, ...] | None = None
    # Weight of each source's sentences in the loss (default 1). Real text is where the model is
    # used, so recipes may weigh it above the cleaner authored articles.
    source_weights: dict[str, float] = Field(default_factory=dict)
    # The split's own seed, apart from the run's ``seed``: runs that differ only in seed share
    # one test split, so their spread is the model's, not the split's.
    split_seed: int = 13
    # NewsMTSC's train split as extra sentiment-only training sentences (None: not used), their
    # weight in the sentiment loss, and a cap on how many (a seeded sample; None: all).
    newsmtsc: str | None = None
    newsmtsc_weight: float = Field(default=1.0, gt=0)
    newsmtsc_limit: int | None = Field(default=None, gt=0)
    # Where NewsMTSC's evaluation sets are read for the F1m report (None or missing: skipped).
    newsmtsc_eval: str | None = "seeds/newsmtsc"


class ModelConfig(_Frozen):
    """A model family by registry name and its constructor keyword arguments."""

    family: str = "tfidf.v1"
    params: dict[str, Any] = Field(default_factory=dict)
    input: Literal["sentence", "speaker", "context"] = "speaker"

    @model_validator(mode="after")
    def _check_params(self) -> ModelConfig:
        check_family_params(self.family, self.params)
        return self


def check_family_params(family: str, params: dict[str, Any], where: str = "params") -> None:
    """Check ``params`` against the constructor of ``family`` (and the family's own ``check_params``).

    Raises:
        ValueError: ``params.<field>: <problem> (family ... takes [...])``.
    """
    from stance.models.registry import get_family

    cls = get_family(family)
    hints = typing.get_type_hints(cls.__init__)
    fields: dict[str, Any] = {}
    for name, param in inspect.signature(cls.__init__).parameters.items():
        if name == "self":
            continue
        fields[name] = (hints.get(name, Any), param.default)
    params_model = create_model(
        f"{cls.__name__}Params", __config__=ConfigDict(extra="forbid"), **fields
    )
    try:
        params_model(**params)
    except ValidationError as exc:
        problems = "; ".join(f"{where}.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{problems} (family {family} takes {sorted(fields)})") from None
    cls.check_params(params, where)


class TrackingConfig(_Frozen):
    """How the run is tracked and whether its model may become the champion."""

    experiment: str = "stance"
    registered_model: str = "stance"
    promote: Literal["auto", "always", "never"] = "auto"
    promote_margin: float = 0.0
    # Log and register the model (False: metrics, plots and tables only, as `make experiments` runs).
    log_model: bool = True


class RunConfig(_Frozen):
    """A whole training run."""

    run_name: str = "run"
    seed: int = 13
    data: DataConfig = Field(default_factory=lambda: DataConfig())
    model: ModelConfig = Field(default_factory=ModelConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["model.params.C=2", ...]`` into a nested dict."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip() or any(not part for part in key.split(".")):
            raise StanceError(Errors.E009.format(item=item))
        node = out
        parts = key.strip().split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else ""
    return out


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: str | Path, overrides: list[str] | None = None) -> RunConfig:
    """Read a YAML config, apply overrides and validate it."""
    path = Path(path)
    if not path.is_file():
        raise StanceError(Errors.E015.format(path=path))
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise StanceError(Errors.E006.format(path=path, problems=f"invalid YAML ({exc})")) from None
    if not isinstance(raw, dict):
        raise StanceError(Errors.E006.format(path=path, problems="top level must be a mapping"))
    return config_from_dict(_merge(raw, parse_overrides(overrides)), where=str(path))


def config_from_dict(raw: dict[str, Any], where: str = "config") -> RunConfig:
    """Validate a config mapping, turning pydantic errors into one readable line."""
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(err) for err in exc.errors())
        raise StanceError(Errors.E006.format(path=where, problems=problems)) from None


def _describe(err: Any) -> str:
    """One pydantic error as ``field.path: message (saw value)``."""
    loc = ".".join(str(p) for p in err["loc"]) or "(top)"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if msg.startswith("params."):  # raised by ModelConfig with its own field path
        return f"{loc}.{msg}"
    seen = err.get("input")
    shown = f" (saw {seen!r})" if err["type"] != "missing" and not isinstance(seen, dict) else ""
    return f"{loc}: {msg}{shown}"


def dump_config(config: RunConfig) -> str:
    """The resolved config as YAML (round-trips through :func:`config_from_dict`)."""
    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
