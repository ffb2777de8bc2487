"""The `handwerkml` command line: serve, workers, migrate, demo data, users, jobs, ingest.

Each command lives in its own module; this one only assembles the Typer app that
the `handwerkml` script entry point (pyproject.toml) runs.
"""

from __future__ import annotations

import typer

from handwerkml import __version__
from handwerkml.cli import (
    db,
    demo,
    embeddings,
    gaeb,
    ingest,
    jobs,
    pricing,
    serve,
    tenders,
    users,
    worker,
)

app = typer.Typer(
    name="handwerkml",
    help="HandwerkML: the self-hosted back office for craft businesses.",
    no_args_is_help=True,
    add_completion=False,
    # Locals in a traceback could show passwords or database URLs.
    pretty_exceptions_show_locals=False,
)


@app.command()
def version() -> None:
    """Print the installed version."""
    typer.echo(f"handwerkml {__version__}")


app.command()(serve.serve)
app.command()(db.migrate)
app.command()(demo.demo)
app.command()(worker.worker)
app.command()(ingest.ingest)
app.command()(pricing.train)
app.add_typer(users.app, name="users")
app.add_typer(jobs.app, name="jobs")
app.add_typer(embeddings.app, name="embeddings")
# `import` is a Python keyword, hence the explicit name.
gaeb.app.command("import")(tenders.import_bill)
app.add_typer(gaeb.app, name="gaeb")

__all__ = ["app"]
