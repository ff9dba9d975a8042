"""Model families by stable, versioned name (``tfidf.v1``): one explicit dict."""

from __future__ import annotations

from importlib import import_module

from stance.errors import Errors, StanceError
from stance.models.base import StanceClassifier

# name -> "module:Class"; imported on demand so a family's heavy dependencies stay lazy.
FAMILIES: dict[str, str] = {
    "tfidf.v1": "stance.models.tfidf:TfidfClassifier",
    "embedding.v1": "stance.models.embedding:EmbeddingClassifier",
    "finetune.v1": "stance.models.finetune:FinetuneClassifier",
    "ensemble.v1": "stance.models.ensemble:EnsembleClassifier",
}


def get_family(name: str, where: str = "config") -> type[StanceClassifier]:
    """Return the class registered under ``name``."""
    target = FAMILIES.get(name)
    if target is None:
        raise StanceError(Errors.E010.format(name=name, where=where, available=sorted(FAMILIES)))
    module, cls = target.split(":")
    family: type[StanceClassifier] = getattr(import_module(module), cls)
    return family
