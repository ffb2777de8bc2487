"""Text embeddings: providers, the vectors they return and the spaces those vectors live in."""

from handwerkml.embeddings.base import (
    EmbeddingKind,
    EmbeddingProvider,
    Embeddings,
    EmbeddingSpace,
    SpaceMismatchError,
)

__all__ = [
    "EmbeddingKind",
    "EmbeddingProvider",
    "EmbeddingSpace",
    "Embeddings",
    "SpaceMismatchError",
]
