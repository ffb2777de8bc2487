"""Engines and session factories, built from Settings at start-up, never at import time.

A `Database` holds two session factories: `write` for requests that may change
data and `read` for GET requests. On PostgreSQL both use the same engine. On
SQLite the read side runs its queries in the event loop thread (see
db/sqlite_inline.py) on connections that refuse writes, because handing each
call to aiosqlite's thread costs several times the query itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from handwerkml.config import Settings
from handwerkml.db.sqlite_inline import connect_inline


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # busy_timeout first: switching to WAL briefly needs a lock another process may hold.
    # WAL lets readers proceed while one writer commits; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_read_only(dbapi_connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
    _sqlite_pragmas(dbapi_connection, record)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def create_engine(settings: Settings, **overrides: Any) -> AsyncEngine:
    """The engine for writes (and everything else outside request handling)."""
    options: dict[str, Any] = {"echo": settings.database_echo}
    if settings.is_sqlite:
        _ensure_sqlite_parent(settings.database_url)
    else:
        options |= {"pool_size": settings.database_pool_size, "max_overflow": 10}
    engine = create_async_engine(settings.database_url, **(options | overrides))
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _create_sqlite_read_engine(settings: Settings) -> AsyncEngine:
    path = make_url(settings.database_url).database or ""
    engine = create_async_engine(
        settings.database_url,
        echo=settings.database_echo,
        async_creator=connect_inline(str(Path(path).expanduser())),
    )
    event.listen(engine.sync_engine, "connect", _sqlite_read_only)
    return engine


def _ensure_sqlite_parent(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@dataclass(frozen=True, slots=True)
class Database:
    engine: AsyncEngine
    read_engine: AsyncEngine
    write: async_sessionmaker[AsyncSession]
    read: async_sessionmaker[AsyncSession]

    @classmethod
    def connect(cls, settings: Settings) -> Database:
        engine = create_engine(settings)
        read_engine = _create_sqlite_read_engine(settings) if settings.is_sqlite else engine
        return cls(
            engine=engine,
            read_engine=read_engine,
            write=create_sessionmaker(engine),
            read=create_sessionmaker(read_engine),
        )

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
