"""The one way commands reach the database: a session that commits at the end.

Each command runs its async work through `run_in_session`, which starts an event
loop, opens an engine from Settings, commits when the work returns, rolls back
when it raises, and always disposes the engine. Domain and database errors become
a message on stderr and exit status 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.cli._output import display_url, fail
from handwerkml.config import Settings
from handwerkml.db.engine import create_engine, create_sessionmaker
from handwerkml.kit.errors import HandwerkError

T = TypeVar("T")


@asynccontextmanager
async def session_scope(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            yield session
            await session.commit()
    finally:
        await engine.dispose()


def run_in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one transaction. Call from sync code only: it owns the event loop."""

    async def main() -> T:
        async with session_scope(settings) as session:
            return await work(session)

    try:
        return asyncio.run(main())
    except HandwerkError as exc:
        fail(str(exc.detail))
    except (DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        fail(
            f"Database error on {display_url(settings.database_url)}: {reason}\n"
            "Is the database reachable, and has `handwerkml migrate` run?"
        )
