"""A worker: claim a job under a lease, run its items for one time slice, give it back.

Both runners use this class; they differ only in how a worker is woken up. One
item is one transaction: the kind's writes, the item's status and the job's
counters commit together, and only while the worker's lease token is still the
job's (see jobs/repository.py). So a worker killed at any instant leaves every
item either done exactly once or still pending, and the next claim resumes at
the first pending item.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.models import Job, JobItem, JobWorker
from handwerkml.jobs import repository
from handwerkml.jobs.events import EventBus
from handwerkml.jobs.kinds import Item, ItemFailed, ItemRejected, JobContext, JobKind, get_kind
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.repository import Lease
from handwerkml.jobs.states import ItemStatus, JobStatus
from handwerkml.kit.time import utcnow
from handwerkml.resources import Resources

logger = logging.getLogger(__name__)

# Items fetched per query; small enough that a pause or cancel is seen soon.
_BATCH = 32


class LeaseLost(Exception):
    """Another worker, a pause or a cancel took the job; this worker's writes are void."""


def describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(exc, ItemFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def backoff_seconds(settings: Settings, attempt: int) -> float:
    """Wait before the retry that follows failed attempt number `attempt` (1, 2, …)."""
    base = settings.job_retry_base_seconds * 2 ** (attempt - 1)
    jitter = settings.job_retry_jitter
    return float(base * random.uniform(1 - jitter, 1 + jitter))


def worker_id(runner: str) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{runner}:{uuid.uuid4().hex[:6]}"


async def _after_commit(context: JobContext) -> None:
    for hook in context.after_commit:
        try:
            await hook()
        except Exception:
            logger.exception("job %s: an after-commit hook failed", context.job_id)


class Worker:
    def __init__(
        self,
        *,
        database: Database,
        settings: Settings,
        events: EventBus,
        metrics: JobMetrics,
        resources: Resources,
        runner: str,
    ) -> None:
        self.database = database
        self.resources = resources
        self.settings = settings
        self.events = events
        self.metrics = metrics
        self.runner = runner
        self.id = worker_id(runner)
        self._lease: Lease | None = None
        self._lost = False
        self._current_item: str | None = None
        self._items_done = 0
        self._items_failed = 0

    def _context(self, job: Job, session: AsyncSession) -> JobContext:
        return JobContext(job.id, job.tenant_id, self.settings, session, self.resources)

    # -- the outer loop -------------------------------------------------------------

    async def run_once(self) -> bool:
        """Claim one job and work on it for one slice; False when nothing was runnable."""
        now = utcnow()
        async with self.database.write() as session:
            lease = await repository.claim(
                session,
                owner=self.id,
                now=now,
                lease_seconds=self.settings.job_lease_seconds,
                tiers=self.settings.tiers,
            )
            await session.commit()
        if lease is None:
            return False
        if lease.recovered_from:
            logger.warning(
                "job %s: resumed after %s lost its lease", lease.job_id, lease.recovered_from
            )
        self._lease, self._lost = lease, False
        try:
            await self._run_slice(lease)
        except LeaseLost:
            logger.info("job %s: lease lost (paused, cancelled or taken over)", lease.job_id)
        except asyncio.CancelledError:
            # Shutting down: hand the job back now rather than at lease expiry.
            with contextlib.suppress(Exception):
                await self._give_back(lease, not_before=utcnow())
            raise
        finally:
            self._lease = None
            self._current_item = None
        return True

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Run slices until nothing is runnable; the number of slices run."""
        slices = 0
        while (stop is None or not stop.is_set()) and await self.run_once():
            slices += 1
        return slices

    async def run_forever(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be down for a moment; a worker must outlive that.
                logger.exception("worker %s: claiming failed", self.id)
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(
                waiters, timeout=self.settings.job_poll_seconds, return_when="FIRST_COMPLETED"
            )
            for waiter in waiters:
                waiter.cancel()

    # -- heartbeat ------------------------------------------------------------------

    async def heartbeat_forever(self) -> None:
        """Extend the current lease and report this worker's state, every lease/3."""
        interval = self.settings.job_lease_seconds / 3
        while True:
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("worker %s: heartbeat failed", self.id)
            await asyncio.sleep(interval)

    async def beat(self) -> None:
        now = utcnow()
        lease = self._lease
        async with self.database.write() as session:
            if lease is not None and not self._lost:
                until = now + timedelta(seconds=self.settings.job_lease_seconds)
                if not await repository.extend(session, lease, until):
                    self._lost = True
            state = {
                "heartbeat_at": now,
                "current_job_id": lease.job_id if lease else None,
                "current_item": self._current_item,
                "items_done": self._items_done,
                "items_failed": self._items_failed,
            }
            updated = await session.execute(
                update(JobWorker).where(JobWorker.id == self.id).values(**state)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                await session.execute(
                    insert(JobWorker).values(
                        id=self.id,
                        runner=self.runner,
                        hostname=socket.gethostname(),
                        pid=os.getpid(),
                        started_at=now,
                        **state,
                    )
                )
            await session.commit()

    async def retire(self) -> None:
        """Leave cleanly: give back the lease at once and remove this worker's row."""
        lease = self._lease
        async with self.database.write() as session:
            if lease is not None:
                await repository.release(session, lease, not_before=utcnow())
            await session.execute(delete(JobWorker).where(JobWorker.id == self.id))
            await session.commit()

    # -- one slice of one job -------------------------------------------------------

    async def _run_slice(self, lease: Lease) -> None:
        deadline = time.monotonic() + self.settings.job_slice_seconds
        async with self.database.read() as session:
            job = await session.get(Job, lease.job_id)
        assert job is not None
        kind = get_kind(job.kind)
        if kind is None:
            await self._end(lease, job, JobStatus.failed, error=f"unknown job kind {job.kind!r}")
            return
        try:
            params = kind.params.model_validate(job.params)
        except ValueError as exc:
            await self._end(lease, job, JobStatus.failed, error=f"invalid parameters: {exc}")
            return
        if job.started_at is None and not await self._plan(lease, job, kind, params):
            return
        while True:
            if self._lost:
                raise LeaseLost
            now = utcnow()
            async with self.database.read() as session:
                items = await repository.due_items(session, job.id, now, _BATCH)
            if not items:
                await self._settle(lease, job, kind, params)
                return
            for item in items:
                if self._lost:
                    raise LeaseLost
                if time.monotonic() > deadline:
                    await self._give_back(lease, not_before=utcnow())
                    return
                await self._run_item(lease, job, kind, params, item)

    async def _plan(self, lease: Lease, job: Job, kind: JobKind[Any], params: Any) -> bool:
        try:
            async with self.database.write() as session:
                context = self._context(job, session)
                specs = list(await kind.plan(context, params))
                if specs:
                    await session.execute(
                        insert(JobItem),
                        [
                            {
                                "job_id": job.id,
                                "seq": seq,
                                "stage": spec.stage,
                                "label": spec.label[:500],
                                "payload": spec.payload,
                            }
                            for seq, spec in enumerate(specs)
                        ],
                    )
                if not await repository.fence(
                    session, lease, started_at=utcnow(), total_items=len(specs)
                ):
                    raise LeaseLost
                await session.commit()
            await _after_commit(context)
        except LeaseLost:
            raise
        except Exception as exc:
            logger.warning("job %s: planning failed", job.id, exc_info=True)
            await self._end(
                lease, job, JobStatus.failed, error=f"could not start: {describe(exc, 0)}"
            )
            return False
        job.total_items = len(specs)
        await self._publish(job.id, JobStatus.running)
        return True

    async def _run_item(
        self, lease: Lease, job: Job, kind: JobKind[Any], params: Any, row: JobItem
    ) -> None:
        timeout = self.settings.job_item_timeout_seconds
        item = Item(row.seq, row.label, row.payload, row.stage, row.attempts + 1)
        self._current_item = row.label or f"item {row.seq}"
        started = time.perf_counter()
        try:
            async with self.database.write() as session:
                context = self._context(job, session)
                outcome = await asyncio.wait_for(kind.run_item(context, params, item), timeout)
                now = utcnow()
                await session.execute(
                    update(JobItem)
                    .where(JobItem.id == row.id, JobItem.status == ItemStatus.pending)
                    .values(
                        status=ItemStatus.done,
                        attempts=JobItem.attempts + 1,
                        result=outcome.result,
                        finished_at=now,
                    )
                )
                counted = await repository.fence(
                    session,
                    lease,
                    done_items=Job.done_items + 1,
                    units_used=Job.units_used + outcome.units,
                    checkpoint={"last_item": row.seq, "at": now.isoformat()},
                )
                if not counted:
                    raise LeaseLost
                if outcome.units and job.tenant_id is not None:
                    await repository.add_usage(session, job.tenant_id, now.date(), outcome.units)
                await session.commit()
            await _after_commit(context)
        except (LeaseLost, asyncio.CancelledError):
            raise
        except Exception as exc:
            retry = not isinstance(exc, ItemRejected)
            await self._item_failed(
                lease, job, row, describe(exc, timeout), kind, params, retry=retry
            )
            return
        finally:
            self.metrics.item_seconds.labels(job.kind).observe(time.perf_counter() - started)
        self._items_done += 1
        self.metrics.items.labels(job.kind, "done").inc()
        await self._publish(job.id, JobStatus.running)

    async def _item_failed(
        self,
        lease: Lease,
        job: Job,
        row: JobItem,
        reason: str,
        kind: JobKind[Any],
        params: Any,
        *,
        retry: bool = True,
    ) -> None:
        attempt = row.attempts + 1
        final = not retry or attempt >= self.settings.job_max_attempts
        now = utcnow()
        async with self.database.write() as session:
            if final:
                item = Item(row.seq, row.label, row.payload, row.stage, attempt)
                await kind.item_failed(self._context(job, session), params, item, reason)
            values: dict[str, Any] = {"attempts": attempt, "last_error": reason}
            if final:
                values |= {"status": ItemStatus.failed, "finished_at": now}
            else:
                wait = backoff_seconds(self.settings, attempt)
                values["next_attempt_at"] = now + timedelta(seconds=wait)
            await session.execute(update(JobItem).where(JobItem.id == row.id).values(**values))
            job_values: dict[str, Any] = {"last_error": f"item {row.seq} ({row.label}): {reason}"}
            if final:
                job_values["failed_items"] = Job.failed_items + 1
            if not await repository.fence(session, lease, **job_values):
                raise LeaseLost
            await session.commit()
        self._items_failed += final
        self.metrics.items.labels(job.kind, "failed" if final else "retry").inc()
        logger.info("job %s item %s attempt %s failed: %s", job.id, row.seq, attempt, reason)

    async def _settle(self, lease: Lease, job: Job, kind: JobKind[Any], params: Any) -> None:
        """No item is due: finish the job, or wait for the earliest retry."""
        async with self.database.read() as session:
            retry_at = await repository.next_retry_at(session, job.id)
        if retry_at is not None:
            await self._give_back(lease, not_before=retry_at)
            return
        async with self.database.read() as session:
            stages = await repository.progress_by_stage(session, job.id)
        done = sum(stage["done"] for stage in stages.values())
        failed = sum(stage["failed"] for stage in stages.values())
        total = done + failed
        too_many = total > 0 and failed / total > self.settings.job_max_failed_share
        status = JobStatus.failed if too_many else JobStatus.succeeded
        error = f"{failed} of {total} items failed" if too_many else None
        await self._end(
            lease, job, status, error=error, kind=kind, params=params, counts=(done, failed)
        )

    async def _end(
        self,
        lease: Lease,
        job: Job,
        status: JobStatus,
        *,
        error: str | None = None,
        kind: JobKind[Any] | None = None,
        params: Any = None,
        counts: tuple[int, int] = (0, 0),
    ) -> None:
        now = utcnow()
        async with self.database.write() as session:
            context = self._context(job, session)
            result: dict[str, Any] | None = {"items_done": counts[0], "items_failed": counts[1]}
            if kind is not None and status == JobStatus.succeeded:
                result = await kind.finish(context, params) or result
            values: dict[str, Any] = {
                "status": status,
                "finished_at": now,
                "result": result,
                "lease_owner": None,
                "lease_expires_at": None,
            }
            if error is not None:
                values["last_error"] = error
            if not await repository.fence(session, lease, **values):
                raise LeaseLost
            await session.commit()
        await _after_commit(context)
        self.metrics.job_seconds.labels(job.kind, status).observe(
            (now - job.created_at).total_seconds()
        )
        await self._publish(job.id, status)

    async def _give_back(self, lease: Lease, *, not_before: datetime) -> None:
        async with self.database.write() as session:
            if not await repository.release(session, lease, not_before=not_before):
                raise LeaseLost
            await session.commit()

    async def _publish(self, job_id: int, status: JobStatus) -> None:
        await self.events.publish(job_id, {"job_id": job_id, "status": status})
