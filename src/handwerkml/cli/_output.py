"""How commands report failure: a message on stderr and exit status 1, never a traceback."""

from __future__ import annotations

from typing import NoReturn

import typer
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError


def fail(message: str) -> NoReturn:
    typer.secho(message, err=True, fg=typer.colors.RED)
    raise typer.Exit(code=1)


def display_url(database_url: str) -> str:
    """The database URL with any password masked, fit for a terminal or a log."""
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparsable database URL>"
