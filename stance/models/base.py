"""The classifier contract every model family follows (after scikit-learn's estimators).

A classifier predicts two tasks at once, stance and sentiment: ``fit(X, y)`` takes model input
strings and an ``(n, 2)`` array of labels; ``predict`` returns an ``(n, 2)`` array of labels;
``predict_proba`` returns one ``(n, n_classes)`` array per task, columns in ``classes_[task]``
order, after the temperatures :meth:`StanceClassifier.calibrate` fitted (families implement
``_predict_proba``, the uncalibrated scores). A label may be ``None``: that row has no label for
that task (NewsMTSC sentences carry sentiment only) and the task's head does not train on it.
``save(dir)`` writes a folder with ``manifest.json`` (family, stance version, labels,
params, library versions) beside the family's payload; :func:`load_classifier` reads it back
through the registry.
"""

from __future__ import annotations

import json
import platform
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from stance.errors import Errors, StanceError
from stance.models.calibration import fit_temperature, temper
from stance.types import AUTHOR, LABELS, TASKS

MANIFEST = "manifest.json"
CALIBRATION = "calibration.json"


PREVIOUS_CHARS = 300  # of the previous sentence, in ``context`` mode


def model_input(text: str, speaker: str | None = None, kind: str = "body", mode: str = "speaker",
                previous: str = "") -> str:
    """The string a classifier sees for one sentence.

    ``mode="sentence"`` gives the clean sentence alone; ``mode="speaker"`` prefixes whether the
    journalist narrates it, a quoted party speaks, or it is a headline, since the same words
    mean a stance in a party's mouth and background in the journalist's; ``mode="context"`` adds
    the previous sentence of the document after the sentence (so truncation cuts the context,
    not the sentence), where a quotation's topic is often named.
    """
    if mode == "sentence":
        return text
    if kind == "headline":
        tag = "[HEADLINE]"
    elif not speaker or speaker == AUTHOR:
        tag = "[AUTHOR]"
    else:
        tag = "[PARTY]"
    if mode == "context" and previous:
        return f"{tag} {text} [PREVIOUS] {previous[:PREVIOUS_CHARS]}"
    return f"{tag} {text}"


def previous_texts(keys: list[tuple[str, int]], texts: list[str]) -> list[str]:
    """For each ``(doc_id, sent_idx)``, the text of sentence ``sent_idx - 1`` of that document, if given."""
    by_key = dict(zip(keys, texts, strict=True))
    return [by_key.get((doc, idx - 1), "") for doc, idx in keys]


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Base of every family: the save/load manifest and the shared checks."""

    family: ClassVar[str] = ""

    @classmethod
    def check_params(cls, params: dict[str, Any], where: str = "params") -> None:
        """Checks of constructor ``params`` beyond their types (the config validates with it); none by default."""

    def _check_y(self, y: Any) -> np.ndarray:
        arr = np.asarray(y, dtype=object)
        if arr.ndim != 2 or arr.shape[1] != len(TASKS):
            raise ValueError(f"y must have shape (n, {len(TASKS)}) (stance, sentiment); got {arr.shape}")
        for j, task in enumerate(TASKS):
            bad = set(arr[:, j]) - set(LABELS.of(task)) - {None}
            if bad:
                raise ValueError(f"unknown {task} labels {sorted(bad)}; expected {LABELS.of(task)} or None")
            if not labelled(arr, j).any():
                raise ValueError(f"no row has a {task} label")
        return arr

    def predict(self, X: list[str]) -> np.ndarray:
        """Return an ``(n, 2)`` array of (stance, sentiment) labels."""
        probas = self.predict_proba(X)
        cols = [np.asarray(self.classes_[j])[p.argmax(axis=1)] for j, p in enumerate(probas)]
        return np.stack(cols, axis=1) if len(X) else np.empty((0, len(TASKS)), dtype=object)

    def predict_proba(self, X: list[str]) -> list[np.ndarray]:
        """One probability array per task, columns in ``classes_`` order, calibrated if fitted so."""
        return self.calibrated(self._predict_proba(X))

    def calibrated(self, probas: list[np.ndarray]) -> list[np.ndarray]:
        """Uncalibrated scores (``_predict_proba``) with the fitted temperatures applied, if any."""
        temperatures = getattr(self, "temperatures_", None)
        if not temperatures:
            return probas
        return [temper(p, t) for p, t in zip(probas, temperatures, strict=True)]

    def _predict_proba(self, X: list[str]) -> list[np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError

    def calibrate(self, X: list[str], y: Any, probas: list[np.ndarray] | None = None) -> list[float]:
        """Fit one temperature per task on held-out ``X, y`` (rows with a ``None`` label skipped).

        ``probas``, if given, are the uncalibrated scores of ``X`` already computed.

        Returns:
            The temperatures, in task order; ``predict_proba`` applies them from now on.
        """
        labels = np.asarray(y, dtype=object)
        probas = self._predict_proba(list(X)) if probas is None else probas
        temperatures = [fit_temperature(probas[j], gold_index(classes, labels[:, j]))
                        for j, classes in enumerate(self.classes_)]
        self.temperatures_ = temperatures
        return temperatures

    def save(self, path: str | Path) -> Path:
        """Write the model folder: manifest plus the family's payload."""
        import sklearn

        from stance import __version__

        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self._save_payload(path)
        if getattr(self, "temperatures_", None):
            (path / CALIBRATION).write_text(json.dumps({"temperatures": dict(zip(TASKS, self.temperatures_,
                                                                               strict=True))}), encoding="utf-8")
        manifest = {
            "family": self.family, "stance_version": __version__,
            "labels": {task: list(LABELS.of(task)) for task in TASKS},
            "params": self.get_params(),
            "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__},
        }
        (path / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> StanceClassifier:
        """Rebuild a fitted model from its folder (params from the manifest, then payload)."""
        path = Path(path)
        manifest = read_manifest(path)
        model = cls(**manifest["params"])
        model._load_payload(path)
        if (path / CALIBRATION).is_file():
            temperatures = json.loads((path / CALIBRATION).read_text(encoding="utf-8"))["temperatures"]
            model.temperatures_ = [float(temperatures[task]) for task in TASKS]
        return model

    def set_runtime(self, runtime: str, folder: str | Path | None = None) -> None:
        """Choose the inference runtime (see ``stance.models.runtime``); ``folder`` holds exported graphs.

        Families without a transformer encoder accept every runtime and ignore it.
        """
        from stance.models.runtime import check_runtime

        self.runtime_ = check_runtime(runtime)
        self.runtime_folder_ = Path(folder) if folder is not None else getattr(self, "runtime_folder_", None)

    def fixed_runtime(self) -> str | None:
        """The runtime the model was trained to run on, if fixed (training then tries no other); None: free."""
        return None

    def exceeds_window(self, X: list[str]) -> np.ndarray:
        """For each text, whether the model reads only part of it (longer than its token window)."""
        return np.zeros(len(X), dtype=bool)

    def export_runtime(self, folder: str | Path) -> list[Path]:
        """Write the exported inference graphs (ONNX) under ``folder``; none for families without an encoder."""
        return []

    def _save_payload(self, path: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _load_payload(self, path: Path) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def labelled(labels: np.ndarray, task: int) -> np.ndarray:
    """Boolean mask of the rows that carry a label for task column ``task``."""
    return np.array([v is not None for v in labels[:, task]], dtype=bool)


def gold_index(classes: Any, values: Any) -> np.ndarray:
    """Each gold label's column in ``classes``; ``-1`` for a label the model does not have (or ``None``)."""
    index = {c: k for k, c in enumerate(classes)}
    return np.array([index.get(v, -1) for v in values], dtype=int)


def fit_heads(make_head: Any, features: Any, labels: np.ndarray, sample_weight: np.ndarray | None) -> list[Any]:
    """One scikit-learn classifier per task, each fitted on the rows that have that task's label."""
    heads = []
    for j in range(len(TASKS)):
        rows = labelled(labels, j)
        heads.append(make_head().fit(features[rows], labels[rows, j].astype(str),
                                     sample_weight=None if sample_weight is None else np.asarray(sample_weight)[rows]))
    return heads


def read_manifest(path: Path) -> dict[str, Any]:
    """Read and check a model folder's manifest."""
    file = path / MANIFEST
    if not file.is_file():
        raise StanceError(Errors.E011.format(path=path, detail=f"no {MANIFEST}"))
    try:
        manifest: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StanceError(Errors.E011.format(path=path, detail=f"{MANIFEST} is not valid JSON ({exc})")) from None
    expected = {task: list(LABELS.of(task)) for task in TASKS}
    if manifest.get("labels") != expected:
        raise StanceError(Errors.E016.format(uri=str(path), seen=manifest.get("labels"), expected=expected))
    return manifest


def load_classifier(path: str | Path) -> StanceClassifier:
    """Load any model folder, dispatching on its manifest's family through the registry."""
    from stance.models.registry import get_family

    path = Path(path)
    manifest = read_manifest(path)
    cls = get_family(manifest.get("family", ""), where=str(path / MANIFEST))
    try:
        return cls.load(path)
    except Exception as exc:  # a truncated or foreign payload fails in many ways (EOF, unpickling, key errors)
        raise StanceError(Errors.E011.format(path=path, detail=f"{type(exc).__name__}: {exc}")) from None
