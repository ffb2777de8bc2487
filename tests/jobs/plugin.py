"""A job kind for tests, loaded through HANDWERKML_JOB_PLUGINS like any plugin.

Each item inserts one row into `job_test_effects` inside its own transaction, so
counting rows per (job, seq) shows whether an item's result was lost or doubled.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from handwerkml.jobs.kinds import (
    Item,
    ItemFailed,
    ItemOutcome,
    ItemSpec,
    JobContext,
    JobKind,
    register,
)

metadata = MetaData()
effects = Table(
    "job_test_effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("note", String(50), nullable=False, default=""),
)


async def create_effects_table(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)


class EffectParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: int = Field(default=10, ge=1, le=10_000)
    sleep_ms: float = Field(default=0, ge=0)
    hold_ms: float = Field(default=0, ge=0)
    poison: list[int] = []  # always fail
    flaky: list[int] = []  # fail on the first attempt only
    hang: list[int] = []  # never finish (until the item timeout)
    units_per_item: int = Field(default=0, ge=0)


@register
class Effect(JobKind[EffectParams]):
    name = "test.effect"
    params = EffectParams
    submittable = True

    def estimate_units(self, params: EffectParams) -> int:
        return params.items * params.units_per_item

    async def plan(self, ctx: JobContext, params: EffectParams) -> Iterable[ItemSpec]:
        return [ItemSpec(label=f"effect {n}", payload={"n": n}) for n in range(params.items)]

    async def run_item(self, ctx: JobContext, params: EffectParams, item: Item) -> ItemOutcome:
        if item.seq in params.hang:
            await asyncio.sleep(3600)
        if item.seq in params.poison:
            raise ItemFailed(f"poison item {item.seq} refuses to work")
        if item.seq in params.flaky and item.attempt == 1:
            raise RuntimeError(f"flaky item {item.seq} failed once")
        if params.sleep_ms:
            await asyncio.sleep(params.sleep_ms / 1000)
        await ctx.session.execute(
            insert(effects).values(job_id=ctx.job_id, seq=item.seq, pid=os.getpid())
        )
        # With hold_ms the row waits uncommitted: a worker killed now must leave no
        # trace of it. (Kinds do slow work before their first write: on SQLite an open
        # write transaction keeps every other writer waiting.)
        if params.hold_ms:
            await asyncio.sleep(params.hold_ms / 1000)
        return ItemOutcome(result={"n": item.payload["n"]}, units=params.units_per_item)
