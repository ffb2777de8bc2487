"""A tender's prices out: the GAEB X84 offer, and a CSV for people.

The X84 is written from the original file, read again, so the offer carries every
identifier and the full structure of the tender; only the prices come from the
review (totals.unit_price: final, else suggested). Items without a price make the
export a 409 that lists their OZ, unless the caller allows an offer with gaps
(those items are then written without a price, "not offered").
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml import gaeb
from handwerkml.config import Settings
from handwerkml.db.models import Tender, TenderItem
from handwerkml.documents.ingest import file_store
from handwerkml.kit.errors import Conflict
from handwerkml.tenders import service
from handwerkml.tenders.totals import (
    category_levels,
    in_total,
    needs_price,
    total_price,
    totals,
    unit_price,
)


async def export_x84(
    session: AsyncSession,
    settings: Settings,
    tenant_id: int,
    tender_id: int,
    *,
    version: str | None,
    allow_missing: bool,
) -> tuple[Tender, bytes]:
    tender = await service.get_tender(session, tenant_id, tender_id)
    items = await service.all_items(session, tender)
    prices: dict[str, Decimal] = {}
    missing: list[str] = []
    for item in items:
        price = unit_price(item, tender.up_frac_dig)
        if not needs_price(item):
            continue
        if price is None:
            missing.append(item.oz_dotted)
        else:
            prices[item.oz] = price
    if missing and not allow_missing:
        raise Conflict(
            {
                "message": f"{len(missing)} Positionen haben keinen Preis; mit "
                "allow_missing=true werden sie ohne Preis exportiert",
                "missing": missing,
            }
        )
    try:
        data = file_store(settings).read(tenant_id, tender.sha256)
    except FileNotFoundError as error:
        raise Conflict(
            f"Die Originaldatei von {tender.filename} fehlt im Dateispeicher: "
            "die Ausschreibung bitte neu importieren"
        ) from error
    bill = await asyncio.to_thread(gaeb.read, data, tender.filename)
    try:
        offer = await asyncio.to_thread(gaeb.write_x84, bill, prices, version)
    except ValueError as error:
        raise Conflict(f"Das Angebot lässt sich nicht schreiben: {error}") from error
    return tender, offer


def _number(value: Decimal | float | None) -> str:
    # German spreadsheets read a decimal comma; the file says so with its ";" delimiter.
    return "" if value is None else str(value).replace(".", ",")


def csv_rows(tender: Tender, items: Sequence[TenderItem], tax_rate: Decimal) -> list[list[str]]:
    """Items in bill order, a subtotal row after each category's last item, then the totals."""
    frac = tender.up_frac_dig
    summary = totals(items, frac, tax_rate)
    subtotal = {category.rno: category for category in summary.categories}
    header = [
        "OZ",
        "Kurztext",
        "Menge",
        "Einheit",
        "EP",
        "GP",
        "Quelle",
        "Entscheidung",
        "Konfidenz",
    ]
    rows: list[list[str]] = [header]
    open_levels: list[str] = []

    def close(keep: int) -> None:
        while len(open_levels) > keep:
            category = subtotal[open_levels.pop()]
            label = f"Summe {category.rno} {category.label}".strip()
            rows.append(["", label, "", "", "", _number(category.net), "", "", ""])

    for item in items:
        levels = [rno for rno, _ in category_levels(item)]
        common = 0
        while common < min(len(levels), len(open_levels)) and levels[common] == open_levels[common]:
            common += 1
        close(common)
        open_levels.extend(levels[common:])
        amount = total_price(item, frac)
        rows.append(
            [
                item.oz_dotted,
                item.short_text,
                _number(item.qty),
                item.unit,
                _number(unit_price(item, frac)),
                _number(amount) + ("" if amount is None or in_total(item) else " (ohne GP)"),
                item.suggestion_source or "",
                item.decision,
                _number(item.confidence),
            ]
        )
    close(0)
    rows.append(["", "Summe netto", "", "", "", _number(summary.net), "", "", ""])
    rows.append(
        [
            "",
            f"MwSt {(summary.tax_rate * 100).normalize():f} %".replace(".", ","),
            "",
            "",
            "",
            _number(summary.vat),
            "",
            "",
            "",
        ]
    )
    rows.append(["", "Summe brutto", "", "", "", _number(summary.gross), "", "", ""])
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    # The byte-order mark makes Excel read UTF-8 (umlauts) rather than Windows-1252.
    return out.getvalue().encode("utf-8-sig")
