"""Alembic environment: async engines, batch mode for SQLite's limited ALTER TABLE."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import handwerkml.db.models  # noqa: F401 - registers every table on the metadata
from handwerkml.config import get_settings
from handwerkml.db.base import Base
from handwerkml.db.types import ScaledDecimal, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def _render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    # Our column types render with their arguments so migrations rebuild them exactly.
    if type_ == "type" and isinstance(obj, ScaledDecimal):
        autogen_context.imports.add("import handwerkml.db.types")
        return f"handwerkml.db.types.ScaledDecimal({obj.scale})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        autogen_context.imports.add("import handwerkml.db.types")
        return "handwerkml.db.types.UTCDateTime()"
    return False


# Objects that live outside the metadata, made by migrations in SQL:
# - the pgvector store's tables (vectors/pgvector.py): the partitioned pgvector_records
#   and a partition per collection the store adds at run time (SQLAlchemy does not
#   know their `vector` column type);
# - the keyword index of document chunks: SQLite's FTS5 table with its shadow tables,
#   PostgreSQL's generated tsvector column and its index.
# Autogenerate must neither drop them nor reflect them.
_UNMANAGED_TABLES = ("pgvector_records", "document_chunks_fts")
_UNMANAGED_COLUMNS = {"keyword_tsv"}
_UNMANAGED_INDEXES = {"ix_document_chunks_keyword_tsv"}


def _include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table":
        return not (name or "").startswith(_UNMANAGED_TABLES)
    if type_ == "column":
        return name not in _UNMANAGED_COLUMNS
    if type_ == "index":
        return name not in _UNMANAGED_INDEXES
    return True


def _configure(connection: Connection | None = None, **extra: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        render_item=_render_item,
        include_name=_include_name,
        compare_type=True,
        **extra,
    )


def run_migrations_offline() -> None:
    _configure(url=_database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run_sync(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(_run_sync)
    await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
