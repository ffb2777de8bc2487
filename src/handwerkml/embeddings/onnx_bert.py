"""Build a BERT sentence encoder as an ONNX graph straight from numpy weights.

Exporting through PyTorch would make every install carry PyTorch; the graph of a
post-LayerNorm BERT encoder with mean pooling is small enough to write with
onnx's helpers. Attention is ONNX Runtime's fused MultiHeadAttention kernel;
its optimiser fuses the LayerNorm and GELU patterns below when the session loads.

Graph input: input_ids, int64 [batch, tokens], every row a whole text: there is
no padding and no attention mask. The provider runs one text per call
(providers/local.py), which is what makes ONNX Runtime take its flash-attention
path (it has none for masked attention) and what keeps a text's vector
independent of any other text: int8 activations are scaled per call.
Output: "embedding", float32 [batch, hidden], mean-pooled and L2-normalised.

int8: the graph is written quantised directly (no fp32 model and no
onnxruntime.quantization pass). Linear layers become DynamicQuantizeMatMul
(ONNX Runtime's kernel for int8 weights with one scale per output channel and
activations quantised per call, so per text), the word embedding table is int8
with one scale per row. When texts were batched with padding, one activation
scale spanned the whole batch and the FFN output projections (whose input, after
GELU, has outliers) had to stay fp32; one text per call removed both the reason
and the fp32 matmuls (docs/embeddings.md).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper

from handwerkml.embeddings.bert_weights import Array, BertWeights

OPSET = 17
MS_DOMAIN = "com.microsoft"
Precision = Literal["fp32", "int8"]


class _Graph:
    def __init__(self, precision: Precision) -> None:
        self.precision = precision
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self._count = 0

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: npt.ArrayLike) -> str:
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, op_type: str, *inputs: str, domain: str = "", **attrs: Any) -> str:
        (out,) = self.op_outputs(op_type, 1, *inputs, domain=domain, **attrs)
        return out

    def op_outputs(
        self, op_type: str, count: int, *inputs: str, domain: str = "", **attrs: Any
    ) -> list[str]:
        outs = [self.name(op_type.lower()) for _ in range(count)]
        node = helper.make_node(op_type, list(inputs), outs, name=outs[0], domain=domain, **attrs)
        self.nodes.append(node)
        return outs

    def linear(self, x: str, weight: Array, bias: Array, hint: str) -> str:
        # Stored [out, in] (PyTorch); MatMul wants [in, out].
        w = np.ascontiguousarray(weight.T)
        if self.precision == "fp32":
            product = self.op("MatMul", x, self.const(f"{hint}_w", w))
            return self.op("Add", product, self.const(f"{hint}_b", bias))
        scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        quantized = np.clip(np.rint(w / scale), -127, 127).astype(np.int8)
        return self.op(
            "DynamicQuantizeMatMul",
            x,
            self.const(f"{hint}_wq", quantized),
            self.const(f"{hint}_scale", scale.astype(np.float32)),
            self.const(f"{hint}_zero", np.zeros(w.shape[1], np.int8)),
            self.const(f"{hint}_b", bias),
            domain=MS_DOMAIN,
        )

    def embedding(self, table: Array, ids: str, hint: str) -> str:
        if self.precision == "fp32":
            return self.op("Gather", self.const(hint, table), ids)
        scale = np.maximum(np.abs(table).max(axis=1), 1e-12) / 127.0
        quantized = np.clip(np.rint(table / scale[:, None]), -127, 127).astype(np.int8)
        rows = self.op(
            "Cast", self.op("Gather", self.const(f"{hint}_q", quantized), ids), to=TensorProto.FLOAT
        )
        row_scale = self.op("Gather", self.const(f"{hint}_scale", scale.astype(np.float32)), ids)
        return self.op(
            "Mul", rows, self.op("Unsqueeze", row_scale, self.const("axis_last", np.array([-1])))
        )

    def layer_norm(self, x: str, weight: Array, bias: Array, eps: float, hint: str) -> str:
        return self.op(
            "LayerNormalization",
            x,
            self.const(f"{hint}_g", weight),
            self.const(f"{hint}_beta", bias),
            axis=-1,
            epsilon=eps,
        )


def build_bert_encoder(weights: BertWeights, precision: Precision = "fp32") -> onnx.ModelProto:
    g = _Graph(precision)
    ids = "input_ids"
    positions = g.op(
        "Range",
        g.const("zero", np.array(0, np.int64)),
        g.op("Squeeze", g.op("Shape", ids, start=1, end=2), g.const("axis0", np.array([0]))),
        g.const("one", np.array(1, np.int64)),
    )
    x = g.embedding(weights.word_embeddings, ids, "word_embeddings")
    x = g.op(
        "Add",
        x,
        g.op("Gather", g.const("position_embeddings", weights.position_embeddings), positions),
    )
    x = g.op("Add", x, g.const("token_type", weights.token_type_embedding))
    x = g.layer_norm(x, weights.embed_norm_w, weights.embed_norm_b, weights.eps, "embed_norm")

    for i, layer in enumerate(weights.layers):
        # One projection for query, key and value: one activation quantisation, one matmul.
        qkv = g.linear(
            x,
            np.concatenate([layer.query_w, layer.key_w, layer.value_w]),
            np.concatenate([layer.query_b, layer.key_b, layer.value_b]),
            f"l{i}_qkv",
        )
        q, k, v = g.op_outputs("Split", 3, qkv, axis=-1)
        context = g.op("MultiHeadAttention", q, k, v, domain=MS_DOMAIN, num_heads=weights.heads)
        attn = g.linear(context, layer.attn_out_w, layer.attn_out_b, f"l{i}_o")
        x = g.layer_norm(
            g.op("Add", attn, x), layer.attn_norm_w, layer.attn_norm_b, weights.eps, f"l{i}_aln"
        )
        h = g.linear(x, layer.ffn_in_w, layer.ffn_in_b, f"l{i}_fi")
        h = g.linear(_gelu(g, h), layer.ffn_out_w, layer.ffn_out_b, f"l{i}_fo")
        x = g.layer_norm(
            g.op("Add", h, x), layer.ffn_norm_w, layer.ffn_norm_b, weights.eps, f"l{i}_fln"
        )

    # Mean over the tokens (all real: no padding), then unit length.
    pooled = g.op("ReduceMean", x, axes=[1], keepdims=0)
    norm = g.op("ReduceL2", pooled, axes=[-1], keepdims=1)
    norm = g.op("Max", norm, g.const("eps", np.array(1e-12, np.float32)))
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["embedding"]))

    graph = helper.make_graph(
        g.nodes,
        "bert_sentence_encoder",
        [helper.make_tensor_value_info(ids, TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", weights.hidden])],
        g.initializers,
    )
    opsets = [helper.make_opsetid("", OPSET), helper.make_opsetid(MS_DOMAIN, 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 8
    return model


def _gelu(g: _Graph, x: str) -> str:
    # Exact (erf) GELU as BERT uses it; ORT fuses this pattern into one Gelu kernel.
    inner = g.op("Erf", g.op("Div", x, g.const("sqrt2", np.array(math.sqrt(2.0), np.float32))))
    one_plus = g.op("Add", inner, g.const("one_g", np.array(1.0, np.float32)))
    return g.op("Mul", g.op("Mul", x, one_plus), g.const("half", np.array(0.5, np.float32)))


def save_model(model: onnx.ModelProto, path: Path) -> None:
    onnx.save_model(model, str(path))
