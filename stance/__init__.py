"""stance: speaker stance toward negotiations, and sentiment, for every sentence of an article."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Pipeline", "__version__", "load_model", "score_texts"]

if TYPE_CHECKING:
    from stance.pipeline import Pipeline, load_model, score_texts


def __getattr__(name: str) -> Any:
    """Import the heavy parts lazily, so ``import stance`` and ``stance --help`` stay instant."""
    if name in ("Pipeline", "load_model", "score_texts"):
        from stance import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'stance' has no attribute {name!r}")
