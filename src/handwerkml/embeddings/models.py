"""Which provider embeds for a model id, and which model id the settings name.

A collection of vectors records the model id it was built with
("local:multilingual-e5-small@onnx-int8", "openai-compatible:bge-m3"), so the
provider for a collection is found from that id, not from today's settings: a
model migration runs the old and the new model side by side.
"""

from __future__ import annotations

import functools

from handwerkml.config import Settings
from handwerkml.embeddings.base import EmbeddingProvider
from handwerkml.embeddings.prepare import CATALOG, DEFAULT_PRECISION, Precision, model_dir
from handwerkml.embeddings.prepare import model_id as local_model_id
from handwerkml.embeddings.providers.http import HttpEmbeddingOptions, HttpEmbeddingProvider
from handwerkml.embeddings.providers.local import LocalModelOptions, LocalOnnxProvider

LOCAL = "local:"
HTTP = "openai-compatible:"


class UnknownModelError(ValueError):
    pass


def configured_model_id(settings: Settings) -> str:
    """The model the settings choose, for the first collection of a new installation."""
    if settings.embedding_provider == "http":
        return HTTP + settings.embedding_model
    return resolve_model_id(settings.embedding_model, settings.embedding_precision)


def resolve_model_id(name: str, precision: Precision = DEFAULT_PRECISION) -> str:
    """A full model id from what an operator types: a full id, or a local model's name."""
    if name.startswith((LOCAL, HTTP)):
        return name
    if name in CATALOG:
        return local_model_id(name, precision)
    raise UnknownModelError(
        f"unknown embedding model {name!r}: use one of {', '.join(CATALOG)}, "
        f"'{LOCAL}NAME@onnx-PRECISION' or '{HTTP}MODEL'"
    )


def create_provider(
    settings: Settings, model_id: str, dimension: int | None = None
) -> EmbeddingProvider:
    """The provider that computes vectors of `model_id`; the local model must be prepared."""
    if model_id.startswith(HTTP):
        url, width = settings.embedding_http_url, dimension or settings.embedding_http_dimension
        if url is None or width is None:
            raise UnknownModelError(
                f"{model_id} needs HANDWERKML_EMBEDDING_HTTP_URL and a dimension"
            )
        key = settings.embedding_http_api_key
        return HttpEmbeddingProvider(
            HttpEmbeddingOptions(
                base_url=url,
                model=model_id.removeprefix(HTTP),
                dimension=width,
                api_key=key.get_secret_value() if key else None,
                timeout_s=settings.embedding_http_timeout_seconds,
                batch_size=settings.embedding_batch_size,
                query_prefix=settings.embedding_http_query_prefix,
                passage_prefix=settings.embedding_http_passage_prefix,
            )
        )
    name, precision = _parse_local(model_id)
    provider = _local_provider(
        LocalModelOptions(
            directory=model_dir(settings.model_directory, name, precision),
            threads=settings.embedding_threads,
        )
    )
    if dimension is not None and provider.space.dimension != dimension:
        raise UnknownModelError(
            f"{model_id} produces {provider.space.dimension}-d vectors, not {dimension}-d"
        )
    return provider


@functools.lru_cache(maxsize=4)
def _local_provider(options: LocalModelOptions) -> LocalOnnxProvider:
    """A model loaded once per process. Loading takes a second or two, and a process
    may build its resources more than once (the CLI's commands, the test suite)."""
    return LocalOnnxProvider(options)


def _parse_local(model_id: str) -> tuple[str, Precision]:
    name, _, runtime = model_id.removeprefix(LOCAL).partition("@onnx-")
    if not model_id.startswith(LOCAL) or name not in CATALOG:
        raise UnknownModelError(f"unknown embedding model id {model_id!r}")
    if runtime == "int8":
        return name, "int8"
    if runtime == "fp32":
        return name, "fp32"
    raise UnknownModelError(f"unknown precision in {model_id!r}: int8 or fp32")
