"""Inference runtimes for the transformer encoder: PyTorch or ONNX Runtime, fp32 or dynamic int8.

Every runtime computes the same thing, the mean-pooled token states of a tokenised batch, so the
heads on top (logistic regressions or linear layers) stay as they are. ONNX graphs are exported
once with ``torch.onnx`` (pooling included) into the model folder's ``runtime/`` directory, where
``stance export`` and training put them so that MLflow logs them with the model. Training then
stores, in ``pipeline.json``, the fastest runtime that keeps validation macro-F1 within
``ACCURACY_BOUND`` of fp32 (:func:`choose_runtime`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import Errors, StanceError
from stance.models.encoder import mean_pool

RUNTIMES = ("torch", "torch-int8", "onnx", "onnx-int8")
# Fastest first, as measured by experiments/bench.py (experiments/BENCH.md).
SPEED_ORDER = ("onnx-int8", "torch-int8", "onnx", "torch")
# Training stores in the model the fastest runtime whose validation macro-F1 (each task) is within
# this much of fp32 PyTorch's. A folder that names none loads with fp32 ONNX: as accurate as
# PyTorch (scores equal to 1e-7) and faster, whatever the model.
ACCURACY_BOUND = 0.01
DEFAULT_RUNTIME = "onnx"
RUNTIME_DIR = "runtime"
ONNX_FILES = {"onnx": "encoder.onnx", "onnx-int8": "encoder-int8.onnx"}

# input_ids, attention_mask (int64 arrays) -> pooled states (float32, one row per text)
PooledRunner = Callable[[np.ndarray, np.ndarray], np.ndarray]


def check_runtime(runtime: str) -> str:
    """Return ``runtime`` if it is known, else raise a StanceError listing the choices."""
    if runtime not in RUNTIMES:
        raise StanceError(Errors.E050.format(runtime=runtime, available=", ".join(RUNTIMES)))
    return runtime


def pooled(body: Any) -> Any:
    """``body`` followed by mean pooling, as one torch module in eval mode (what ONNX export traces).

    torch is imported here, not with the module, so that families without an encoder never load it.
    """
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.body = inner

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.body(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return mean_pool(hidden, attention_mask)

    return Pooled(body).eval()


def export_onnx(body: Any, tokenizer: Any, folder: str | Path) -> dict[str, Path]:
    """Export ``body`` (+ pooling) to ONNX fp32 and its dynamic-int8 quantisation under ``folder/runtime``."""
    import logging
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = Path(folder) / RUNTIME_DIR
    target.mkdir(parents=True, exist_ok=True)
    fp32, int8 = target / ONNX_FILES["onnx"], target / ONNX_FILES["onnx-int8"]
    sample = tokenizer(["The talks resumed in Geneva.", "Both sides said a deal was close."],
                       padding=True, return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "pooled": {0: "batch"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(pooled(body), (sample["input_ids"], sample["attention_mask"]), str(fp32),
                          input_names=["input_ids", "attention_mask"], output_names=["pooled"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)
        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR  # onnxruntime's "consider pre-processing" notice
        try:
            quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        finally:
            root.setLevel(level)
    return {"onnx": fp32, "onnx-int8": int8}


def _threads() -> int:
    env = os.environ.get("STANCE_THREADS")
    return int(env) if env and env.isdigit() and int(env) > 0 else (os.cpu_count() or 1)


def torch_runner(body: Any, int8: bool = False) -> PooledRunner:
    """Run ``body`` in PyTorch, fp32 or with its Linear layers dynamically quantised to int8."""
    import warnings

    import torch

    model = pooled(body)
    if int8:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = model(torch.from_numpy(input_ids), torch.from_numpy(attention_mask))
        return np.asarray(out.numpy(), dtype=np.float32)

    return run


def onnx_runner(path: Path) -> PooledRunner:
    """Run an exported encoder graph in ONNX Runtime on the CPU."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = _threads()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def run(input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        feed = {"input_ids": input_ids.astype(np.int64), "attention_mask": attention_mask.astype(np.int64)}
        return np.asarray(session.run(None, feed)[0], dtype=np.float32)

    return run


def cache_dir(folder: Path | None) -> Path:
    """Where graphs exported on the fly for ``folder`` are kept (``STANCE_CACHE`` or ~/.cache/stance)."""
    import hashlib

    root = Path(os.environ.get("STANCE_CACHE") or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "stance")
    if folder is None:
        return Path(tempfile.mkdtemp(prefix="stance-onnx-"))
    manifest = folder / "manifest.json"
    stamp = f"{folder.resolve()}:{manifest.stat().st_mtime_ns if manifest.is_file() else 0}"
    return root / hashlib.sha1(stamp.encode()).hexdigest()[:16]


def make_runner(body: Any, tokenizer: Any, runtime: str, folder: str | Path | None) -> PooledRunner:
    """The runner of ``runtime`` for an encoder whose model folder is ``folder``.

    ``body`` is the torch model, or a function that loads it: an ONNX runtime whose graph exists
    never loads the torch weights (a faster cold start, less memory).
    ONNX graphs are read from ``folder/runtime/``, where training and ``stance export`` write them.
    A folder without them (an older model) is never modified: the graphs are exported once into
    a cache directory instead, and stderr says so.
    """
    check_runtime(runtime)

    def get_body() -> Any:
        return body() if callable(body) and not hasattr(body, "forward") else body

    if runtime in {"torch", "torch-int8"}:
        return torch_runner(get_body(), int8=runtime == "torch-int8")
    base = Path(folder) if folder is not None else None
    path = base / RUNTIME_DIR / ONNX_FILES[runtime] if base is not None else None
    if path is None or not path.is_file():
        cache = cache_dir(base)
        path = cache / RUNTIME_DIR / ONNX_FILES[runtime]
        if not path.is_file():
            print(f"stance: exporting the encoder to ONNX for runtime {runtime!r} into {cache} (once; "
                  "`stance export` stores it with the model)", file=sys.stderr)
            try:
                path = export_onnx(get_body(), tokenizer, cache)[runtime]
            except OSError as exc:
                raise StanceError(Errors.E051.format(uri=str(base), out=cache, detail=exc)) from None
    return onnx_runner(path)


def choose_runtime(classifier: Any, X: list[str], y: np.ndarray, folder: str | Path) -> tuple[str, dict[str, float]]:
    """The fastest runtime whose macro-F1 on ``(X, y)`` is within ``ACCURACY_BOUND`` of fp32 for both tasks.

    Returns the runtime and each runtime's macro-F1 per task (``{"onnx-int8_stance": ...}``). The
    classifier is left on fp32 PyTorch.
    """
    from sklearn.metrics import f1_score

    scores: dict[str, float] = {}
    for runtime in ("torch", *SPEED_ORDER[:-1]):
        classifier.set_runtime(runtime, folder)
        pred = classifier.predict(X)
        for j, task in enumerate(("stance", "sentiment")):
            scores[f"{runtime}_{task}"] = float(f1_score(list(y[:, j]), list(pred[:, j]), average="macro"))
    classifier.set_runtime("torch", folder)
    for runtime in SPEED_ORDER:
        if all(scores[f"torch_{t}"] - scores[f"{runtime}_{t}"] <= ACCURACY_BOUND for t in ("stance", "sentiment")):
            return runtime, scores
    return "torch", scores

