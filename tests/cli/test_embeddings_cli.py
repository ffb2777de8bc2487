"""`handwerkml embeddings collections|migrate|activate` against their own SQLite file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import cli_database, invoke, migrate

__all__ = ["cli_database"]  # the autouse fixture, re-exported for this module

E5 = "local_multilingual-e5-small_onnx-int8-384d"


@pytest.fixture(autouse=True)
def _models(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> None:
    monkeypatch.setenv("HANDWERKML_MODELS_DIR", str(models_dir))


def test_collections_migrate_and_activate(cli_database: Path) -> None:
    migrate()
    listed = invoke("embeddings", "collections")
    assert listed.exit_code == 0, listed.output
    assert f"{E5}  local:multilingual-e5-small@onnx-int8  384-d  active" in listed.output

    same = invoke("embeddings", "migrate", "--to", "multilingual-e5-small")
    assert same.exit_code == 1
    assert "already the active embedding model" in same.output

    unknown = invoke("embeddings", "migrate", "--to", "bert-xxl")
    assert unknown.exit_code == 1
    assert "unknown embedding model 'bert-xxl'" in unknown.output

    not_ready = invoke(
        "embeddings", "migrate", "--to", "multilingual-e5-small", "--precision", "fp32"
    )
    assert not_ready.exit_code == 1
    assert "handwerkml embeddings prepare" in not_ready.output

    building = invoke("embeddings", "activate", "no-such-collection")
    assert building.exit_code == 1
    assert "not found" in building.output.lower()
