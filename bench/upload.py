"""Upload latency over HTTP: POST /api/v1/documents, with and without ingestion running.

The issue's promise is that an upload answers at once (well under 100 ms) with the
document and its queued job, whatever the workers are doing. This starts
`handwerkml serve` on the embedded default (SQLite) twice on one database:

- idle: no job workers (HANDWERKML_JOB_WORKERS=0), so each upload only stores the
  file, writes its rows and queues its job;
- ingesting: the two in-process workers of the default, which start on the queue
  left by the idle phase and on each new upload, so uploads meet ingestion items
  committing their chunks and vectors (SQLite has one write lock).

Each upload is a different 20-page German text PDF (~37 KiB), one at a time.

    .venv/bin/python bench/upload.py [--uploads 50]

Results go to bench/results/upload-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.documents import factories

from handwerkml.auth.permissions import Role
from handwerkml.auth.service import create_tenant, create_user
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.embeddings.prepare import prepare_model

RESULTS = Path(__file__).with_name("results")
EMAIL, PASSWORD = "bench@upload.example.de", "bench-password-123"


def _search_bench() -> Any:
    """bench/search.py, for `serve` and its corpus sentences (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "bench_search", Path(__file__).with_name("search.py")
    )
    if spec is None or spec.loader is None:
        raise ImportError("bench/search.py not found beside bench/upload.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


search_bench = _search_bench()


def pdf(serial: int) -> bytes:
    pages = search_bench.ingest_bench._pages(random.Random(serial), serial, 20)
    return factories.text_pdf([[line[:95] for line in page[:3]] for page in pages])


def uploads(base: str, serial_from: int, count: int) -> dict[str, float]:
    with httpx.Client(base_url=base, timeout=60) as client:
        token = client.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        timings = []
        for serial in range(serial_from, serial_from + count):
            files = {"files": (f"angebot-{serial}.pdf", pdf(serial), "application/pdf")}
            sent = time.perf_counter()
            response = client.post("/api/v1/documents", files=files, headers=headers)
            timings.append((time.perf_counter() - sent) * 1000)
            response.raise_for_status()
            time.sleep(0.2)  # an office worker's pace, not a flood
    first = timings[0]
    timings.sort()
    return {
        "uploads": count,
        # The server's first request meets its start-up (model load, store open).
        "first_ms": round(first, 1),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
    }


def main(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="hwml-bench-upload-"))
    models = work / "models"
    prepare_model(models)
    env = {
        "HANDWERKML_DATABASE_URL": f"sqlite+aiosqlite:///{work}/bench.db",
        "HANDWERKML_DATA_DIR": str(work),
        "HANDWERKML_MODELS_DIR": str(models),
        "HANDWERKML_SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
        "HANDWERKML_TIERS": json.dumps({"free": {"daily_units": 10_000_000, "concurrent_jobs": 5}}),
    }
    settings = Settings(database_url=env["HANDWERKML_DATABASE_URL"], data_dir=work, _env_file=None)
    upgrade(settings)

    async def create_admin() -> None:
        database = Database.connect(settings)
        try:
            async with database.write() as session:
                tenant = await create_tenant(session, name="Bench Upload", slug="bench-upload")
                await create_user(
                    session, tenant_id=tenant.id, email=EMAIL, role=Role.admin, password=PASSWORD
                )
                await session.commit()
        finally:
            await database.dispose()

    asyncio.run(create_admin())
    results: dict[str, Any] = {"setup": "embedded (SQLite), one uvicorn worker"}
    with search_bench.serve(env | {"HANDWERKML_JOB_WORKERS": "0"}) as base:
        results["idle"] = uploads(base, 0, args.uploads)
        print("idle", results["idle"], flush=True)
    with search_bench.serve(env) as base:
        results["ingesting"] = uploads(base, args.uploads, args.uploads)
        print("ingesting", results["ingesting"], flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--uploads", type=int, default=50)
    result = main(parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"upload-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
