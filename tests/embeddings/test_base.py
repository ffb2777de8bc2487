from __future__ import annotations

import numpy as np
import pytest

from handwerkml.embeddings.base import Embeddings, EmbeddingSpace, SpaceMismatchError

E5 = EmbeddingSpace("local:multilingual-e5-small@onnx-int8", 384)


def test_rows_are_normalised_and_read_only() -> None:
    raw = np.array([[3.0, 4.0] + [0.0] * 382, [0.0] * 384], dtype=np.float32)
    embeddings = Embeddings.from_array(E5, raw)
    np.testing.assert_allclose(np.linalg.norm(embeddings.vectors, axis=1), [1.0, 0.0], atol=1e-6)
    with pytest.raises(ValueError, match="read-only"):
        embeddings.vectors[0, 0] = 1.0
    raw[0, 0] = 100.0  # the caller's array is not shared
    assert embeddings.vectors[0, 0] == pytest.approx(0.6)


def test_shape_must_match_the_space() -> None:
    with pytest.raises(SpaceMismatchError, match="384"):
        Embeddings(E5, np.zeros((2, 768), dtype=np.float32))
    with pytest.raises(TypeError):
        Embeddings(E5, np.zeros((2, 384), dtype=np.float64))


def test_spaces_do_not_mix() -> None:
    other = EmbeddingSpace("local:multilingual-e5-small@onnx-fp32", 384)
    a = Embeddings.from_array(E5, np.ones((1, 384)))
    b = Embeddings.from_array(other, np.ones((1, 384)))
    with pytest.raises(SpaceMismatchError):
        a.concat(b)
    assert len(a.concat(a)) == 2
    assert a.row(0).space == E5


def test_space_validates() -> None:
    with pytest.raises(ValueError, match="model id"):
        EmbeddingSpace("", 384)
    with pytest.raises(ValueError, match="positive"):
        EmbeddingSpace("m", 0)
