"""GAEB bills of quantities: read tenders (DA XML 2.x–3.3, GAEB 2000, GAEB 90), write offers.

    tender = read(data, "LV.X83")        # Tender → BoQ → Category/Item/Remark
    if tender.phase != Phase.TENDER: ...  # an X84 uploaded as a tender
    offer = write_x84(tender, {item.oz: Decimal("12.50") for item in tender.items})

A pure library: bytes in, dataclasses and bytes out, no database. Unreadable input
raises GaebError, an Unprocessable (422) that names the reason and the place.
See docs/gaeb.md for why this is our own lxml reader rather than pygaeb or gaeb.
"""

from handwerkml.gaeb.errors import GaebError
from handwerkml.gaeb.model import (
    Award,
    BoQ,
    Breakdown,
    Category,
    GaebFormat,
    Item,
    ItemKind,
    Node,
    Party,
    Phase,
    Project,
    Remark,
    RemarkKind,
    SubDescription,
    Tender,
)
from handwerkml.gaeb.reader import read
from handwerkml.gaeb.writer import write_x84

__all__ = [
    "Award",
    "BoQ",
    "Breakdown",
    "Category",
    "GaebError",
    "GaebFormat",
    "Item",
    "ItemKind",
    "Node",
    "Party",
    "Phase",
    "Project",
    "Remark",
    "RemarkKind",
    "SubDescription",
    "Tender",
    "read",
    "write_x84",
]
