"""What every embedding provider returns: vectors that carry the space they live in.

A vector is only comparable with vectors of the same model and dimension, so the
(model id, dimension) pair travels with every array: `Embeddings` refuses a shape
that disagrees with its space, and stores refuse embeddings of another space. The
seed system lost track of this and mixed 384-d and 768-d vectors in one index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

# Retrieval models embed a search query and a stored text differently (e5's
# "query: " and "passage: " prefixes); symmetric models ignore the kind.
EmbeddingKind = Literal["query", "passage"]

FloatMatrix = npt.NDArray[np.float32]


class SpaceMismatchError(ValueError):
    """Vectors of one model or dimension met vectors of another."""


@dataclass(frozen=True, slots=True)
class EmbeddingSpace:
    """The model and dimension that make vectors comparable."""

    model_id: str
    dimension: int

    def __post_init__(self) -> None:
        if not self.model_id:
            raise ValueError("an embedding space needs a model id")
        if self.dimension < 1:
            raise ValueError(f"dimension must be positive, got {self.dimension}")

    def require(self, other: EmbeddingSpace) -> None:
        if other != self:
            raise SpaceMismatchError(
                f"vectors of {other.model_id} ({other.dimension}-d) cannot be used "
                f"with {self.model_id} ({self.dimension}-d)"
            )


@dataclass(frozen=True, slots=True)
class Embeddings:
    """n L2-normalised float32 vectors of one space, read-only."""

    space: EmbeddingSpace
    vectors: FloatMatrix

    def __post_init__(self) -> None:
        vectors = self.vectors
        if vectors.ndim != 2 or vectors.shape[1] != self.space.dimension:
            raise SpaceMismatchError(
                f"{self.space.model_id} has dimension {self.space.dimension}, "
                f"got an array of shape {vectors.shape}"
            )
        if vectors.dtype != np.float32:
            raise TypeError(f"embeddings must be float32, got {vectors.dtype}")
        if vectors.flags.writeable:
            # A private read-only copy: no caller can change vectors after the check.
            vectors = vectors.copy()
            vectors.flags.writeable = False
            object.__setattr__(self, "vectors", vectors)

    @classmethod
    def from_array(cls, space: EmbeddingSpace, array: npt.ArrayLike) -> Embeddings:
        """Tag raw model output with its space, normalising each row to unit length."""
        matrix = np.asarray(array, dtype=np.float32)
        if matrix.ndim == 1:
            matrix = matrix.reshape(1, -1)
        return cls(space, normalize_rows(matrix))

    @classmethod
    def empty(cls, space: EmbeddingSpace) -> Embeddings:
        return cls(space, np.zeros((0, space.dimension), dtype=np.float32))

    @property
    def model_id(self) -> str:
        return self.space.model_id

    @property
    def dimension(self) -> int:
        return self.space.dimension

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def row(self, index: int) -> Embeddings:
        """One vector, still tagged (a 1 × dimension collection)."""
        return Embeddings(self.space, self.vectors[index : index + 1])

    def concat(self, other: Embeddings) -> Embeddings:
        self.space.require(other.space)
        return Embeddings(self.space, np.concatenate([self.vectors, other.vectors]))


def normalize_rows(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # A zero vector (empty input) stays zero instead of becoming NaN.
    normalized: FloatMatrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)
    return normalized


@runtime_checkable
class EmbeddingProvider(Protocol):
    """Turns texts into vectors of one space. Chosen by settings; see providers/."""

    @property
    def space(self) -> EmbeddingSpace: ...

    async def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> Embeddings:
        """Embed `texts` in order; an empty sequence gives an empty collection."""
        ...
