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


async def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed when the endpoint returns without error.

    scope="function" below makes the commit happen before the response is sent,
    so a client never sees success for a write that did not commit.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
