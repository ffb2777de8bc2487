"""Folder ingestion throughput: a cold run, a warm re-run, a run with changed files.

Builds a corpus of mixed German documents (text PDFs of about five pages, DOCX,
Markdown and plain text, and a share of scanned pages as PNG images), then runs
the same `documents.folder` job `handwerkml ingest` runs, in this process on the
embedded default (SQLite, in-process worker, faiss store, the local model):

- cold: every file new (extract, OCR, chunk, embed, store);
- warm: nothing changed (each file read and hashed, nothing embedded);
- changed: a share of the files edited (only their new chunk texts are embedded).

Reports files/s, chunks/s, OCR pages and how many texts reached the model.

    .venv/bin/python bench/ingest.py [--files 1000] [--scan-share 0.1] [--change-share 0.05]

Results go to bench/results/ingest-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.documents import factories

from handwerkml.auth.service import create_tenant
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.db.models import DocumentChunk, Job
from handwerkml.documents import service
from handwerkml.documents.schemas import FolderIngest
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.embeddings.prepare import prepare_model
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics
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
    async with database.write() as session:
        job = await service.ingest_folder(
            session, settings, tenant_id, FolderIngest(path=str(folder))
        )
        await session.commit()
    worker = Worker(
        database=database,
        settings=settings,
        events=LocalEvents(),
        metrics=JobMetrics(CollectorRegistry()),
        resources=resources,
        runner="bench",
    )
    misses_before = resources.vectors.cache_counts()[1]
    started = time.perf_counter()
    await worker.drain()
    await resources.vectors.flush()
    seconds = time.perf_counter() - started
    async with database.read() as session:
        finished = await session.get(Job, job.id)
        chunks = await session.scalar(select(func.count()).select_from(DocumentChunk))
    if finished is None or finished.status != "succeeded":
        raise RuntimeError(f"the folder run did not succeed: {finished and finished.last_error}")
    return {
        "seconds": round(seconds, 2),
        "files": finished.total_items - 1,
        "files_per_s": round((finished.total_items - 1) / seconds, 2),
        "chunks_in_database": chunks,
        "chunks_charged": finished.units_used,
        "chunks_per_s": round(finished.units_used / seconds, 1),
        "texts_embedded": resources.vectors.cache_counts()[1] - misses_before,
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
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{work}/bench.db",
        data_dir=work,
        models_dir=models,
        ingest_roots=[work],
        secret_key="bench-secret-key-that-is-long-enough-for-hs256",
        tiers={"free": {"daily_units": 10_000_000, "concurrent_jobs": 5}},
        _env_file=None,
    )
    upgrade(settings)
    load_kinds(settings)
    return asyncio.run(measure(settings, folder, kinds, args))


async def measure(
    settings: Settings, folder: Path, kinds: dict[str, int], args: argparse.Namespace
) -> dict[str, Any]:
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
    finally:
        await resources.close()
        await database.dispose()
    ocr_pages = kinds.get("scan", 0)
    return {
        "setup": "embedded (SQLite, in-process worker, faiss, local e5-small int8)",
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "corpus": kinds,
        "ocr_pages": ocr_pages,
        "runs": runs,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--scan-share", type=float, default=0.1)
    parser.add_argument("--change-share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=7)
    result = main(parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"ingest-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
