"""The baseline family: word and character n-gram TF-IDF with a logistic regression per task."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import joblib
import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from stance.models.base import StanceClassifier, fit_heads


def ngram_features(max_features: int = 50000, chars: bool = True) -> FeatureUnion:
    """Word 1-2-gram TF-IDF, plus char_wb 2-5-grams (robust to inflection and typos)."""
    parts: list[tuple[str, TfidfVectorizer]] = [
        ("word", TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True, max_features=max_features)),
    ]
    if chars:
        parts.append(("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True,
                                              max_features=max_features)))
    return FeatureUnion(parts)


class TfidfClassifier(StanceClassifier):
    """Word 1-2-grams + char_wb 2-5-grams, one balanced logistic regression per task.

    Args:
        C: Inverse regularisation strength of the logistic regressions.
        max_features: Vocabulary cap of each vectoriser.
        class_weight: ``"balanced"`` to weigh rare stances up, or ``None``.
        seed: Random state of the solver.
    """

    family: ClassVar[str] = "tfidf.v1"

    def __init__(self, C: float = 4.0, max_features: int = 50000,
                 class_weight: str | None = "balanced", seed: int = 13) -> None:
        self.C = C
        self.max_features = max_features
        self.class_weight = class_weight
        self.seed = seed

    def fit(self, X: list[str], y: np.ndarray, sample_weight: np.ndarray | None = None) -> TfidfClassifier:
        """Fit the vectorisers and one logistic regression per task; return ``self``."""
        labels = self._check_y(y)
        self.vectorizer_ = ngram_features(self.max_features)
        features = self.vectorizer_.fit_transform(list(X))
        self.heads_ = fit_heads(lambda: LogisticRegression(C=self.C, max_iter=2000, class_weight=self.class_weight,
                                                           random_state=self.seed), features, labels, sample_weight)
        self.classes_ = [np.asarray(h.classes_) for h in self.heads_]
        return self

    def _predict_proba(self, X: list[str]) -> list[np.ndarray]:
        """One uncalibrated probability array per task, columns in ``classes_`` order."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "heads_")
        features = self.vectorizer_.transform(list(X))
        return [h.predict_proba(features) for h in self.heads_]

    def _save_payload(self, path: Path) -> None:
        joblib.dump({"vectorizer": self.vectorizer_, "heads": self.heads_}, path / "tfidf.joblib")

    def _load_payload(self, path: Path) -> None:
        payload = joblib.load(path / "tfidf.joblib")
        self.vectorizer_ = payload["vectorizer"]
        self.heads_ = payload["heads"]
        self.classes_ = [np.asarray(h.classes_) for h in self.heads_]
