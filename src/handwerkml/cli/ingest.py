"""`handwerkml ingest PATH`: index a folder of documents for a tenant, with a progress bar.

In the embedded mode the command runs the job itself, in this process (the
server may not be running); with HANDWERKML_QUEUE=celery it queues the job for
the workers and follows its progress. Either way the job is the same
`documents.folder` run the API starts, so a re-run skips unchanged files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.repository import TenantRepository
from handwerkml.cli._db import run_in_session
from handwerkml.cli._jobs import run_job
from handwerkml.config import get_settings
from handwerkml.documents import service
from handwerkml.documents.schemas import FolderIngest
from handwerkml.jobs.kinds import load_kinds
from handwerkml.kit.errors import NotFound


def ingest(
    path: Annotated[Path, typer.Argument(help="The folder to index.")],
    tenant: Annotated[str, typer.Option(help="Slug of the tenant the documents belong to.")],
    pattern: Annotated[
        list[str] | None, typer.Option("--pattern", help="Include glob, e.g. '*.pdf' (repeat).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Exclude glob (repeat).")
    ] = None,
) -> None:
    """Index the documents in PATH: new files are added, changed ones re-read,
    unchanged ones skipped, and documents whose files are gone removed."""
    folder = path.expanduser().resolve()
    # The operator names the folder here; the roots only fence what the API may reach.
    settings = get_settings()
    settings = settings.model_copy(update={"ingest_roots": [*settings.ingest_roots, folder]})
    load_kinds(settings)
    request = FolderIngest(path=str(folder), include=pattern or ["*"], exclude=exclude or [])

    async def submit(session: AsyncSession) -> int:
        found = await TenantRepository(session).get_by_slug(tenant)
        if found is None:
            raise NotFound("Tenant", tenant)
        return (await service.ingest_folder(session, settings, found.id, request)).id

    job_id = run_in_session(settings, submit)
    typer.echo(f"job {job_id}: indexing {folder}")
    status, result = run_job(settings, job_id, "files")
    typer.echo(f"job {job_id} {status}: {result}")
    if status != "succeeded":
        raise typer.Exit(1)
