"""A bill's amounts as the X84 writer computes them: the same rounding, to the cent.

The price of an item is its final price (accepted or overridden), else its
suggestion: a bill can be exported before every item was looked at, and the
export says which items have neither. IT = qty × UP (UP rounded to UPFracDig),
rounded half up to the cent; only items whose kind counts (ItemKind.in_total:
not optional or alternative items) add to the category and bill totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from handwerkml import gaeb
from handwerkml.company.calculation import to_cents
from handwerkml.db.models import TenderItem
from handwerkml.gaeb.writer import item_total
from handwerkml.tenders.suggest import round_up


def unit_price(item: TenderItem, frac_dig: int) -> Decimal | None:
    price = item.final_up if item.final_up is not None else item.suggested_up
    return None if price is None else round_up(price, frac_dig)


def total_price(item: TenderItem, frac_dig: int) -> Decimal | None:
    price = unit_price(item, frac_dig)
    return None if price is None or item.qty is None else item_total(item.qty, price)


def needs_price(item: TenderItem) -> bool:
    """Every item takes a unit price but a surcharge item (a percentage of others)."""
    return gaeb.ItemKind(item.kind) is not gaeb.ItemKind.SURCHARGE


def in_total(item: TenderItem) -> bool:
    return gaeb.ItemKind(item.kind).in_total


def category_levels(item: TenderItem) -> list[tuple[str, str]]:
    """(rno, label) of the item's categories, outermost first: "01", "01.02"."""
    parts = item.category_rno.split(".") if item.category_rno else []
    labels = [*item.category_path, *([""] * len(parts))]
    return [(".".join(parts[: depth + 1]), labels[depth]) for depth in range(len(parts))]


@dataclass(slots=True)
class CategoryTotal:
    rno: str
    label: str
    net: Decimal = Decimal("0.00")


@dataclass(slots=True)
class Totals:
    net: Decimal
    tax_rate: Decimal
    vat: Decimal
    gross: Decimal
    categories: list[CategoryTotal] = field(default_factory=list)
    items: int = 0
    priced: int = 0
    missing: list[str] = field(default_factory=list)
    pending: int = 0
    flagged: int = 0


def totals(items: Sequence[TenderItem], frac_dig: int, tax_rate: Decimal) -> Totals:
    net = Decimal("0.00")
    categories: dict[str, CategoryTotal] = {}
    missing: list[str] = []
    priced = 0
    for item in items:
        levels = category_levels(item)
        for rno, label in levels:
            categories.setdefault(rno, CategoryTotal(rno, label))
        if not needs_price(item):
            continue
        if unit_price(item, frac_dig) is None:
            missing.append(item.oz_dotted)
            continue
        priced += 1
        amount = total_price(item, frac_dig)
        if amount is None or not in_total(item):
            continue
        net += amount
        for rno, _ in levels:
            categories[rno].net += amount
    vat = to_cents(net * tax_rate)
    return Totals(
        net=net,
        tax_rate=tax_rate,
        vat=vat,
        gross=net + vat,
        categories=list(categories.values()),
        items=len(items),
        priced=priced,
        missing=missing,
        pending=sum(item.decision == "pending" and needs_price(item) for item in items),
        flagged=sum(item.flagged for item in items),
    )
