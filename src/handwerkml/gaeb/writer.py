"""The offer (GAEB DA XML X84) for a tender and the bidder's unit prices.

An X84 repeats the tender's structure, not its texts: categories and items by ID and
RNoPart (+ RNoIndex), each priced item with its unit price (UP) and total (IT), each
category and the BoQ with their totals. The client's software matches it to its X83
by ordinal number.

Amounts are Decimal throughout: UP rounded half-up to the bill's UPFracDig, IT =
quantity × UP rounded half-up to the cent, totals the sums of the ITs that count
(optional and alternative items are priced but not added, ItemKind.in_total).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

from handwerkml.gaeb.model import (
    BoQ,
    Breakdown,
    Category,
    GaebFormat,
    Item,
    ItemKind,
    Node,
    Party,
    Phase,
    Tender,
)

_NAMESPACES = {
    "3.0": "http://www.gaeb.de/GAEB_DA_XML/200407",
    "3.1": "http://www.gaeb.de/GAEB_DA_XML/200407",
    "3.2": "http://www.gaeb.de/GAEB_DA_XML/DA84/3.2",
    "3.3": "http://www.gaeb.de/GAEB_DA_XML/DA84/3.3",
}
_VERSION_DATES = {"3.0": "2004-08", "3.1": "2007-06", "3.2": "2013-10", "3.3": "2021-05"}
_CENT = Decimal("0.01")
# Characters XML 1.0 cannot carry; a mangled legacy file can hold them in any field.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
DEFAULT_VERSION = "3.3"


def offer_version(tender: Tender) -> str:
    """The DA XML version an offer to this tender is written in: the tender's own where it
    is 3.0 … 3.3, else 3.3 (GAEB 90/2000 and DA XML 2.x tenders)."""
    if tender.format is GaebFormat.DA_XML and tender.version in _NAMESPACES:
        return tender.version
    return DEFAULT_VERSION


def unit_price(price: Decimal, boq: BoQ) -> Decimal:
    """A unit price as the bill allows it: UPFracDig decimal places, rounded half-up."""
    return price.quantize(Decimal(1).scaleb(-boq.up_frac_dig), rounding=ROUND_HALF_UP)


def item_total(qty: Decimal, up: Decimal) -> Decimal:
    return (qty * up).quantize(_CENT, rounding=ROUND_HALF_UP)


def write_x84(
    tender: Tender,
    prices: Mapping[str, Decimal],
    version: str | None = None,
    *,
    bidder: Party | None = None,
    now: datetime | None = None,
) -> bytes:
    """The X84 offer as UTF-8 XML bytes.

    `prices` maps `Item.oz` to the unit price; items without a price are written
    without UP/IT (not offered). `version`: "3.0" … "3.3", default the tender's
    (offer_version). Items without a quantity get a UP but no IT. Raises ValueError
    for an OZ that is not in the bill, a price that is not a finite number, or a
    price for a surcharge item (its amount is a percentage of other items, not a
    unit price)."""
    version = version or offer_version(tender)
    if version not in _NAMESPACES:
        raise ValueError(f"X84 can be written as DA XML {', '.join(_NAMESPACES)}, not {version!r}")
    _check_prices(tender, prices)
    writer = _Writer(tender, prices, _NAMESPACES[version])
    root = writer.element(None, "GAEB")
    stamp = now or datetime.now()
    writer.fields(
        writer.element(root, "GAEBInfo"),
        Version=version,
        VersDate=_VERSION_DATES[version],
        Date=stamp.strftime("%Y-%m-%d"),
        Time=stamp.strftime("%H:%M:%S"),
        ProgSystem="HandwerkML",
        ProgName="HandwerkML",
    )
    writer.fields(
        writer.element(root, "PrjInfo"),
        NamePrj=tender.project.name,
        LblPrj=tender.project.label,
    )
    award = writer.element(root, "Award")
    writer.fields(award, DP=str(int(Phase.OFFER)))
    writer.fields(
        writer.element(award, "AwardInfo"), Cur=tender.currency, CurLbl=tender.currency_label
    )
    writer.contractor(award, bidder or Party(), tender.client)
    writer.boq(award, tender.boq)
    etree.cleanup_namespaces(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _check_prices(tender: Tender, prices: Mapping[str, Decimal]) -> None:
    items = {item.oz: item for item in tender.boq.iter_items()}
    unknown = sorted(set(prices) - set(items))
    if unknown:
        raise ValueError(f"prices for OZ not in the bill: {', '.join(unknown[:10])}")
    for oz, price in prices.items():
        if not isinstance(price, Decimal) or not price.is_finite():
            raise ValueError(f"price for {oz} is not a finite Decimal: {price!r}")
        if items[oz].kind is ItemKind.SURCHARGE:
            raise ValueError(f"{oz} is a surcharge item; it has no unit price")


class _Writer:
    def __init__(self, tender: Tender, prices: Mapping[str, Decimal], namespace: str) -> None:
        self.tender = tender
        self.prices = prices
        self.namespace = namespace
        self.ids = (f"HW{number:06d}" for number in itertools.count(1))

    def element(self, parent: etree._Element | None, tag: str) -> etree._Element:
        name = f"{{{self.namespace}}}{tag}"
        if parent is None:
            return etree.Element(name, nsmap={None: self.namespace})
        return etree.SubElement(parent, name)

    def fields(self, parent: etree._Element, **values: str) -> None:
        """Child elements with text, in order; empty values are left out."""
        for tag, value in values.items():
            if value:
                self.element(parent, tag).text = _xml_text(value)

    def contractor(self, award: etree._Element, bidder: Party, client: Party | None) -> None:
        ctr = self.element(award, "CTR")
        address = self.element(ctr, "Address")
        name = self.element(address, "Name1")
        name.text = _xml_text(bidder.name)
        for tag, value in (
            ("Street", bidder.street),
            ("PCode", bidder.postal_code),
            ("City", bidder.city),
            ("Country", bidder.country),
        ):
            if value:
                self.element(address, tag).text = _xml_text(value)
        # The client's numbers identify the procedure the offer answers.
        dp_no = bidder.dp_no or (client.dp_no if client else "")
        award_no = bidder.award_no or (client.award_no if client else "")
        if dp_no:
            self.element(ctr, "DPNo").text = _xml_text(dp_no)
        if award_no:
            self.element(ctr, "AwardNo").text = _xml_text(award_no)

    def boq(self, award: etree._Element, boq: BoQ) -> None:
        element = self.element(award, "BoQ")
        element.set("ID", _xml_text(boq.id or next(self.ids)))
        info = self.element(element, "BoQInfo")
        if boq.name:
            self.element(info, "Name").text = _xml_text(boq.name)
        self._breakdown(info, boq.breakdown)
        body = self.element(element, "BoQBody")
        total = self.body(body, boq.children)
        self.fields(self.element(info, "Totals"), Total=_money(total))

    def _breakdown(self, info: etree._Element, breakdown: Breakdown) -> None:
        rows = [("BoQLevel", length) for length in breakdown.levels]
        rows.append(("Item", breakdown.item))
        if breakdown.index:
            rows.append(("Index", breakdown.index))
        for kind, length in rows:
            self.fields(
                self.element(info, "BoQBkdn"),
                Type=kind,
                Length=str(length),
                Num="No" if kind == "Index" else "Yes",
            )

    def body(self, body: etree._Element, children: list[Node]) -> Decimal:
        """Writes categories and items (consecutive items in one Itemlist); returns the total."""
        total = Decimal("0.00")
        for is_item, group in itertools.groupby(_priced_nodes(children), key=_is_item):
            if is_item:
                itemlist = self.element(body, "Itemlist")
                for node in group:
                    assert isinstance(node, Item)
                    total += self.item(itemlist, node)
            else:
                for node in group:
                    assert isinstance(node, Category)
                    total += self.category(body, node)
        return total

    def category(self, parent: etree._Element, category: Category) -> Decimal:
        element = self.element(parent, "BoQCtgy")
        element.set("ID", _xml_text(category.id or next(self.ids)))
        element.set("RNoPart", _xml_text(category.rno_part))
        total = self.body(self.element(element, "BoQBody"), category.children)
        self.fields(self.element(element, "Totals"), Total=_money(total))
        return total

    def item(self, itemlist: etree._Element, item: Item) -> Decimal:
        """Writes the item; returns what it adds to the totals."""
        tag = "MarkupItem" if item.kind is ItemKind.SURCHARGE else "Item"
        element = self.element(itemlist, tag)
        element.set("ID", _xml_text(item.id or next(self.ids)))
        element.set("RNoPart", _xml_text(item.rno_part))
        if item.rno_index:
            element.set("RNoIndex", _xml_text(item.rno_index))
        price = self.prices.get(item.oz)
        if price is None:
            return Decimal("0.00")
        up = unit_price(price, self.tender.boq)
        self.element(element, "UP").text = f"{up:f}"
        if item.qty is None:
            return Decimal("0.00")
        it = item_total(item.qty, up)
        self.element(element, "IT").text = _money(it)
        return it if item.kind.in_total else Decimal("0.00")


def _priced_nodes(children: list[Node]) -> Iterator[Category | Item]:
    for child in children:
        if isinstance(child, Category | Item):
            yield child


def _is_item(node: Category | Item) -> bool:
    return isinstance(node, Item)


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(_CENT, rounding=ROUND_HALF_UP):f}"
