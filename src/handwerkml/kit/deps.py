"""Request-scoped dependencies every router uses, declared once as Annotated aliases.

All are `async def`: FastAPI runs plain `def` dependencies in a thread pool, a
thread hop per request that costs more than the work they do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.resources import Resources

_READ_METHODS = frozenset({"GET", "HEAD"})


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the endpoint returns without error.

    GET and HEAD get a read-only session (see db/engine.py). scope="function" below
    makes the commit happen before the response is sent, so a client never sees
    success for a write that did not commit.
    """
    database: Database = request.app.state.database
    if request.method in _READ_METHODS:
        # Nothing to commit; closing the session ends its read transaction.
        async with database.read() as session:
            yield session
        return
    async with database.write() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
