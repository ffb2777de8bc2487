"""Tenders: import a GAEB bill, review its suggested prices, decide, total, delete.

An import reads the file with the GAEB library (a file that does not read is a
422 with the reader's reason), keeps the original bytes, writes the tender and
its items in the request's transaction and queues the `tenders.price` job. A
tender must be a tender (phase 83); a priced bill (82, 84, 85, 86) is refused
there and imported as the firm's price history instead.

Every price decision is feedback: the item's final price becomes history for
later tenders (a vectors.sync marks its vector priced).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml import gaeb
from handwerkml.config import Settings
from handwerkml.db.models import Job, Tender, TenderItem
from handwerkml.documents.ingest import store_file
from handwerkml.jobs import service as jobs
from handwerkml.kit.errors import Conflict, NotFound, PayloadTooLarge, Unprocessable
from handwerkml.kit.time import utcnow
from handwerkml.projects.service import get_project
from handwerkml.tenders.items import SOURCE, item_rows
from handwerkml.tenders.pricing import HISTORY, PriceTender
from handwerkml.tenders.schemas import ItemSearch
from handwerkml.tenders.suggest import round_up
from handwerkml.tenders.units import normalize_unit
from handwerkml.vectors.base import Condition, SearchFilter
from handwerkml.vectors.index import VectorIndex
from handwerkml.vectors.sync import schedule_sync

PRICING = "pricing"
FAILED = "failed"
# Phases that carry prices: a cost estimate (82), an offer (84), a side offer (85), an award (86).
PRICED_PHASES = {82: "Kostenanschlag", 84: "Angebot", 85: "Nebenangebot", 86: "Auftragserteilung"}


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


async def read_bill(settings: Settings, upload: Upload) -> gaeb.Tender:
    name = upload.filename or "(unnamed)"
    if not upload.data:
        raise Unprocessable(f"{name} is empty (0 bytes)", loc=("body", "file"))
    if len(upload.data) > settings.document_max_bytes:
        limit = settings.document_max_bytes / 1_048_576
        raise PayloadTooLarge(f"{name} is larger than the limit of {limit:g} MB")
    return await asyncio.to_thread(gaeb.read, upload.data, upload.filename)


def _check_phase(bill: gaeb.Tender, name: str, *, history: bool) -> None:
    if history:
        if not any(item.up is not None for item in bill.items):
            raise Unprocessable(
                f"{name} enthält keine Einheitspreise (Phase {bill.phase}): als Preis-Historie "
                "taugen nur bepreiste Dateien (X84, X86)",
                loc=("body", "file"),
            )
        return
    if bill.phase in PRICED_PHASES:
        raise Unprocessable(
            f"{name} ist ein {PRICED_PHASES[bill.phase]} (Phase {bill.phase}), keine "
            "Ausschreibung: bepreiste Dateien als Preis-Historie importieren (POST "
            "/api/v1/tenders/history, handwerkml gaeb import --history)",
            loc=("body", "file"),
        )
    if bill.phase != gaeb.Phase.TENDER:
        raise Unprocessable(
            f"{name} hat die Phase {bill.phase}; zu bepreisen ist eine Ausschreibung (Phase 83)",
            loc=("body", "file"),
        )


def _bill_date(bill: gaeb.Tender) -> datetime:
    """When a priced bill's prices held: the contract date, else the opening date, else now."""
    day = bill.award.contract_date or bill.award.opening
    return utcnow() if day is None else datetime.combine(day, time(), tzinfo=UTC)


async def _answered_tender(
    session: AsyncSession, tenant_id: int, bill: gaeb.Tender
) -> dict[str, TenderItem]:
    """An offer (X84) carries only OZ and prices. Its texts are those of the tender it
    answers: the tenant's latest tender of the same project name that has every one of
    the offer's OZ; its items by OZ, or nothing where the offer has texts or none fits."""
    if all(item.short_text or item.long_text for item in bill.items):
        return {}
    wanted = {item.oz for item in bill.items}
    candidates = await session.scalars(
        select(Tender)
        .where(
            Tender.tenant_id == tenant_id,
            Tender.status != HISTORY,
            Tender.project_name == bill.project.name[:500],
        )
        .order_by(Tender.created_at.desc(), Tender.id.desc())
        .limit(10)
    )
    for candidate in candidates.all():
        items = {item.oz: item for item in await all_items(session, candidate)}
        if wanted <= items.keys():
            return items
    return {}


async def import_bill(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    upload: Upload,
    *,
    history: bool = False,
    project_id: int | None = None,
) -> tuple[Tender, Job]:
    """Store the bill and its items and queue its pricing (the caller commits)."""
    bill = await read_bill(settings, upload)
    name = upload.filename or "(unnamed)"
    _check_phase(bill, name, history=history)
    if not bill.items:
        raise Unprocessable(f"{name} enthält keine Positionen", loc=("body", "file"))
    if project_id is not None:
        await get_project(session, tenant_id, project_id)
    digest = await store_file(session, settings, tenant_id, upload.data, "gaeb")
    tender = Tender(
        tenant_id=tenant_id,
        filename=(upload.filename or "upload")[:255],
        sha256=digest,
        size=len(upload.data),
        format=bill.format.value,
        version=bill.version[:10],
        phase=bill.phase,
        project_name=bill.project.name[:500],
        project_label=bill.project.label[:500],
        client_name=(bill.client.name if bill.client else "")[:500],
        currency=bill.currency[:10],
        up_frac_dig=bill.boq.up_frac_dig,
        status=HISTORY if history else PRICING,
        project_id=project_id,
    )
    session.add(tender)
    await session.flush()
    rows = item_rows(
        bill,
        tenant_id=tenant_id,
        tender_id=tender.id,
        history=history,
        priced_at=_bill_date(bill),
        answered=await _answered_tender(session, tenant_id, bill) if history else None,
    )
    session.add_all(rows)
    tender.item_count = len(rows)
    await session.flush()
    job = await jobs.submit(
        session,
        settings,
        tenant_id=tenant_id,
        kind=PriceTender.name,
        params={"tender_id": tender.id, "item_count": len(rows)},
        direct=False,
    )
    tender.job_id = job.id
    await session.flush()
    return tender, job


# -- reading -----------------------------------------------------------------------------


async def get_tender(session: AsyncSession, tenant_id: int, tender_id: int) -> Tender:
    tender = await session.get(Tender, tender_id)
    if tender is None or tender.tenant_id != tenant_id:
        raise NotFound("Tender", tender_id)
    return tender


async def status_of(session: AsyncSession, tender: Tender) -> str:
    """The tender's status; a pricing job that failed or was cancelled makes it failed."""
    if tender.status != PRICING or tender.job_id is None:
        return tender.status
    job_status = await session.scalar(select(Job.status).where(Job.id == tender.job_id))
    return FAILED if job_status in ("failed", "cancelled") else tender.status


async def list_tenders(
    session: AsyncSession, tenant_id: int, *, history: bool | None, skip: int, limit: int
) -> tuple[Sequence[Tender], int]:
    conditions = [Tender.tenant_id == tenant_id]
    if history is not None:
        conditions.append((Tender.status == HISTORY) if history else (Tender.status != HISTORY))
    total = await session.scalar(select(func.count()).select_from(Tender).where(*conditions))
    rows = await session.scalars(
        select(Tender)
        .where(*conditions)
        .order_by(Tender.created_at.desc(), Tender.id.desc())
        .offset(skip)
        .limit(limit)
    )
    return rows.all(), total or 0


async def all_items(session: AsyncSession, tender: Tender) -> list[TenderItem]:
    rows = await session.scalars(
        select(TenderItem)
        .where(TenderItem.tender_id == tender.id, TenderItem.tenant_id == tender.tenant_id)
        .order_by(TenderItem.seq)
    )
    return list(rows.all())


async def list_items(
    session: AsyncSession,
    tenant_id: int,
    tender_id: int,
    *,
    flagged: bool | None,
    decision: str | None,
    skip: int,
    limit: int,
) -> tuple[Sequence[TenderItem], int]:
    tender = await get_tender(session, tenant_id, tender_id)
    conditions = [TenderItem.tender_id == tender.id, TenderItem.tenant_id == tenant_id]
    if flagged is not None:
        conditions.append(TenderItem.flagged.is_(flagged))
    if decision is not None:
        conditions.append(TenderItem.decision == decision)
    total = await session.scalar(select(func.count()).select_from(TenderItem).where(*conditions))
    rows = await session.scalars(
        select(TenderItem).where(*conditions).order_by(TenderItem.seq).offset(skip).limit(limit)
    )
    return rows.all(), total or 0


async def search_items(
    session: AsyncSession, index: VectorIndex, tenant_id: int, request: ItemSearch
) -> list[tuple[TenderItem, Tender, float]]:
    """The tenant's tender items most like the query, best first (unit and price filters
    inside the vector query)."""
    where: dict[str, Condition] = {"source": SOURCE}
    if request.priced is not None:
        where["priced"] = request.priced
    if request.unit:
        where["unit"] = normalize_unit(request.unit)
    collection = await index.active()
    vector = await index.embed(collection, [request.query], "query")
    hits = await index.search(collection, vector, SearchFilter(tenant_id, where), k=request.top_k)
    scores = {int(hit.id.removeprefix(f"{SOURCE}:")): hit.score for hit in hits}
    rows = await session.execute(
        select(TenderItem, Tender)
        .join(Tender, Tender.id == TenderItem.tender_id)
        .where(TenderItem.tenant_id == tenant_id, TenderItem.id.in_(scores))
    )
    # An item deleted since the index saw it drops out.
    found = [(item, tender, scores[item.id]) for item, tender in rows.all()]
    return sorted(found, key=lambda hit: -hit[2])


async def get_item(
    session: AsyncSession, tenant_id: int, tender_id: int, item_id: int
) -> tuple[Tender, TenderItem]:
    tender = await get_tender(session, tenant_id, tender_id)
    item = await session.get(TenderItem, item_id)
    if item is None or item.tenant_id != tenant_id or item.tender_id != tender.id:
        raise NotFound("Tender item", item_id)
    return tender, item


# -- decisions ---------------------------------------------------------------------------


def _decide(tender: Tender, item: TenderItem, unit_price: Decimal | None) -> None:
    """Accept the suggestion (unit_price None) or set an own price."""
    if gaeb.ItemKind(item.kind) is gaeb.ItemKind.SURCHARGE:
        raise Conflict(
            f"Position {item.oz_dotted} ist eine Zuschlagsposition: sie hat keinen Einheitspreis"
        )
    if unit_price is None:
        if item.suggested_up is None:
            raise Conflict(f"Position {item.oz_dotted} hat keinen Vorschlag zum Übernehmen")
        item.final_up, item.decision = item.suggested_up, "accepted"
    else:
        item.final_up, item.decision = round_up(unit_price, tender.up_frac_dig), "overridden"
    item.priced_at = utcnow()


async def decide_item(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    tender_id: int,
    item_id: int,
    unit_price: Decimal | None,
) -> TenderItem:
    tender, item = await get_item(session, tenant_id, tender_id, item_id)
    _decide(tender, item, unit_price)
    await session.flush()
    await schedule_sync(session, settings, tenant_id, SOURCE, [item.id])
    return item


async def accept_suggestions(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    tender_id: int,
    min_confidence: float,
) -> list[TenderItem]:
    """Accept every pending suggestion with at least this confidence; the items accepted."""
    tender = await get_tender(session, tenant_id, tender_id)
    rows = await session.scalars(
        select(TenderItem)
        .where(
            TenderItem.tender_id == tender.id,
            TenderItem.tenant_id == tenant_id,
            TenderItem.decision == "pending",
            TenderItem.suggested_up.is_not(None),
            TenderItem.confidence >= min_confidence,
            TenderItem.kind != gaeb.ItemKind.SURCHARGE.value,
        )
        .order_by(TenderItem.seq)
    )
    accepted = list(rows.all())
    for item in accepted:
        _decide(tender, item, None)
    await session.flush()
    if accepted:
        await schedule_sync(session, settings, tenant_id, SOURCE, [item.id for item in accepted])
    return accepted


async def delete_tender(
    session: AsyncSession, settings: Settings, tenant_id: int, tender_id: int
) -> None:
    """Delete the tender and its items; a sync job removes their vectors (the stored file
    goes with the retention clean-up once nothing refers to it)."""
    tender = await get_tender(session, tenant_id, tender_id)
    ids = list(
        (
            await session.scalars(select(TenderItem.id).where(TenderItem.tender_id == tender.id))
        ).all()
    )
    await session.execute(delete(TenderItem).where(TenderItem.tender_id == tender.id))
    await session.delete(tender)
    await session.flush()
    if ids:
        await schedule_sync(session, settings, tenant_id, SOURCE, ids)
