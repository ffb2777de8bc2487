"""Pricing a tender end to end: import, embed and price 500 items against 1,000 past ones.

The firm's history is ten priced bills (X86, built with tenders/sample.py) of 100
items each, dated over the last three years, their unit prices from a fixed rule
(a base price per kind of work, a factor per material or size) with ±5 % noise.
Every item names where the work is ("…, Achse 7"), so nearly every text is new to the
embedding cache. The tender has 500 items: 70 % the same work worded like the history
(the place may differ), 20 % reworded ("Liefern und herstellen: …", "Stärke" for
"Dicke", ", komplett"), 10 % work the history never saw.

Measured, on the embedded setup (SQLite, in-process worker, the local e5-small int8):

- history: importing the ten bills and running their jobs (embedding 1,000 items);
- tender: the import request (read, store, queue) and its `tenders.price` job
  (embedding 500 items, one history search each, the suggestions written), i.e. the
  time from upload to every item having a suggestion;
- quality: suggestion sources, and the error of history suggestions against the
  rule's price brought to today (the rule has no inflation, the suggestions add 3 %
  a year, so the error includes that bias on purpose: it is what a user would see).

    .venv/bin/python bench/tenders.py [--history-items 1000] [--tender-items 500]

Results go to bench/results/tenders.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from handwerkml.auth.service import create_tenant
from handwerkml.config import Settings
from handwerkml.db.engine import Database
from handwerkml.db.migrate import upgrade
from handwerkml.db.models import Job, TenderItem
from handwerkml.embeddings.cache import CacheMetrics
from handwerkml.embeddings.prepare import prepare_model
from handwerkml.jobs.events import LocalEvents
from handwerkml.jobs.kinds import load_kinds
from handwerkml.jobs.metrics import JobMetrics
from handwerkml.jobs.worker import Worker
from handwerkml.resources import Resources
from handwerkml.tenders import service
from handwerkml.tenders.sample import SampleItem, bill_xml

RESULTS = Path(__file__).with_name("results")

# (text with {a} and {b}, unit, base price, choices for a with a factor, choices for b)
WORKS: list[tuple[str, str, float, dict[str, float], list[str]]] = [
    (
        "Mauerwerk aus {a} herstellen, Wanddicke {b} cm",
        "m2",
        58.0,
        {"Kalksandstein": 1.0, "Porenbeton": 0.9, "Hochlochziegel": 1.15, "Betonstein": 0.95},
        ["11,5", "17,5", "24", "30"],
    ),
    (
        "Innenputz {a} auf Mauerwerk, Qualitätsstufe {b}",
        "m2",
        21.0,
        {"Kalkzementputz": 1.0, "Gipsputz": 0.9, "Kalkputz": 1.2, "Lehmputz": 1.6},
        ["Q2", "Q3", "Q4"],
    ),
    (
        "Bodenfliesen {a} im Dünnbett verlegen, Format {b}",
        "m2",
        48.0,
        {"Feinsteinzeug": 1.1, "Steingut": 0.9, "Naturstein": 1.6, "Mosaik": 1.8},
        ["30x30", "30x60", "60x60", "10x10"],
    ),
    (
        "Estrich {a} als schwimmender Estrich, Dicke {b} mm",
        "m2",
        26.0,
        {"CT-C25-F4": 1.0, "CA-C30-F5": 1.15, "Trockenestrich": 1.3, "Gussasphalt": 1.7},
        ["40", "45", "50", "65"],
    ),
    (
        "Innentür {a} liefern und einbauen, Breite {b} mm",
        "Stk",
        420.0,
        {"Röhrenspan": 1.0, "Vollspan": 1.15, "Massivholz Eiche": 2.1, "Glas": 1.7},
        ["735", "860", "985"],
    ),
    (
        "Fenster {a}, zweiflügelig, Rahmenaußenmaß {b} mm",
        "Stk",
        780.0,
        {"Kunststoff": 1.0, "Holz Kiefer": 1.3, "Holz-Aluminium": 1.7, "Aluminium": 1.5},
        ["1010x1260", "1135x1385", "1260x1510"],
    ),
    (
        "Dachrinne aus {a}, halbrund, Nennweite {b}",
        "m",
        38.0,
        {"Titanzink": 1.0, "Kupfer": 1.9, "Aluminium": 0.9, "Edelstahl": 1.6},
        ["250", "333", "400"],
    ),
    (
        "Sockelleiste {a} liefern und montieren, Höhe {b} mm",
        "m",
        14.0,
        {"Eiche massiv": 1.5, "Buche furniert": 1.0, "Kunststoff": 0.5, "MDF weiß": 0.7},
        ["40", "60", "80"],
    ),
    (
        "Wärmedämmung {a} an Außenwand, Dicke {b} mm",
        "m2",
        64.0,
        {"Mineralwolle WLG 035": 1.0, "EPS WLG 032": 0.85, "Holzfaser": 1.35, "PUR": 1.2},
        ["100", "140", "160", "200"],
    ),
    (
        "Trockenbauwand {a}, doppelt beplankt, Wanddicke {b} mm",
        "m2",
        52.0,
        {"Metallständer CW 50": 1.0, "Metallständer CW 75": 1.1, "Holzständer": 1.05},
        ["100", "125", "150"],
    ),
]
NEW_WORK = [
    ("Photovoltaikmodul {a} montieren, Leistung {b} Wp", "Stk", ["monokristallin", "bifazial"]),
    ("Kellerabdichtung {a} nach DIN 18533, Fläche {b}", "m2", ["Bitumen", "KMB"]),
    ("Wallbox {a} installieren, {b} kW", "Stk", ["11", "22"]),
]
# Where the work is: no effect on the price, but every item's text its own (a real
# history repeats few texts word for word, so the embedding cache would flatter).
PLACES = [
    *(f"im {floor}" for floor in ("Erdgeschoss", "1. Obergeschoss", "2. Obergeschoss", "Keller")),
    *(f"Bauteil {part}" for part in "ABCDEFGH"),
    *(f"Achse {n}" for n in range(1, 25)),
]


def reworded(text: str, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return f"Liefern und herstellen: {text}"
    if choice == 1:
        return text.replace(" herstellen", "").replace(" liefern und", "") + ", komplett"
    return text.replace("Wanddicke", "Wandstärke").replace("Dicke", "Stärke")


@dataclass(frozen=True)
class Work:
    text: str
    unit: str
    price: float  # the rule's price, no noise

    def at(self, rng: random.Random) -> str:
        return f"{self.text}, {rng.choice(PLACES)}"


def catalog(rng: random.Random) -> list[Work]:
    works = []
    for text, unit, base, materials, sizes in WORKS:
        for material, factor in materials.items():
            for position, size in enumerate(sizes):
                price = base * factor * (1 + 0.12 * position)
                works.append(Work(text.format(a=material, b=size), unit, round(price, 2)))
    rng.shuffle(works)
    return works


def history_bills(
    rng: random.Random, works: list[Work], items: int, bills: int
) -> list[tuple[bytes, date]]:
    per_bill = items // bills
    out = []
    for n in range(bills):
        day = date(2026, 11, 1) - timedelta(days=rng.randint(30, 3 * 365))
        chosen = [rng.choice(works) for _ in range(per_bill)]
        sample = [
            SampleItem(
                w.at(rng),
                Decimal(rng.choice([5, 12, 25, 60, 140])),
                w.unit,
                Decimal(f"{w.price * rng.uniform(0.95, 1.05):.2f}"),
            )
            for w in chosen
        ]
        categories = [
            (f"Los {c + 1}", sample[c * 25 : (c + 1) * 25]) for c in range(per_bill // 25)
        ]
        out.append((bill_xml(categories, phase=86, project=f"Altbau {n}", day=day), day))
    return out


def tender_bill(
    rng: random.Random, works: list[Work], items: int
) -> tuple[bytes, list[Work | None]]:
    """The tender and, per item, the rule's work (None for work the history never saw)."""
    sample: list[SampleItem] = []
    truth: list[Work | None] = []
    for n in range(items):
        draw = rng.random()
        qty = Decimal(rng.choice([8, 20, 45, 90]))
        if draw < 0.7:
            work = rng.choice(works)
            sample.append(SampleItem(work.at(rng), qty, work.unit))
            truth.append(work)
        elif draw < 0.9:
            work = rng.choice(works)
            sample.append(SampleItem(reworded(work.at(rng), rng), qty, work.unit))
            truth.append(work)
        else:
            text, unit, choices = rng.choice(NEW_WORK)
            sample.append(SampleItem(text.format(a=rng.choice(choices), b=n), qty, unit))
            truth.append(None)
    categories = [(f"Bereich {c + 1}", sample[c * 50 : (c + 1) * 50]) for c in range(items // 50)]
    return bill_xml(categories, project="Neubau Bench"), truth


async def drain(settings: Settings, resources: Resources) -> None:
    worker = Worker(
        database=resources.vectors.database,
        settings=settings,
        events=LocalEvents(),
        metrics=JobMetrics(CollectorRegistry()),
        resources=resources,
        runner="bench",
    )
    await worker.drain()


async def measure(settings: Settings, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    works = catalog(rng)
    database = Database.connect(settings)
    resources = Resources.build(settings, database, CacheMetrics(CollectorRegistry()))
    try:
        async with database.write() as session:
            tenant = await create_tenant(session, name="Bench Bau GmbH", slug="bench")
            await session.commit()
        started = time.perf_counter()
        for n, (data, _) in enumerate(history_bills(rng, works, args.history_items, 10)):
            async with database.write() as session:
                upload = service.Upload(f"alt-{n}.X86", data)
                await service.import_bill(session, settings, tenant.id, upload, history=True)
                await session.commit()
        await drain(settings, resources)
        history_seconds = time.perf_counter() - started
        print(f"history: {args.history_items} items in {history_seconds:.1f} s", flush=True)

        data, truth = tender_bill(rng, works, args.tender_items)
        started = time.perf_counter()
        async with database.write() as session:
            upload = service.Upload("neubau.X83", data)
            tender, job = await service.import_bill(session, settings, tenant.id, upload)
            await session.commit()
        imported = time.perf_counter() - started
        await drain(settings, resources)
        total = time.perf_counter() - started
        async with database.read() as session:
            finished = await session.get(Job, job.id)
            items = list(
                (
                    await session.scalars(
                        select(TenderItem)
                        .where(TenderItem.tender_id == tender.id)
                        .order_by(TenderItem.seq)
                    )
                ).all()
            )
        if finished is None or finished.status != "succeeded":
            raise RuntimeError(
                f"the pricing job did not succeed: {finished and finished.last_error}"
            )
        return {
            "history_items": args.history_items,
            "history_import_and_embed_s": round(history_seconds, 2),
            "tender_items": len(items),
            "tender_import_request_s": round(imported, 3),
            "tender_end_to_end_s": round(total, 2),
            "tender_items_per_s": round(len(items) / total, 1),
            "quality": quality(items, truth),
        }
    finally:
        await resources.close()
        await database.dispose()


def quality(items: list[TenderItem], truth: list[Work | None]) -> dict[str, Any]:
    sources: dict[str, int] = {}
    errors, unseen_priced, seen_unpriced = [], 0, 0
    for item, work in zip(items, truth, strict=True):
        source = item.suggestion_source or "unpriced"
        sources[source] = sources.get(source, 0) + 1
        if item.suggested_up is None:
            seen_unpriced += work is not None
            continue
        if work is None:
            unseen_priced += 1
        elif source == "history":
            errors.append(abs(float(item.suggested_up) - work.price) / work.price)
    errors.sort()
    return {
        "sources": sources,
        "flagged": sum(item.flagged for item in items),
        "history_suggestions_mape": round(statistics.fmean(errors), 4) if errors else None,
        "history_suggestions_p90_error": round(errors[int(0.9 * (len(errors) - 1))], 4)
        if errors
        else None,
        "unseen_work_items": sum(work is None for work in truth),
        "unseen_work_priced": unseen_priced,
        "known_work_unpriced": seen_unpriced,
    }


def main(args: argparse.Namespace) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="hwml-bench-tenders-"))
    models = Path(args.models) if args.models else work / "models"
    prepare_model(models)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{work}/bench.db",
        data_dir=work,
        models_dir=models,
        secret_key="bench-secret-key-that-is-long-enough-for-hs256",
        tender_price_index_per_year=args.price_index,
        _env_file=None,
    )
    upgrade(settings)
    load_kinds(settings)
    result = asyncio.run(measure(settings, args))
    return {
        "setup": "embedded (SQLite, in-process worker, embedded vector store, local e5-small int8)",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": {
            "tender_history_min_similarity": settings.tender_history_min_similarity,
            "tender_price_index_per_year": settings.tender_price_index_per_year,
            "tender_price_batch": settings.tender_price_batch,
        },
        **result,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--history-items", type=int, default=1000)
    parser.add_argument("--tender-items", type=int, default=500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--models", help="A prepared models directory to reuse")
    parser.add_argument(
        "--price-index", type=float, default=0.03, help="HANDWERKML_TENDER_PRICE_INDEX_PER_YEAR"
    )
    args = parser.parse_args()
    result = main(args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("tenders.json" if args.price_index == 0.03 else "tenders-index.json")
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))
    print(f"written to {out}")
