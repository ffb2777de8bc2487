"""INSERT … ON CONFLICT on both engines.

SQLAlchemy's generic insert has no ON CONFLICT; PostgreSQL's and SQLite's own
inserts have it with the same methods (`on_conflict_do_nothing`,
`on_conflict_do_update`, `excluded`). This picks the one the session speaks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
