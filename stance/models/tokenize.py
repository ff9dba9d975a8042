"""An encoder's ``tokenizer.json`` read with the ``tokenizers`` library, without importing transformers.

Importing transformers (and through it torch) is most of a cold start; an ONNX runtime needs
neither. The call mirrors the subset of a transformers fast tokenizer that the encoder uses, and
gives the same ids (``tests/test_runtime.py`` checks it against ``AutoTokenizer``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


class FastTokenizer:
    """``tokenizer.json`` of a local model folder; padding on the right with the model's pad token."""

    def __init__(self, folder: str | Path) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        settings_file = folder / "tokenizer_config.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8")) if settings_file.is_file() else {}
        pad = settings.get("pad_token", "[PAD]")
        pad = pad.get("content", "[PAD]") if isinstance(pad, dict) else pad
        pad_id = self._tok.token_to_id(pad)
        self.pad_id = 0 if pad_id is None else pad_id

    @staticmethod
    def available(folder: str | Path) -> bool:
        return (Path(folder) / "tokenizer.json").is_file()

    def __call__(self, texts: Sequence[str], padding: bool = False, truncation: bool = False,
                 max_length: int | None = None, return_tensors: str | None = None,
                 add_special_tokens: bool = True) -> dict[str, Any]:
        if truncation and max_length:
            self._tok.enable_truncation(max_length)
        else:
            self._tok.no_truncation()
        self._tok.no_padding()
        ids = [e.ids for e in self._tok.encode_batch(list(texts), add_special_tokens=add_special_tokens)]
        if return_tensors is None and not padding:
            return {"input_ids": ids, "attention_mask": [[1] * len(x) for x in ids]}
        width = max((len(x) for x in ids), default=0)
        input_ids = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for i, row in enumerate(ids):
            input_ids[i, : len(row)] = row
            mask[i, : len(row)] = 1
        if return_tensors == "pt":
            import torch

            return {"input_ids": torch.from_numpy(input_ids), "attention_mask": torch.from_numpy(mask)}
        return {"input_ids": input_ids, "attention_mask": mask}
