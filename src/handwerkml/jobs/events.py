"""Job events: a worker says "job N changed", progress streams listen.

Events carry a small summary (status and counts) but are only hints: a stream
re-reads the job row when one arrives and every few seconds anyway, so a lost
event delays an update, it never loses one. In-process runner: a local fan-out.
Celery runner: Redis pub/sub, because the worker is another process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis

from handwerkml.config import Settings

logger = logging.getLogger(__name__)

Event = dict[str, Any]


class EventBus(Protocol):
    async def publish(self, job_id: int, event: Event) -> None: ...

    def subscribe(self, job_id: int) -> AbstractInbox: ...

    async def ping(self) -> None:
        """Raise when events cannot be delivered (for readiness)."""
        ...

    async def close(self) -> None: ...


AbstractInbox = AbstractAsyncContextManager[asyncio.Queue[Event]]


class LocalEvents:
    def __init__(self) -> None:
        self._listeners: dict[int, set[asyncio.Queue[Event]]] = {}

    async def publish(self, job_id: int, event: Event) -> None:
        for inbox in self._listeners.get(job_id, ()):
            # A slow listener loses old hints, never blocks the worker.
            if inbox.full():
                inbox.get_nowait()
            inbox.put_nowait(event)

    @asynccontextmanager
    async def _inbox(self, job_id: int) -> AsyncIterator[asyncio.Queue[Event]]:
        inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=100)
        self._listeners.setdefault(job_id, set()).add(inbox)
        try:
            yield inbox
        finally:
            listeners = self._listeners.get(job_id, set())
            listeners.discard(inbox)
            if not listeners:
                self._listeners.pop(job_id, None)

    def subscribe(self, job_id: int) -> AbstractInbox:
        return self._inbox(job_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        self._listeners.clear()


class RedisEvents:
    def __init__(self, url: str, prefix: str) -> None:
        self._redis = aioredis.from_url(url)
        self._prefix = prefix

    def _channel(self, job_id: int) -> str:
        return f"{self._prefix}:job:{job_id}"

    async def publish(self, job_id: int, event: Event) -> None:
        try:
            await self._redis.publish(self._channel(job_id), orjson.dumps(event))
        except aioredis.RedisError as exc:
            # Streams fall back to polling the database; the work must go on.
            logger.warning("could not publish job event: %s", exc)

    @asynccontextmanager
    async def _inbox(self, job_id: int) -> AsyncIterator[asyncio.Queue[Event]]:
        inbox: asyncio.Queue[Event] = asyncio.Queue(maxsize=100)
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel(job_id))

        async def pump() -> None:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                if inbox.full():
                    inbox.get_nowait()
                inbox.put_nowait(orjson.loads(message["data"]))

        task = asyncio.create_task(pump())
        try:
            yield inbox
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await pubsub.aclose()  # type: ignore[no-untyped-call]

    def subscribe(self, job_id: int) -> AbstractInbox:
        return self._inbox(job_id)

    async def ping(self) -> None:
        await self._redis.ping()

    async def close(self) -> None:
        await self._redis.aclose()


def create_event_bus(settings: Settings) -> EventBus:
    if settings.queue == "celery":
        return RedisEvents(settings.redis_url, settings.queue_name)
    return LocalEvents()
