"""What a kind of job is: how it splits into items and what one item does.

A kind is a small class registered under its name. The worker plans a job once
(`plan` → items) and then runs its items one by one; `run_item` gets the item's
own transaction, so whatever it writes commits together with the item's status
and the job's progress, or not at all. Kinds never commit.

Built-in kinds live in jobs/builtin.py; other packages (and tests) register more
from the modules named in HANDWERKML_JOB_PLUGINS.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.config import Settings
from handwerkml.kit.errors import Unprocessable

if TYPE_CHECKING:
    from handwerkml.resources import Resources


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True)
class ItemSpec:
    label: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    stage: str = "run"


@dataclass(frozen=True, slots=True)
class Item:
    seq: int
    label: str
    payload: dict[str, Any]
    stage: str
    # 1 on the first try, 2 on the first retry, …
    attempt: int


@dataclass(frozen=True, slots=True)
class ItemOutcome:
    result: dict[str, Any] | None = None
    # Quota units (chunks) this item used; charged to the tenant's day.
    units: int = 0


@dataclass(frozen=True, slots=True)
class JobContext:
    job_id: int
    tenant_id: int | None
    settings: Settings
    session: AsyncSession
    resources: Resources
    # Run by the worker once `session` has committed (e.g. handing new vectors to
    # the index); a failure there is logged, the committed work stands.
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


class ItemFailed(Exception):
    """An item failed for a reason worth showing to people; it may be retried."""


class ItemRejected(ItemFailed):
    """The item's input itself is bad (a corrupt file): it fails without retries."""


P = TypeVar("P", bound=BaseModel)


class JobKind(Generic[P]):
    """Subclass, set `name` and `params`, implement `plan` and `run_item`."""

    name: ClassVar[str]
    params: type[P]
    # Whether POST /api/v1/jobs may start it; other kinds have their own endpoints.
    submittable: ClassVar[bool] = False
    # Only the system (the scheduler) starts it; it belongs to no tenant.
    system: ClassVar[bool] = False

    def parse(self, raw: dict[str, Any]) -> P:
        try:
            return self.params.model_validate(raw)
        except ValidationError as exc:
            reasons = "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'params'}: {error['msg']}"
                for error in exc.errors()
            )
            raise Unprocessable(reasons, loc=("body", "params")) from exc

    def estimate_units(self, params: P) -> int:
        """Quota units the job will likely use, checked against the daily quota."""
        return 0

    async def plan(self, ctx: JobContext, params: P) -> Iterable[ItemSpec]:
        raise NotImplementedError

    async def run_item(self, ctx: JobContext, params: P, item: Item) -> ItemOutcome:
        raise NotImplementedError

    async def item_failed(self, ctx: JobContext, params: P, item: Item, reason: str) -> None:
        """An item failed for good; runs in the transaction that records it."""

    async def finish(self, ctx: JobContext, params: P) -> dict[str, Any] | None:
        """The job's result once every item is done; runs in the finishing transaction."""
        return None


_KINDS: dict[str, JobKind[Any]] = {}


def register(kind: type[JobKind[Any]]) -> type[JobKind[Any]]:
    _KINDS[kind.name] = kind()
    return kind


def get_kind(name: str) -> JobKind[Any] | None:
    return _KINDS.get(name)


def all_kinds() -> dict[str, JobKind[Any]]:
    return dict(_KINDS)


# Modules of this package that register kinds (and the sources they embed).
BUILTIN_MODULES = (
    "handwerkml.jobs.builtin",
    "handwerkml.vectors.sync",
    "handwerkml.vectors.migration",
    "handwerkml.similarity.projects",
    "handwerkml.documents.ingest",
    "handwerkml.documents.folders",
    "handwerkml.pricing.training",
    "handwerkml.tenders.pricing",
)


def load_kinds(settings: Settings) -> None:
    """Import the built-in kinds and every plugin module; safe to call repeatedly."""
    for module in (*BUILTIN_MODULES, *settings.job_plugins):
        importlib.import_module(module)
