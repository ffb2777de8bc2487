"""Keeping vectors level with what they embed: the `vectors.sync` job kind.

Whoever changes an embeddable thing (a project, say) schedules a sync of its
id. The job embeds what exists and turns what is gone into tombstones, in every
collection that is kept current, so the same job serves creation, change and
deletion, and running it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.models import Job
from handwerkml.jobs import service as jobs
from handwerkml.jobs.kinds import Item, ItemOutcome, ItemSpec, JobContext, JobKind, register
from handwerkml.vectors.index import Written
from handwerkml.vectors.sources import get_loader, source_names

BATCH = 32


class SyncParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="What the ids name: project, chunk")
    ids: list[int] = Field(min_length=1, max_length=100_000)


@register
class SyncVectors(JobKind[SyncParams]):
    """Embed the sources that exist, remove the vectors of those that are gone."""

    name = "vectors.sync"
    params = SyncParams

    async def plan(self, ctx: JobContext, params: SyncParams) -> Iterable[ItemSpec]:
        if params.source not in source_names():
            raise ValueError(f"unknown source {params.source!r}")
        ids = sorted(set(params.ids))
        return [
            ItemSpec(
                label=f"{params.source} {batch[0]}" + (f"–{batch[-1]}" if len(batch) > 1 else ""),
                payload={"ids": batch},
                stage="embed",
            )
            for batch in (ids[i : i + BATCH] for i in range(0, len(ids), BATCH))
        ]

    async def run_item(self, ctx: JobContext, params: SyncParams, item: Item) -> ItemOutcome:
        if ctx.tenant_id is None:
            raise ValueError("vectors.sync belongs to a tenant")
        index = ctx.resources.vectors
        ids: list[int] = item.payload["ids"]
        found = await get_loader(params.source)(ctx.session, ctx.tenant_id, ids)
        written = await index.write(ctx.session, ctx.tenant_id, params.source, found)
        gone = sorted(set(ids) - {source.source_id for source in found})
        removed = await index.remove(ctx.session, ctx.tenant_id, params.source, gone)

        async def apply() -> None:
            await index.apply(Written.merged(written, removed))

        ctx.after_commit.append(apply)
        return ItemOutcome(result={"embedded": len(found), "removed": len(gone)})


async def schedule_sync(
    session: AsyncSession, settings: Settings, tenant_id: int, source: str, ids: Sequence[int]
) -> Job:
    """Queue a sync; the caller commits and wakes the workers."""
    return await jobs.submit(
        session,
        settings,
        tenant_id=tenant_id,
        kind=SyncVectors.name,
        params={"source": source, "ids": list(ids)},
        direct=False,
    )
