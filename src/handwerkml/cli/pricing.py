"""`handwerkml train --tenant SLUG`: train a new price model version for a tenant.

The same `pricing.train` job POST /api/v1/predictions/train queues, run here in
this process (or, with HANDWERKML_QUEUE=celery, by the workers while the command
follows it). The version becomes active only if it is not worse than the active
one on the same cross-validation folds.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.repository import TenantRepository
from handwerkml.cli._db import run_in_session
from handwerkml.cli._jobs import run_job
from handwerkml.config import get_settings
from handwerkml.jobs.kinds import load_kinds
from handwerkml.kit.errors import NotFound
from handwerkml.pricing import service


def train(
    tenant: Annotated[str, typer.Option(help="Slug of the tenant whose projects train it.")],
) -> None:
    """Train a price model on the tenant's finished projects and report its metrics."""
    settings = get_settings()
    load_kinds(settings)

    async def submit(session: AsyncSession) -> int:
        found = await TenantRepository(session).get_by_slug(tenant)
        if found is None:
            raise NotFound("Tenant", tenant)
        return (await service.start_training(session, settings, found.id, {})).id

    job_id = run_in_session(settings, submit)
    typer.echo(f"job {job_id}: training the price model of {tenant}")
    status, result = run_job(settings, job_id, "training")
    typer.echo(f"job {job_id} {status}: {result}")
    if status != "succeeded":
        raise typer.Exit(1)
