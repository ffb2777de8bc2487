"""`handwerkml embeddings prepare|info|collections|migrate|activate`.

prepare makes a local model ready offline (once, at install); migrate moves every
vector to another model while searches go on; activate switches back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.cli._db import run_in_session
from handwerkml.cli._output import fail
from handwerkml.config import Settings, get_settings
from handwerkml.db.engine import Database
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.embeddings.models import UnknownModelError, resolve_model_id
from handwerkml.embeddings.prepare import (
    CATALOG,
    DEFAULT_MODEL,
    DEFAULT_PRECISION,
    Manifest,
    ModelSourceMissingError,
    Precision,
    is_prepared,
    model_dir,
    prepare_model,
)
from handwerkml.embeddings.providers.local import ModelNotPreparedError
from handwerkml.vectors.index import Collection, VectorIndex
from handwerkml.vectors.migration import activate as activate_collection
from handwerkml.vectors.migration import start_migration

T = TypeVar("T")

app = typer.Typer(
    help="The embedding model: prepare it, and change it without downtime.", no_args_is_help=True
)

ModelName = Annotated[str, typer.Option("--model", help=f"One of: {', '.join(CATALOG)}.")]
PrecisionOption = Annotated[
    str, typer.Option("--precision", help="int8 (faster, the default) or fp32.")
]
ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models-dir", help="Where prepared models live.", show_default="DATA_DIR/models"
    ),
]


def _models_dir(option: Path | None) -> Path:
    return option if option is not None else get_settings().model_directory


def _precision(value: str) -> Precision:
    if value == "int8":
        return "int8"
    if value == "fp32":
        return "fp32"
    fail(f"unknown precision {value!r}: use int8 or fp32")
    return None


@app.command()
def prepare(
    model: ModelName = DEFAULT_MODEL,
    precision: PrecisionOption = DEFAULT_PRECISION,
    models_dir: ModelsDir = None,
    force: Annotated[bool, typer.Option("--force", help="Convert again even if ready.")] = False,
) -> None:
    """Convert the packaged model to ONNX once (about 5 s); later starts only load it."""
    if model not in CATALOG:
        fail(f"unknown model {model!r}: use one of {', '.join(CATALOG)}")
    directory = _models_dir(models_dir)
    started = time.perf_counter()
    try:
        target = prepare_model(directory, model, _precision(precision), force=force)
    except ModelSourceMissingError as error:
        fail(f"{error}: pip install {error.package}")
    manifest = Manifest.read(target)
    typer.echo(
        f"{manifest.model_id} ({manifest.dimension}-d) ready in {target} "
        f"({time.perf_counter() - started:.1f} s)"
    )


@app.command()
def info(models_dir: ModelsDir = None) -> None:
    """List the models that can be prepared and those that are ready."""
    directory = _models_dir(models_dir)
    for name, spec in CATALOG.items():
        for precision in ("int8", "fp32"):
            target = model_dir(directory, name, precision)
            if is_prepared(target):
                manifest = Manifest.read(target)
                state = (
                    f"ready: {manifest.model_id}, {manifest.dimension}-d, "
                    f"from {manifest.source_package} {manifest.source_version}"
                )
            else:
                state = "not prepared"
            typer.echo(f"{name} [{precision}] (package {spec.package}): {state}")


async def _with_index(
    settings: Settings, session: AsyncSession, work: Callable[[VectorIndex], Awaitable[T]]
) -> T:
    database = Database.connect(settings)
    index = VectorIndex(settings, database, CacheMetrics(CollectorRegistry()))
    try:
        return await work(index)
    finally:
        await index.close()
        await database.dispose()


@app.command()
def collections() -> None:
    """The vector collections (one per model) and which one searches use."""
    settings = get_settings()

    async def work(session: AsyncSession) -> list[Collection]:
        async def listing(index: VectorIndex) -> list[Collection]:
            await index.active()
            return await index.collections()

        return await _with_index(settings, session, listing)

    for collection in run_in_session(settings, work):
        space = collection.space
        typer.echo(f"{collection.name}  {space.model_id}  {space.dimension}-d  {collection.status}")


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="A model name (see `info`) or a model id.")],
    precision: PrecisionOption = DEFAULT_PRECISION,
) -> None:
    """Re-embed everything with another model in a job; searches switch when it is done."""
    settings = get_settings()
    try:
        model_id = resolve_model_id(to, _precision(precision))
    except UnknownModelError as error:
        fail(str(error))

    async def work(session: AsyncSession) -> tuple[int | None, str]:
        async def start(index: VectorIndex) -> tuple[int | None, str]:
            job = await start_migration(session, index, model_id)
            return (job.id if job else None), index.collection_for(model_id)

        return await _with_index(settings, session, start)

    try:
        job_id, name = run_in_session(settings, work)
    except ModelNotPreparedError as error:
        fail(str(error))
    if job_id is None:
        typer.echo(f"{name} was standby and is active again")
        return
    if settings.queue == "celery":
        from handwerkml.jobs.runners.celery import CeleryRunner

        asyncio.run(CeleryRunner(settings).notify())
    typer.echo(
        f"job {job_id} fills {name}; follow it with `handwerkml jobs show {job_id} --follow`"
    )


@app.command()
def activate(name: Annotated[str, typer.Argument(help="A standby collection's name.")]) -> None:
    """Switch searches back to a standby collection (undo a migration)."""
    settings = get_settings()

    async def work(session: AsyncSession) -> str:
        return (await activate_collection(session, name)).status

    typer.echo(f"{name}: {run_in_session(settings, work)}")
