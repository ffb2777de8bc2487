"""/api/v1/tenders: import GAEB bills, review the suggested prices, export the offer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.company.service import get_company_settings
from handwerkml.config import Settings
from handwerkml.db.models import Tender, TenderItem
from handwerkml.jobs.endpoints import WAKES_WORKERS
from handwerkml.jobs.schemas import job_read
from handwerkml.kit.deps import ResourcesDep, SessionDep, SettingsDep
from handwerkml.kit.downloads import attachment
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath
from handwerkml.tenders import export, service
from handwerkml.tenders.schemas import (
    AcceptAll,
    AcceptedRead,
    ImportRead,
    ItemDecision,
    ItemHit,
    ItemSearch,
    TenderDetail,
    TenderItemRead,
    TenderRead,
    TotalsRead,
)
from handwerkml.tenders.totals import in_total, total_price, totals, unit_price

router = APIRouter(prefix="/api/v1/tenders", tags=["tenders"])

Reader = Annotated[Principal, requires(Permission.documents_read)]
Importer = Annotated[Principal, requires(Permission.documents_write)]
Pricer = Annotated[Principal, requires(Permission.predictions_run)]
GaebFile = Annotated[UploadFile, File(description="A GAEB file: DA XML (.X8x), GAEB 2000, GAEB 90")]


async def _upload(upload: UploadFile, settings: Settings) -> service.Upload:
    # One byte past the limit is enough to know it is too large.
    data = await upload.read(settings.document_max_bytes + 1)
    return service.Upload(filename=upload.filename or "", data=data)


async def _tender_read(session: AsyncSession, tender: Tender) -> TenderRead:
    read = TenderRead.model_validate(tender)
    read.status = await service.status_of(session, tender)
    return read


async def _totals(session: AsyncSession, tender: Tender) -> TotalsRead:
    company = await get_company_settings(session, tender.tenant_id)
    items = await service.all_items(session, tender)
    return TotalsRead.model_validate(totals(items, tender.up_frac_dig, company.tax_rate))


def _item_read(tender: Tender, item: TenderItem) -> TenderItemRead:
    return TenderItemRead.model_validate(
        {
            **{
                column: getattr(item, column)
                for column in TenderItemRead.model_fields
                if hasattr(item, column)
            },
            "in_total": in_total(item),
            "unit_price": unit_price(item, tender.up_frac_dig),
            "total_price": total_price(item, tender.up_frac_dig),
        }
    )


async def _import(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    file: UploadFile,
    *,
    history: bool,
    project_id: int | None = None,
) -> ImportRead:
    tender, job = await service.import_bill(
        session,
        settings,
        principal.tenant_id,
        await _upload(file, settings),
        history=history,
        project_id=project_id,
    )
    return ImportRead(tender=await _tender_read(session, tender), job=job_read(job))


@router.post(
    "",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def import_tender(
    principal: Importer,
    session: SessionDep,
    settings: SettingsDep,
    file: GaebFile,
    project_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
) -> ImportRead:
    """Import a tender (phase 83) and start pricing its items; answers at once with the
    job. A priced file (X84, X86) is refused here: import it under /history."""
    return await _import(session, settings, principal, file, history=False, project_id=project_id)


@router.post(
    "/history",
    response_model=ImportRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=WAKES_WORKERS,
)
async def import_history(
    principal: Importer, session: SessionDep, settings: SettingsDep, file: GaebFile
) -> ImportRead:
    """Import a priced bill (X84 offer, X86 award, X82 estimate) as the firm's price
    history: its unit prices become the basis of later suggestions."""
    return await _import(session, settings, principal, file, history=True)


@router.get("", response_model=list[TenderRead])
async def list_tenders(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    history: Annotated[
        bool | None, Query(description="true: only priced bills, false: only tenders")
    ] = None,
) -> list[TenderRead]:
    tenders, total = await service.list_tenders(
        session, principal.tenant_id, history=history, skip=page.skip, limit=page.limit
    )
    set_total(response, total)
    return [await _tender_read(session, tender) for tender in tenders]


@router.post("/search", response_model=list[ItemHit])
async def search_items(
    body: ItemSearch, principal: Reader, session: SessionDep, resources: ResourcesDep
) -> list[ItemHit]:
    """Items of the firm's tenders and priced bills most like the query, by meaning."""
    hits = await service.search_items(session, resources.vectors, principal.tenant_id, body)
    return [
        ItemHit(
            tender_id=tender.id,
            tender_filename=tender.filename,
            score=score,
            item=_item_read(tender, item),
        )
        for item, tender, score in hits
    ]


@router.get("/{tender_id}", response_model=TenderDetail)
async def get_tender(tender_id: IdPath, principal: Reader, session: SessionDep) -> TenderDetail:
    """The tender, its status and its totals per category and in all (net, VAT, gross)."""
    tender = await service.get_tender(session, principal.tenant_id, tender_id)
    read = await _tender_read(session, tender)
    return TenderDetail(**read.model_dump(), totals=await _totals(session, tender))


@router.get("/{tender_id}/items", response_model=list[TenderItemRead])
async def list_items(
    tender_id: IdPath,
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    flagged: bool | None = None,
    decision: Literal["pending", "accepted", "overridden"] | None = None,
) -> list[TenderItemRead]:
    tender = await service.get_tender(session, principal.tenant_id, tender_id)
    items, total = await service.list_items(
        session,
        principal.tenant_id,
        tender.id,
        flagged=flagged,
        decision=decision,
        skip=page.skip,
        limit=page.limit,
    )
    set_total(response, total)
    return [_item_read(tender, item) for item in items]


@router.patch(
    "/{tender_id}/items/{tender_item_id}",
    response_model=TenderItemRead,
    dependencies=WAKES_WORKERS,
)
async def decide_item(
    tender_id: IdPath,
    tender_item_id: IdPath,
    body: ItemDecision,
    principal: Pricer,
    session: SessionDep,
    settings: SettingsDep,
) -> TenderItemRead:
    """Accept the item's suggestion or set an own unit price; either becomes history."""
    item = await service.decide_item(
        session,
        settings,
        principal.tenant_id,
        tender_id,
        tender_item_id,
        body.unit_price if body.action == "override" else None,
    )
    tender = await service.get_tender(session, principal.tenant_id, tender_id)
    return _item_read(tender, item)


@router.post("/{tender_id}/accept", response_model=AcceptedRead, dependencies=WAKES_WORKERS)
async def accept_suggestions(
    tender_id: IdPath,
    body: AcceptAll,
    principal: Pricer,
    session: SessionDep,
    settings: SettingsDep,
) -> AcceptedRead:
    """Accept every pending suggestion with at least `min_confidence`."""
    accepted = await service.accept_suggestions(
        session, settings, principal.tenant_id, tender_id, body.min_confidence
    )
    tender = await service.get_tender(session, principal.tenant_id, tender_id)
    return AcceptedRead(accepted=len(accepted), totals=await _totals(session, tender))


def _stem(tender: Tender) -> str:
    return tender.filename.rsplit(".", 1)[0] or f"tender-{tender.id}"


@router.get(
    "/{tender_id}/x84",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}, "description": "The X84 offer"}},
)
async def export_x84(
    tender_id: IdPath,
    principal: Pricer,
    session: SessionDep,
    settings: SettingsDep,
    version: Literal["same", "3.0", "3.1", "3.2", "3.3"] = "same",
    allow_missing: bool = False,
) -> Response:
    """The offer as GAEB DA XML X84 with the reviewed prices (final, else suggested);
    409 with the OZ of unpriced items unless allow_missing. version=same writes the
    tender's own DA XML version (3.3 for GAEB 90/2000 and DA XML 2.x)."""
    tender, data = await export.export_x84(
        session,
        settings,
        principal.tenant_id,
        tender_id,
        version=None if version == "same" else version,
        allow_missing=allow_missing,
    )
    return Response(
        content=data,
        media_type="application/xml",
        headers={"Content-Disposition": attachment(f"{_stem(tender)}.X84")},
    )


@router.get(
    "/{tender_id}/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "Items and subtotals"}},
)
async def export_csv(tender_id: IdPath, principal: Pricer, session: SessionDep) -> Response:
    """Items with OZ, short text, quantity, unit, UP, IT, source and confidence, a subtotal
    after each category and the totals; ";"-separated with decimal commas, UTF-8."""
    tender = await service.get_tender(session, principal.tenant_id, tender_id)
    company = await get_company_settings(session, tender.tenant_id)
    rows = export.csv_rows(tender, await service.all_items(session, tender), company.tax_rate)
    return Response(
        content=export.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(f"{_stem(tender)}.csv")},
    )


@router.delete("/{tender_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=WAKES_WORKERS)
async def delete_tender(
    tender_id: IdPath, principal: Importer, session: SessionDep, settings: SettingsDep
) -> None:
    await service.delete_tender(session, settings, principal.tenant_id, tender_id)
