"""Embeddings from an OpenAI-compatible server (TEI, Infinity, Ollama, vLLM, OpenAI).

POST {base_url}/embeddings with {"model", "input": [...]} and read data[i].embedding.
Texts go in batches; timeouts, connection errors, 429 and 5xx are retried with
exponential backoff (honouring Retry-After); any other error fails at once.
Every response is checked against the configured dimension, so a server that
changes models underneath cannot slip vectors of another size into a collection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
import numpy as np

from handwerkml.embeddings.base import (
    EmbeddingKind,
    Embeddings,
    EmbeddingSpace,
    SpaceMismatchError,
)

_RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER_S = 60.0


class EmbeddingServiceError(RuntimeError):
    """The embedding server failed or answered something unusable."""


@dataclass(frozen=True, slots=True)
class HttpEmbeddingOptions:
    base_url: str  # including the version path, e.g. "http://tei:8080/v1"
    model: str
    dimension: int
    api_key: str | None = None
    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_s: float = 0.5
    batch_size: int = 64
    # Servers of e5-style models expect the caller to add the prefixes.
    query_prefix: str = ""
    passage_prefix: str = ""


class HttpEmbeddingProvider:
    def __init__(
        self, options: HttpEmbeddingOptions, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._options = options
        self._space = EmbeddingSpace(f"openai-compatible:{options.model}", options.dimension)
        headers = {"Authorization": f"Bearer {options.api_key}"} if options.api_key else {}
        self._client = httpx.AsyncClient(
            base_url=options.base_url.rstrip("/") + "/",
            headers=headers,
            timeout=options.timeout_s,
            transport=transport,
        )

    @property
    def space(self) -> EmbeddingSpace:
        return self._space

    async def __aenter__(self) -> HttpEmbeddingProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def embed(self, texts: Sequence[str], kind: EmbeddingKind = "passage") -> Embeddings:
        if not texts:
            return Embeddings.empty(self._space)
        prefix = self._options.query_prefix if kind == "query" else self._options.passage_prefix
        size = max(1, self._options.batch_size)
        rows: list[list[float]] = []
        for start in range(0, len(texts), size):
            batch = [prefix + text for text in texts[start : start + size]]
            rows.extend(await self._embed_batch(batch))
        return Embeddings.from_array(self._space, np.asarray(rows, dtype=np.float32))

    async def _embed_batch(self, batch: list[str]) -> list[list[float]]:
        payload = {"model": self._options.model, "input": batch, "encoding_format": "float"}
        attempt = 0
        while True:
            try:
                response = await self._client.post("embeddings", json=payload)
            except httpx.TransportError as error:  # connect, read timeout, reset
                if attempt >= self._options.max_retries:
                    raise EmbeddingServiceError(f"embedding server unreachable: {error}") from error
                await asyncio.sleep(self._backoff(attempt, None))
                attempt += 1
                continue
            if response.status_code in _RETRY_STATUS and attempt < self._options.max_retries:
                await asyncio.sleep(self._backoff(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            if response.status_code != 200:
                raise EmbeddingServiceError(
                    f"embedding server answered {response.status_code}: {response.text[:200]}"
                )
            return self._parse(response, len(batch))

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(max(float(retry_after), 0.0), _MAX_RETRY_AFTER_S)
            except ValueError:
                pass  # an HTTP date: fall back to our own schedule
        return float(self._options.backoff_s * (2**attempt))

    def _parse(self, response: httpx.Response, expected: int) -> list[list[float]]:
        try:
            body: dict[str, Any] = response.json()
            data = sorted(body["data"], key=lambda item: int(item["index"]))
            rows: list[list[float]] = [item["embedding"] for item in data]
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingServiceError(f"unexpected embeddings response: {error}") from error
        if len(rows) != expected:
            raise EmbeddingServiceError(f"asked for {expected} embeddings, got {len(rows)}")
        for row in rows:
            if len(row) != self._space.dimension:
                raise SpaceMismatchError(
                    f"{self._options.model} returned {len(row)}-d vectors, "
                    f"configured for {self._space.dimension}"
                )
        return rows
