"""The ONNX graph against a plain numpy BERT forward pass, on a tiny random model."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnxruntime as ort

from handwerkml.embeddings.bert_weights import Array, BertLayer, BertWeights, dequantize_q4
from handwerkml.embeddings.onnx_bert import build_bert_encoder, save_model


def tiny_bert(seed: int = 0, hidden: int = 32, heads: int = 4, layers: int = 2) -> BertWeights:
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> Array:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    return BertWeights(
        hidden=hidden,
        heads=heads,
        eps=1e-12,
        word_embeddings=w(50, hidden),
        position_embeddings=w(16, hidden),
        token_type_embedding=w(hidden),
        embed_norm_w=1 + w(hidden),
        embed_norm_b=w(hidden),
        layers=[
            BertLayer(
                w(hidden, hidden),
                w(hidden),
                w(hidden, hidden),
                w(hidden),
                w(hidden, hidden),
                w(hidden),
                w(hidden, hidden),
                w(hidden),
                1 + w(hidden),
                w(hidden),
                w(4 * hidden, hidden),
                w(4 * hidden),
                w(hidden, 4 * hidden),
                w(hidden),
                1 + w(hidden),
                w(hidden),
            )
            for _ in range(layers)
        ],
    )


def _norm(x: Array, g: Array, b: Array, eps: float) -> Array:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    normed: Array = ((x - mean) / np.sqrt(var + eps) * g + b).astype(np.float32)
    return normed


def numpy_encoder(weights: BertWeights, ids: list[int]) -> Array:
    """One text, no padding: the textbook BERT forward pass and mean pooling."""
    n, h = len(ids), weights.hidden
    d = h // weights.heads
    x = (
        weights.word_embeddings[ids]
        + weights.position_embeddings[:n]
        + weights.token_type_embedding
    )
    x = _norm(x, weights.embed_norm_w, weights.embed_norm_b, weights.eps)
    for layer in weights.layers:
        q = (x @ layer.query_w.T + layer.query_b).reshape(n, weights.heads, d).transpose(1, 0, 2)
        k = (x @ layer.key_w.T + layer.key_b).reshape(n, weights.heads, d).transpose(1, 0, 2)
        v = (x @ layer.value_w.T + layer.value_b).reshape(n, weights.heads, d).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d)
        p = np.exp(scores - scores.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        context = (p @ v).transpose(1, 0, 2).reshape(n, h)
        x = _norm(
            x + context @ layer.attn_out_w.T + layer.attn_out_b,
            layer.attn_norm_w, layer.attn_norm_b, weights.eps,
        )  # fmt: skip
        inner = x @ layer.ffn_in_w.T + layer.ffn_in_b
        gelu = 0.5 * inner * (1 + np.vectorize(math.erf)(inner / math.sqrt(2)))
        x = _norm(
            x + gelu @ layer.ffn_out_w.T + layer.ffn_out_b,
            layer.ffn_norm_w, layer.ffn_norm_b, weights.eps,
        )  # fmt: skip
    pooled = x.mean(0)
    unit: Array = (pooled / np.linalg.norm(pooled)).astype(np.float32)
    return unit


def test_fp32_graph_matches_numpy(tmp_path: Path) -> None:
    weights = tiny_bert()
    path = tmp_path / "tiny.onnx"
    save_model(build_bert_encoder(weights), path)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    # The provider runs one text per call, so texts of any length, none padded.
    for text in ([1, 5, 9, 2], [1, 7, 2], [1, 3, 4, 5, 6, 7, 2]):
        (out,) = session.run(["embedding"], {"input_ids": np.array([text], dtype=np.int64)})
        np.testing.assert_allclose(out[0], numpy_encoder(weights, text), atol=2e-5)


def test_dequantize_q4_block_layout() -> None:
    # One block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high).
    scale = np.array([0.5], dtype="<f2").tobytes()
    nibbles = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    out = dequantize_q4(scale + nibbles, 1, 32)
    expected = [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]
    np.testing.assert_allclose(out[0], expected)


def test_int8_graph_stays_close_to_fp32(tmp_path: Path) -> None:
    weights = tiny_bert(seed=1)
    texts = ([1, 5, 9, 2], [1, 7, 3, 4, 2])
    outputs = []
    for precision in ("fp32", "int8"):
        path = tmp_path / f"{precision}.onnx"
        save_model(build_bert_encoder(weights, precision), path)
        session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        feeds = ({"input_ids": np.array([text], dtype=np.int64)} for text in texts)
        outputs.append(np.concatenate([session.run(["embedding"], feed)[0] for feed in feeds]))
    assert np.min((outputs[0] * outputs[1]).sum(axis=1)) >= 0.99
