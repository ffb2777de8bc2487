"""One clock for the whole service, so tests and timestamps agree on UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The current day in UTC: when prices start and end, and the demo's reference day."""
    return utcnow().date()
