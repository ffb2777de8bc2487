"""`handwerkml migrate`: bring the database schema up to date."""

from __future__ import annotations

from typing import Annotated

import typer
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from handwerkml.cli._output import display_url, fail
from handwerkml.config import get_settings
from handwerkml.db.migrate import upgrade


def migrate(
    revision: Annotated[
        str, typer.Option(help="Alembic revision to upgrade to; 'head' is the newest.")
    ] = "head",
) -> None:
    """Apply the database migrations (Alembic) to HANDWERKML_DATABASE_URL.

    Safe to run on every start: an up-to-date database is left as it is.
    """
    settings = get_settings()
    url = display_url(settings.database_url)
    try:
        # Alembic's env.py starts its own event loop, so this stays synchronous.
        upgrade(settings, revision)
    except (CommandError, SQLAlchemyError, OSError) as exc:
        fail(f"Migrating {url} failed: {exc}")
    typer.echo(f"Database {url} is up to date (revision {revision}).")
