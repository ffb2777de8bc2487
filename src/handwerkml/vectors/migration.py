"""Changing the embedding model without downtime: fill a new collection, then switch.

`start_migration` creates a `building` collection for the new model and a
system job (`embeddings.migrate`) that embeds every source of the active
collection again. Searches keep using the active collection meanwhile, and
every write goes to both. When the last item is done, the job's finishing
transaction makes the new collection active and the old one `standby`, in one
commit: a search sees one or the other, never a mix. A failed or cancelled
migration leaves the old collection active. Switching back is `activate`: the
standby collection was kept current, so nothing is re-embedded.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handwerkml.db.models import Job, VectorCollection, VectorRecord
from handwerkml.jobs import service as jobs
from handwerkml.jobs.kinds import Item, ItemOutcome, ItemSpec, JobContext, JobKind, register
from handwerkml.jobs.states import FINISHED
from handwerkml.kit.errors import Conflict, NotFound, Unprocessable
from handwerkml.kit.time import utcnow
from handwerkml.vectors.base import collection_name
from handwerkml.vectors.index import Collection, CollectionStatus, VectorIndex
from handwerkml.vectors.sources import get_loader

BATCH = 64


class MigrateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: str = Field(description="The building collection to fill")


@register
class MigrateEmbeddings(JobKind[MigrateParams]):
    name = "embeddings.migrate"
    params = MigrateParams
    system = True

    async def plan(self, ctx: JobContext, params: MigrateParams) -> Iterable[ItemSpec]:
        active = await _active_name(ctx.session)
        rows = await ctx.session.execute(
            select(VectorRecord.tenant_id, VectorRecord.source, VectorRecord.source_id)
            .where(VectorRecord.collection == active, VectorRecord.deleted.is_(False))
            .order_by(VectorRecord.tenant_id, VectorRecord.source, VectorRecord.source_id)
        )
        groups: dict[tuple[int, str], list[int]] = {}
        for tenant_id, source, source_id in rows.all():
            groups.setdefault((tenant_id, source), []).append(source_id)
        return [
            ItemSpec(
                label=f"tenant {tenant_id}: {source} {ids[start]}…",
                payload={
                    "tenant_id": tenant_id,
                    "source": source,
                    "ids": ids[start : start + BATCH],
                },
                stage="embed",
            )
            for (tenant_id, source), ids in groups.items()
            for start in range(0, len(ids), BATCH)
        ]

    async def run_item(self, ctx: JobContext, params: MigrateParams, item: Item) -> ItemOutcome:
        tenant_id, source = int(item.payload["tenant_id"]), str(item.payload["source"])
        embedded = await _embed_into(
            ctx, params.collection, tenant_id, source, list(item.payload["ids"])
        )
        return ItemOutcome(result={"embedded": embedded})

    async def finish(self, ctx: JobContext, params: MigrateParams) -> dict[str, object]:
        # Sources written between the plan and now that a sync job wrote before the
        # new collection existed: embed them here, so the switch loses none.
        active = await _active_name(ctx.session)
        target = aliased(VectorRecord)
        in_target = (
            select(target.id)
            .where(
                target.collection == params.collection,
                target.tenant_id == VectorRecord.tenant_id,
                target.record_id == VectorRecord.record_id,
            )
            .exists()
        )
        missing = await ctx.session.execute(
            select(VectorRecord.tenant_id, VectorRecord.source, VectorRecord.source_id).where(
                VectorRecord.collection == active, VectorRecord.deleted.is_(False), ~in_target
            )
        )
        caught_up = 0
        groups: dict[tuple[int, str], list[int]] = {}
        for tenant_id, source, source_id in missing.all():
            groups.setdefault((tenant_id, source), []).append(source_id)
        for (tenant_id, source), ids in groups.items():
            caught_up += await _embed_into(ctx, params.collection, tenant_id, source, ids)
        await switch(ctx.session, params.collection)
        index = ctx.resources.vectors
        switched = await _collection(ctx.session, params.collection)

        async def warm() -> None:
            await index.store(switched)  # the first search after the switch finds it open

        ctx.after_commit.append(warm)
        return {"active": params.collection, "standby": active, "caught_up": caught_up}


async def _embed_into(
    ctx: JobContext, collection: str, tenant_id: int, source: str, ids: list[int]
) -> int:
    index = ctx.resources.vectors
    target = await _collection(ctx.session, collection)
    found = await get_loader(source)(ctx.session, tenant_id, ids)
    written = await index.write(ctx.session, tenant_id, source, found, collections=[target])

    async def apply() -> None:
        await index.apply(written)

    ctx.after_commit.append(apply)
    return len(found)


async def _active_name(session: AsyncSession) -> str:
    name = await session.scalar(
        select(VectorCollection.name).where(VectorCollection.status == CollectionStatus.active)
    )
    if name is None:
        raise Conflict("no active vector collection to migrate from")
    return name


async def _collection_row(session: AsyncSession, name: str) -> VectorCollection:
    row = await session.get(VectorCollection, name)
    if row is None:
        raise NotFound("Vector collection", name)
    return row


async def _collection(session: AsyncSession, name: str) -> Collection:
    return Collection.of(await _collection_row(session, name))


async def switch(session: AsyncSession, name: str) -> None:
    """Make `name` active and the active one standby, in the caller's transaction."""
    now = utcnow()
    await session.execute(
        update(VectorCollection)
        .where(VectorCollection.status == CollectionStatus.standby, VectorCollection.name != name)
        .values(status=CollectionStatus.retired)
    )
    await session.execute(
        update(VectorCollection)
        .where(VectorCollection.status == CollectionStatus.active, VectorCollection.name != name)
        .values(status=CollectionStatus.standby)
    )
    await session.execute(
        update(VectorCollection)
        .where(VectorCollection.name == name)
        .values(status=CollectionStatus.active, activated_at=now)
    )


async def start_migration(session: AsyncSession, index: VectorIndex, model_id: str) -> Job | None:
    """Start filling a collection for `model_id`; None when it is the standby one and
    switching back needed no job. The caller commits and wakes the workers."""
    active = await index.active()
    provider_space = index.embedder_for(model_id).space
    name = collection_name(provider_space)
    if name == active.name:
        raise Conflict(f"{model_id} is already the active embedding model")
    running = await session.scalar(
        select(VectorCollection.name)
        .join(Job, Job.id == VectorCollection.job_id)
        .where(VectorCollection.status == CollectionStatus.building, ~Job.status.in_(FINISHED))
    )
    if running is not None:
        raise Conflict(f"a migration to {running} is already running")
    existing = await session.get(VectorCollection, name)
    if existing is not None and existing.status == CollectionStatus.standby:
        await switch(session, name)
        return None
    job = await jobs.submit_system(
        session, kind=MigrateEmbeddings.name, params={"collection": name}
    )
    if existing is None:
        session.add(
            VectorCollection(
                name=name,
                model_id=provider_space.model_id,
                dimension=provider_space.dimension,
                status=CollectionStatus.building,
                job_id=job.id,
                created_at=utcnow(),
            )
        )
    else:
        # A retired collection (a failed migration, an old model) is filled again
        # from scratch: its rows are stale. The store notices and rebuilds.
        await session.execute(delete(VectorRecord).where(VectorRecord.collection == name))
        existing.status, existing.job_id = CollectionStatus.building, job.id
    await session.flush()
    return job


async def activate(session: AsyncSession, name: str) -> VectorCollection:
    """Switch searches to a standby collection (a rollback)."""
    row = await _collection_row(session, name)
    if row.status == CollectionStatus.active:
        return row
    if row.status != CollectionStatus.standby:
        raise Unprocessable(
            f"collection {name} is {row.status}: only a standby collection (kept current) "
            "can be switched to; migrate to its model to fill it again"
        )
    await switch(session, name)
    await session.refresh(row)
    return row
