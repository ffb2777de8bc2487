"""Tender items as rows and as something to embed (the "tender_item" vector source).

The text is what says what the work is: the short text and the start of the long
text. Quantities, prices and categories stay out of it (two identical positions
are alike whatever they cost and wherever the bill files them); the unit, whether
the item has a price and its tender are metadata, so a history search filters on
them inside the vector query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml import gaeb
from handwerkml.db.models import TenderItem
from handwerkml.tenders.units import normalize_unit
from handwerkml.vectors.base import Metadata
from handwerkml.vectors.index import Source
from handwerkml.vectors.sources import register_source

SOURCE = "tender_item"
# The long text's first characters: enough to tell the work apart, and an item embeds
# in a fraction of what 512 tokens of Vorbemerkungen-style prose would cost.
LONG_TEXT_CHARS = 600


def item_text(item: TenderItem) -> str:
    long_text = " ".join(item.long_text.split())[:LONG_TEXT_CHARS]
    if long_text.startswith(item.short_text.strip()):
        return long_text  # many exporters repeat the short text as the long text's start
    return "\n".join(part for part in (item.short_text.strip(), long_text) if part)


def item_metadata(item: TenderItem) -> Metadata:
    return {
        "source": SOURCE,
        "unit": normalize_unit(item.unit),
        "priced": item.final_up is not None,
        "tender_id": item.tender_id,
        "kind": item.kind,
    }


def sources(items: Sequence[TenderItem]) -> list[Source]:
    """The items that have a text to embed; one without (an X84 carries none) is not
    searchable and cannot be history."""
    return [
        Source(item.id, text, item_metadata(item)) for item in items if (text := item_text(item))
    ]


@register_source(SOURCE)
async def load_tender_items(
    session: AsyncSession, tenant_id: int, ids: Sequence[int]
) -> list[Source]:
    items = await session.scalars(
        select(TenderItem)
        .where(TenderItem.tenant_id == tenant_id, TenderItem.id.in_(ids))
        .order_by(TenderItem.id)
    )
    return sources(list(items))


def walk(boq: gaeb.BoQ) -> Iterator[tuple[gaeb.Item, list[gaeb.Category]]]:
    """Every item with the categories that enclose it, outermost first, in file order."""

    def visit(
        children: list[gaeb.Node], path: list[gaeb.Category]
    ) -> Iterator[tuple[gaeb.Item, list[gaeb.Category]]]:
        for child in children:
            if isinstance(child, gaeb.Item):
                yield child, path
            elif isinstance(child, gaeb.Category):
                yield from visit(child.children, [*path, child])

    yield from visit(boq.children, [])


def item_rows(
    tender: gaeb.Tender,
    *,
    tenant_id: int,
    tender_id: int,
    history: bool,
    priced_at: datetime,
    answered: Mapping[str, TenderItem] | None = None,
) -> list[TenderItem]:
    """One row per item; a priced bill's unit prices become final (the firm's history).

    `answered`: the items, by OZ, of the tender a text-less offer (X84) answers; an item
    without a text takes text, quantity, unit, kind and category labels from its twin."""
    rows = []
    for seq, (item, path) in enumerate(walk(tender.boq)):
        up = item.up if history else None
        twin = None if item.short_text or item.long_text else (answered or {}).get(item.oz)
        labels = [category.label for category in path]
        rows.append(
            TenderItem(
                tenant_id=tenant_id,
                tender_id=tender_id,
                seq=seq,
                oz=item.oz[:50],
                oz_dotted=item.oz_dotted[:60],
                category_rno=path[-1].rno[:60] if path else "",
                category_path=labels if twin is None or any(labels) else twin.category_path,
                short_text=twin.short_text if twin else item.short_text,
                long_text=twin.long_text if twin else item.long_text,
                qty=item.qty if item.qty is not None or twin is None else twin.qty,
                unit=(item.unit or (twin.unit if twin else ""))[:30],
                kind=twin.kind if twin else item.kind.value,
                final_up=up,
                priced_at=priced_at if up is not None else None,
                decision="accepted" if up is not None else "pending",
                basis={},
                flagged=False,
            )
        )
    return rows
