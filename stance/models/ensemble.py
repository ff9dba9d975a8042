"""Several families trained on the same rows, their calibrated probabilities averaged.

The frozen-embedding family (sentence embedding plus word and character n-grams, a linear
head) and the fine-tuned encoder err on different sentences, so a weighted mean of their
probabilities beats each (``experiments/RESULTS.md``). Each member is calibrated on the
validation set before the mean, so that an over-sure member does not outvote a better one;
training then calibrates the mean like any family's scores. The model folder holds each
member's own folder under ``members/<k>``.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stance.models.base import StanceClassifier, labelled, load_classifier
from stance.models.encoder import PACKAGED
from stance.types import LABELS, TASKS

MEMBERS_DIR = "members"
MEMBER_KEYS = {"family", "params", "weight", "complete_rows"}

# The `hybrid` and `finetune` recipes' models, equally weighted (configs/ensemble.yaml).
DEFAULT_MEMBERS: list[dict[str, Any]] = [
    {"family": "embedding.v1", "weight": 0.5, "complete_rows": True,
     "params": {"encoder": PACKAGED, "C": 16.0, "with_tfidf": True, "char_ngrams": True, "embedding_weight": 1.0}},
    {"family": "finetune.v1", "weight": 0.5,
     "params": {"encoder": PACKAGED, "epochs": 2, "batch_size": 16, "lr": 8e-5, "max_length": 64, "patience": 0,
                "freeze_embeddings": True}},
]


def member_specs(members: list[dict[str, Any]] | None, where: str = "params") -> list[dict[str, Any]]:
    """Each member with its defaults filled in (``params`` {}, ``weight`` 1, ``complete_rows`` false).

    Raises:
        ValueError: naming the member and what is wrong with it.
    """
    from stance.config import check_family_params

    members = DEFAULT_MEMBERS if members is None else members
    if not members:
        raise ValueError(f"{where}.members: an ensemble needs at least one member")
    specs = []
    for k, member in enumerate(members):
        at = f"{where}.members.{k}"
        if not isinstance(member, dict) or "family" not in member:
            raise ValueError(f"{at}: expected a mapping with a 'family' (and optional params, weight, "
                             f"complete_rows); got {member!r}")
        unknown = set(member) - MEMBER_KEYS
        if unknown:
            raise ValueError(f"{at}: unknown keys {sorted(unknown)}; expected {sorted(MEMBER_KEYS)}")
        spec = {"params": {}, "weight": 1.0, "complete_rows": False, **member}
        if spec["family"] == EnsembleClassifier.family:
            raise ValueError(f"{at}.family: an ensemble cannot be a member of an ensemble")
        if not isinstance(spec["weight"], (int, float)) or isinstance(spec["weight"], bool) or spec["weight"] <= 0:
            raise ValueError(f"{at}.weight: expected a number above 0; got {spec['weight']!r}")
        if not isinstance(spec["complete_rows"], bool):
            raise ValueError(f"{at}.complete_rows: expected true or false; got {spec['complete_rows']!r}")
        if not isinstance(spec["params"], dict):
            raise ValueError(f"{at}.params: expected a mapping; got {spec['params']!r}")
        check_family_params(spec["family"], spec["params"], where=f"{at}.params")
        specs.append(spec)
    return specs


class EnsembleClassifier(StanceClassifier):
    """The weighted mean of several families' calibrated probabilities.

    Args:
        members: One mapping per member: ``family`` (a registry name), ``params`` (its
            constructor arguments), ``weight`` (its share of the mean, normalised) and
            ``complete_rows`` (train it only on rows labelled for every task: the
            embedding family's sentiment head is worse with NewsMTSC's sentiment-only rows).
            ``None``: :data:`DEFAULT_MEMBERS`.
        seed: Seed of every member that takes one and does not set its own.
    """

    family: ClassVar[str] = "ensemble.v1"

    def __init__(self, members: list[dict[str, Any]] | None = None, seed: int = 13) -> None:
        self.members = members
        self.seed = seed

    @classmethod
    def check_params(cls, params: dict[str, Any], where: str = "params") -> None:
        member_specs(params.get("members"), where)

    def fit(self, X: list[str], y: np.ndarray, eval_set: tuple[list[str], np.ndarray] | None = None,
            callback: Any = None, sample_weight: np.ndarray | None = None) -> EnsembleClassifier:
        """Fit every member on ``X, y`` (or its complete rows) and calibrate it on ``eval_set``; return ``self``.

        ``eval_set`` and ``callback`` reach the members that train in epochs.
        """
        from stance.models.registry import get_family

        labels = self._check_y(y)
        X = list(X)
        complete = np.all([labelled(labels, j) for j in range(len(TASKS))], axis=0)
        self.members_: list[StanceClassifier] = []
        for spec in member_specs(self.members):
            cls = get_family(spec["family"])
            params = dict(spec["params"])
            if "seed" in inspect.signature(cls.__init__).parameters:
                params.setdefault("seed", self.seed)
            member = cls(**params)
            rows = complete if spec["complete_rows"] else np.ones(len(X), dtype=bool)
            accepted = inspect.signature(member.fit).parameters
            args: dict[str, Any] = {}
            if sample_weight is not None and "sample_weight" in accepted:
                args["sample_weight"] = np.asarray(sample_weight)[rows]
            if "eval_set" in accepted:
                args["eval_set"], args["callback"] = eval_set, callback
            member.fit([x for x, keep in zip(X, rows, strict=True) if keep], labels[rows], **args)
            if eval_set is not None:
                member.calibrate(eval_set[0], eval_set[1])
            self.members_.append(member)
        self.classes_ = [np.asarray(LABELS.of(task)) for task in TASKS]
        return self

    def _weights(self) -> np.ndarray:
        weights = np.array([spec["weight"] for spec in member_specs(self.members)], dtype=float)
        return weights / weights.sum()

    def _predict_proba(self, X: list[str]) -> list[np.ndarray]:
        """The weighted mean of the members' (calibrated) probabilities, columns in ``classes_`` order."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "members_")
        X = list(X)
        out = [np.zeros((len(X), len(classes))) for classes in self.classes_]
        for weight, member in zip(self._weights(), self.members_, strict=True):
            for j, proba in enumerate(member.predict_proba(X)):
                columns = [list(self.classes_[j]).index(c) for c in member.classes_[j]]
                out[j][:, columns] += weight * proba  # a class a member never saw gets no share from it
        return [p / np.clip(p.sum(axis=1, keepdims=True), 1e-12, None) for p in out]

    def set_runtime(self, runtime: str, folder: str | Path | None = None) -> None:
        super().set_runtime(runtime, folder)
        for k, member in enumerate(getattr(self, "members_", [])):
            member.set_runtime(runtime, Path(folder) / MEMBERS_DIR / str(k) if folder is not None else None)

    def fixed_runtime(self) -> str | None:
        """A member's fixed runtime (one runtime runs every member), else None."""
        return next((r for m in getattr(self, "members_", []) if (r := m.fixed_runtime())), None)

    def exceeds_window(self, X: list[str]) -> np.ndarray:
        flags = [member.exceeds_window(X) for member in self.members_]
        return np.any(flags, axis=0) if flags else np.zeros(len(X), dtype=bool)

    def export_runtime(self, folder: str | Path) -> list[Path]:
        return [f for k, member in enumerate(self.members_)
                for f in member.export_runtime(Path(folder) / MEMBERS_DIR / str(k))]

    def _save_payload(self, path: Path) -> None:
        for k, member in enumerate(self.members_):
            member.save(path / MEMBERS_DIR / str(k))

    def _load_payload(self, path: Path) -> None:
        self.members_ = [load_classifier(path / MEMBERS_DIR / str(k)) for k in range(len(member_specs(self.members)))]
        self.classes_ = [np.asarray(LABELS.of(task)) for task in TASKS]
        self.runtime_folder_ = path
