from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from handwerkml.embeddings.base import EmbeddingProvider, SpaceMismatchError
from handwerkml.embeddings.providers.http import (
    EmbeddingServiceError,
    HttpEmbeddingOptions,
    HttpEmbeddingProvider,
)
from tests.embeddings.http_server import ServerScript, embeddings_server, fake_vector


@pytest.fixture
def script() -> ServerScript:
    return ServerScript()


@pytest.fixture
def base_url(script: ServerScript) -> Iterator[str]:
    with embeddings_server(script) as url:
        yield url


def _options(base_url: str, **overrides: object) -> HttpEmbeddingOptions:
    values: dict[str, object] = {
        "base_url": base_url,
        "model": "test-model",
        "dimension": 8,
        "backoff_s": 0.01,
        "timeout_s": 2.0,
    }
    values.update(overrides)
    return HttpEmbeddingOptions(**values)  # type: ignore[arg-type]


async def test_embeds_in_batches_in_order(base_url: str, script: ServerScript) -> None:
    texts = [f"Angebot {i}: Fliesen verlegen" for i in range(7)]
    async with HttpEmbeddingProvider(_options(base_url, batch_size=3)) as provider:
        assert isinstance(provider, EmbeddingProvider)
        result = await provider.embed(texts)

    assert result.model_id == "openai-compatible:test-model"
    assert result.dimension == 8
    expected = np.stack([fake_vector(t, 8) for t in texts])
    np.testing.assert_allclose(result.vectors, expected, atol=1e-6)
    assert [len(r["body"]["input"]) for r in script.requests] == [3, 3, 1]
    assert all(r["body"]["model"] == "test-model" for r in script.requests)


async def test_prefixes_by_kind_and_sends_the_key(base_url: str, script: ServerScript) -> None:
    script.api_key = "geheim"
    options = _options(
        base_url, api_key="geheim", query_prefix="query: ", passage_prefix="passage: "
    )
    async with HttpEmbeddingProvider(options) as provider:
        await provider.embed(["Dachrinne"], "query")
        await provider.embed(["Dachrinne"], "passage")
    assert [r["body"]["input"] for r in script.requests] == [
        ["query: Dachrinne"],
        ["passage: Dachrinne"],
    ]
    assert script.requests[0]["auth"] == "Bearer geheim"


async def test_retries_server_errors_then_succeeds(base_url: str, script: ServerScript) -> None:
    script.fail_next = 2
    script.retry_after = "0"
    async with HttpEmbeddingProvider(_options(base_url, max_retries=3)) as provider:
        result = await provider.embed(["Heizkörper tauschen"])
    assert len(result) == 1
    assert len(script.requests) == 3


async def test_gives_up_after_max_retries(base_url: str, script: ServerScript) -> None:
    script.fail_next = 10
    async with HttpEmbeddingProvider(_options(base_url, max_retries=2)) as provider:
        with pytest.raises(EmbeddingServiceError, match="503"):
            await provider.embed(["x"])
    assert len(script.requests) == 3


async def test_client_errors_are_not_retried(base_url: str, script: ServerScript) -> None:
    script.api_key = "richtig"
    async with HttpEmbeddingProvider(_options(base_url, api_key="falsch")) as provider:
        with pytest.raises(EmbeddingServiceError, match="401"):
            await provider.embed(["x"])
    assert len(script.requests) == 1


async def test_timeout_is_retried(base_url: str, script: ServerScript) -> None:
    script.stall_next = 1
    script.stall_s = 0.5
    async with HttpEmbeddingProvider(_options(base_url, timeout_s=0.2, max_retries=1)) as provider:
        result = await provider.embed(["Estrich"])
    assert len(result) == 1
    assert len(script.requests) == 2


async def test_wrong_dimension_is_refused(base_url: str, script: ServerScript) -> None:
    script.dimension = 16
    async with HttpEmbeddingProvider(_options(base_url, dimension=8)) as provider:
        with pytest.raises(SpaceMismatchError):
            await provider.embed(["Fenster"])


async def test_unreachable_server(script: ServerScript) -> None:
    with embeddings_server(script) as url:
        pass  # closed again: nothing listens on that port now
    async with HttpEmbeddingProvider(_options(url, max_retries=1)) as provider:
        with pytest.raises(EmbeddingServiceError, match="unreachable"):
            await provider.embed(["x"])


async def test_empty_input_makes_no_request(base_url: str, script: ServerScript) -> None:
    async with HttpEmbeddingProvider(_options(base_url)) as provider:
        result = await provider.embed([])
    assert len(result) == 0
    assert result.vectors.shape == (0, 8)
    assert script.requests == []
