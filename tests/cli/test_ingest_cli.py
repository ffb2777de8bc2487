"""`handwerkml ingest PATH`: the folder run from the command line, in this process."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from handwerkml.cli._db import session_scope
from handwerkml.config import get_settings
from handwerkml.db.models import Document
from tests.auth.factories import create_tenant
from tests.cli.test_cli import cli_database, invoke, migrate

__all__ = ["cli_database"]  # the autouse fixture, re-exported for this module


@pytest.fixture(autouse=True)
def _models(monkeypatch: pytest.MonkeyPatch, models_dir: Path) -> None:
    monkeypatch.setenv("HANDWERKML_MODELS_DIR", str(models_dir))


def _documents() -> list[tuple[str, str, int]]:
    async def work() -> list[tuple[str, str, int]]:
        from sqlalchemy import select

        async with session_scope(get_settings()) as session:
            rows = await session.scalars(select(Document).order_by(Document.filename))
            return [(d.filename, d.status, d.chunk_count) for d in rows]

    return asyncio.run(work())


def test_ingest_indexes_a_folder_and_skips_it_when_unchanged(
    cli_database: Path, tmp_path: Path
) -> None:
    migrate()

    async def tenant() -> str:
        async with session_scope(get_settings()) as session:
            return (await create_tenant(session, name="Malerei Kunterbunt")).slug

    slug = asyncio.run(tenant())
    folder = tmp_path / "ablage"
    folder.mkdir()
    (folder / "aufmass.md").write_text("# Aufmaß\n\nWohnzimmer 24,5 m², Wände spachteln.")
    (folder / "foto.jpg").write_bytes(b"not matched")

    first = invoke("ingest", str(folder), "--tenant", slug, "--pattern", "*.md")
    assert first.exit_code == 0, first.output
    assert "succeeded" in first.output
    assert _documents() == [("aufmass.md", "completed", 1)]

    again = invoke("ingest", str(folder), "--tenant", slug, "--pattern", "*.md")
    assert again.exit_code == 0, again.output
    assert _documents() == [("aufmass.md", "completed", 1)]

    unknown = invoke("ingest", str(folder), "--tenant", "nobody")
    assert unknown.exit_code == 1
    assert "not found" in unknown.output
