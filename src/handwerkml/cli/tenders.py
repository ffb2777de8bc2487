"""`handwerkml gaeb import FILE --tenant SLUG`: import a GAEB bill and price it.

The same import as POST /api/v1/tenders (or /history with --history); the pricing
job then runs here, in this process, as `handwerkml ingest` runs its job (with
HANDWERKML_QUEUE=celery it is queued for the workers and followed).
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
from handwerkml.jobs.kinds import load_kinds
from handwerkml.kit.errors import NotFound
from handwerkml.tenders import service


def import_bill(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="A GAEB file")
    ],
    tenant: Annotated[str, typer.Option(help="Slug of the tenant the bill belongs to.")],
    history: Annotated[
        bool,
        typer.Option(
            "--history", help="A priced bill (X84, X86): import its prices as the firm's history."
        ),
    ] = False,
) -> None:
    """Import a tender (X83, P83, D83) and suggest a unit price for every item."""
    settings = get_settings()
    load_kinds(settings)
    upload = service.Upload(filename=file.name, data=file.read_bytes())

    async def submit(session: AsyncSession) -> tuple[int, int, int]:
        found = await TenantRepository(session).get_by_slug(tenant)
        if found is None:
            raise NotFound("Tenant", tenant)
        tender, job = await service.import_bill(
            session, settings, found.id, upload, history=history
        )
        return tender.id, tender.item_count, job.id

    tender_id, items, job_id = run_in_session(settings, submit)
    typer.echo(f"tender {tender_id}: {items} items, job {job_id}")
    status, result = run_job(settings, job_id, "items")
    typer.echo(f"job {job_id} {status}: {result}")
    if status != "succeeded":
        raise typer.Exit(1)
