"""The default provider: a prepared ONNX model run in process by ONNX Runtime.

The model directory comes from `prepare_model` (install time). Loading reads
only that directory, so it never reaches the network.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from handwerkml.embeddings.base import (
    EmbeddingKind,
    Embeddings,
    EmbeddingSpace,
    FloatMatrix,
)
from handwerkml.embeddings.prepare import Manifest, is_prepared
from handwerkml.embeddings.tokenization import TokenBatcher


class ModelNotPreparedError(RuntimeError):
    def __init__(self, directory: Path) -> None:
        super().__init__(
            f"no prepared embedding model in {directory}: run `handwerkml embeddings prepare`"
        )


@dataclass(frozen=True, slots=True)
class LocalModelOptions:
    directory: Path
    # Texts embedded side by side, one thread each; 0: one per core. The whole
    # process shares these threads, so a server with several workers should give
    # each a share.
    threads: int = 0


class LocalOnnxProvider:
    """Embeds with a prepared model; safe to call from several threads."""

    def __init__(self, options: LocalModelOptions) -> None:
        if not is_prepared(options.directory):
            raise ModelNotPreparedError(options.directory)
        self.manifest = Manifest.read(options.directory)
        self._space = EmbeddingSpace(self.manifest.model_id, self.manifest.dimension)
        self._batcher = TokenBatcher.load(options.directory, max_tokens=self.manifest.max_tokens)
        session_options = ort.SessionOptions()
        session_options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per text, texts side by side: splitting one small model's matrix
        # products over the cores cost more in synchronisation than it saved
        # (docs/embeddings.md). The session is safe to run from several threads.
        session_options.intra_op_num_threads = 1
        session_options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(
            str(options.directory / "model.onnx"),
            sess_options=session_options,
            providers=["CPUExecutionProvider"],
        )
        # Every caller (searches, jobs) shares these threads, so the process never runs
        # more texts at once than it has threads for.
        self._pool = ThreadPoolExecutor(
            options.threads or os.cpu_count() or 1, thread_name_prefix="embed"
        )

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    async def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> Embeddings:
        # Inference holds the cores for milliseconds to seconds: off the event loop.
        return await asyncio.to_thread(self.embed_sync, texts, kind)

    def embed_sync(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> Embeddings:
        if not texts:
            return Embeddings.empty(self._space)
        prefix = self.manifest.query_prefix if kind == "query" else self.manifest.passage_prefix
        rows = self._batcher.token_ids([prefix + text for text in texts])
        out: FloatMatrix = np.empty((len(rows), self._space.dimension), dtype=np.float32)

        def run(i: int) -> None:
            # One text per call: no padding, so attention needs no mask and the int8
            # activation scale is this text's own (onnx_bert.py).
            ids = np.asarray([rows[i]], dtype=np.int64)
            out[i] = self._session.run(["embedding"], {"input_ids": ids})[0][0]

        # Longest first, so no thread is left with a long text while the others idle.
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]), reverse=True)
        for _ in self._pool.map(run, order):
            pass
        return Embeddings.from_array(self._space, out)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each passage as the model sees it (prefix included, truncated)."""
        prefix = self.manifest.passage_prefix
        return [len(row) for row in self._batcher.token_ids([prefix + t for t in texts])]

    def count_tokens(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> int:
        """Tokens the model sees for `texts` (with prefix and special tokens, truncated)."""
        prefix = self.manifest.query_prefix if kind == "query" else self.manifest.passage_prefix
        return sum(len(r) for r in self._batcher.token_ids([prefix + t for t in texts]))
