"""The embedding cache in front of a real provider (the HTTP one, against a local server).

The server records every text it is asked to embed, so the tests see exactly
what reached the model.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import numpy as np
import pytest
from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

from handwerkml.db.models import EmbeddingCacheEntry
from handwerkml.embeddings.base import EmbeddingProvider
from handwerkml.embeddings.cache import CachedEmbeddings, CacheMetrics, normalize_text
from handwerkml.embeddings.providers.http import HttpEmbeddingOptions, HttpEmbeddingProvider
from tests.embeddings.http_server import ServerScript, embeddings_server, fake_vector


@pytest.fixture
def script() -> ServerScript:
    return ServerScript()


@pytest.fixture
def base_url(script: ServerScript) -> Iterator[str]:
    with embeddings_server(script) as url:
        yield url


@pytest.fixture
async def provider(base_url: str) -> AsyncIterator[HttpEmbeddingProvider]:
    options = HttpEmbeddingOptions(base_url=base_url, model="test-model", dimension=8)
    async with HttpEmbeddingProvider(options) as http:
        yield http


def _sent(script: ServerScript) -> list[str]:
    return [text for request in script.requests for text in request["body"]["input"]]


def _cache(provider: HttpEmbeddingProvider, app: FastAPI, **options: int) -> CachedEmbeddings:
    return CachedEmbeddings(
        provider, app.state.database, CacheMetrics(CollectorRegistry()), **options
    )


async def test_a_text_reaches_the_model_once(
    provider: HttpEmbeddingProvider, app: FastAPI, script: ServerScript
) -> None:
    cache = _cache(provider, app)
    assert isinstance(cache, EmbeddingProvider)
    texts = ["Eichentreppe mit Podest", "Fliesenkleber  C2", "Eichentreppe mit Podest"]
    first = await cache.embed(texts)
    assert _sent(script) == ["Eichentreppe mit Podest", "Fliesenkleber C2"]
    np.testing.assert_allclose(first.vectors[0], fake_vector("Eichentreppe mit Podest", 8))
    np.testing.assert_allclose(first.vectors[0], first.vectors[2])

    again = await cache.embed(["Fliesenkleber C2", "Dämmung der Fassade"])
    assert _sent(script)[2:] == ["Dämmung der Fassade"]
    np.testing.assert_allclose(again.vectors[0], first.vectors[1])
    lookups = cache.metrics.lookups
    assert lookups.labels("openai-compatible:test-model", "memory")._value.get() == 1
    assert lookups.labels("openai-compatible:test-model", "model")._value.get() == 3


async def test_the_database_remembers_across_processes(
    provider: HttpEmbeddingProvider, app: FastAPI, script: ServerScript
) -> None:
    await _cache(provider, app).embed(["Parkett schleifen und ölen"])
    # A new cache object is a restarted process: its memory is empty, the table is not.
    restarted = _cache(provider, app)
    result = await restarted.embed(["Parkett  schleifen und ölen "])
    assert _sent(script) == ["Parkett schleifen und ölen"]
    np.testing.assert_allclose(result.vectors[0], fake_vector("Parkett schleifen und ölen", 8))
    async with app.state.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(EmbeddingCacheEntry)) == 1


async def test_queries_and_passages_are_cached_apart(
    provider: HttpEmbeddingProvider, app: FastAPI, script: ServerScript
) -> None:
    cache = _cache(provider, app, memory_entries=2)
    await cache.embed(["Dachrinne"], kind="query")
    await cache.embed(["Dachrinne"], kind="passage")
    await cache.embed(["Dachrinne"], kind="query")
    assert _sent(script) == ["Dachrinne", "Dachrinne"]
    assert len(await cache.embed([])) == 0


async def test_queries_are_remembered_in_memory_only(
    provider: HttpEmbeddingProvider, app: FastAPI, script: ServerScript
) -> None:
    await _cache(provider, app).embed(["Wallbox Garage"], kind="query")
    # A restarted process embeds the query again; the table holds passages only.
    await _cache(provider, app).embed(["Wallbox Garage"], kind="query")
    assert _sent(script) == ["Wallbox Garage", "Wallbox Garage"]
    async with app.state.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(EmbeddingCacheEntry)) == 0


def test_normalisation_makes_equal_texts_equal() -> None:
    combining = "Da\u0308mmung  der\tFassade "
    assert normalize_text(combining) == "Dämmung der Fassade"
