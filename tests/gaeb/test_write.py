"""X83 → unit prices → our X84 → read again: every priced item comes back by OZ with its
rounded price, and every total is the sum of its items to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from lxml import etree

from handwerkml.gaeb import (
    Category,
    Item,
    ItemKind,
    Party,
    Phase,
    Tender,
    read,
    write_x84,
)
from tests.gaeb.files import gaeb_file

TENDERS = [
    "LV_Los01.X83",
    "LV_Los01.D83",
    "LV_Los01.P83",
    "Musterdatei_3.1_2008-001.X83",
    "Musterdatei_3.1_2008-004.X83",
    "Pruefdatei_3.3_Bauausfuehrung_2024.x83",
    "aus-dem-handbuch_gaebxml30.x83",
    "aus-dem-handbuch_gaeb90.d83",
]


def _prices(tender: Tender) -> dict[str, Decimal]:
    """Prices with three decimals, so that rounding to UPFracDig matters."""
    return {
        item.oz: Decimal("17.125") + Decimal(n) / 7
        for n, item in enumerate(tender.items)
        if item.kind is not ItemKind.SURCHARGE
    }


def _cent(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("name", TENDERS)
def test_round_trip_matches_every_priced_item_and_totals_add_up(name: str) -> None:
    tender = read(gaeb_file(name), name)
    prices = _prices(tender)
    offer = read(write_x84(tender, prices), "offer.X84")

    assert offer.phase == Phase.OFFER
    assert (offer.project.name, offer.currency) == (tender.project.name, tender.currency)
    step = Decimal(1).scaleb(-tender.boq.up_frac_dig)
    by_oz = {item.oz: item for item in offer.items}
    kinds = {item.oz: item.kind for item in tender.items}
    for item in tender.items:
        if item.oz not in prices:
            continue
        priced = by_oz[item.oz]
        assert priced.up == prices[item.oz].quantize(step, rounding=ROUND_HALF_UP)
        assert priced.up is not None
        if item.qty is None:
            assert priced.it is None
        else:
            assert priced.it == _cent(item.qty * priced.up)

    def counted(items: list[Item]) -> Decimal:
        # An X84 does not repeat item kinds: which ITs count comes from the tender.
        return sum((i.it for i in items if i.it is not None and kinds[i.oz].in_total), Decimal("0"))

    assert offer.boq.total == counted(offer.items)
    for category in offer.boq.iter_categories():
        assert category.total == counted(list(category.iter_items()))
    assert [c.rno for c in offer.boq.iter_categories()] == [
        c.rno for c in tender.boq.iter_categories()
    ]


def test_optional_and_alternative_items_are_priced_but_not_added() -> None:
    tender = read(gaeb_file("aus-dem-handbuch_gaebxml31.x83"))
    prices = {item.oz: Decimal("10") for item in tender.items}
    offer = read(write_x84(tender, prices))
    everything = sum((i.it for i in offer.items if i.it is not None), Decimal("0"))
    left_out = [i for i in tender.items if not i.kind.in_total]
    assert {i.kind for i in left_out} == {ItemKind.OPTIONAL, ItemKind.ALTERNATIVE}
    assert offer.boq.total == everything - sum(
        (_cent(i.qty * 10) for i in left_out if i.qty is not None), Decimal("0")
    )


def test_unit_prices_round_half_up_to_up_frac_dig_and_totals_to_the_cent() -> None:
    tender = read(gaeb_file("LV_Los01.X83"))
    assert tender.boq.up_frac_dig == 2
    item = next(i for i in tender.items if i.qty == Decimal("29.481"))
    offer = read(write_x84(tender, {item.oz: Decimal("2.345")}))
    priced = next(i for i in offer.items if i.oz == item.oz)
    assert priced.up == Decimal("2.35")
    assert priced.it == Decimal("69.28")  # 29.481 × 2.35 = 69.28035
    tender.boq.up_frac_dig = 3
    offer = read(write_x84(tender, {item.oz: Decimal("2.3455")}))
    assert next(i for i in offer.items if i.oz == item.oz).up == Decimal("2.346")


def test_the_offer_has_the_tenders_version_or_33_on_request() -> None:
    tender = read(gaeb_file("aus-dem-handbuch_gaebxml31.x83"))
    prices = _prices(tender)
    same = write_x84(tender, prices)
    assert etree.fromstring(same).nsmap[None] == "http://www.gaeb.de/GAEB_DA_XML/200407"
    assert read(same).version == "3.1"
    newer = write_x84(tender, prices, "3.3")
    assert etree.fromstring(newer).nsmap[None] == "http://www.gaeb.de/GAEB_DA_XML/DA84/3.3"
    assert read(newer).version == "3.3"
    # Tenders in the text formats are answered in 3.3.
    assert read(write_x84(read(gaeb_file("LV_Los01.D83")), {})).version == "3.3"


def test_the_offer_carries_ids_rno_parts_and_the_bidder() -> None:
    tender = read(gaeb_file("Pruefdatei_3.3_Bauausfuehrung_2024.x83"))
    bidder = Party(name="Malerbetrieb Muster GmbH", street="Hauptstr. 1", city="Ulm")
    data = write_x84(tender, _prices(tender), bidder=bidder)
    offer = read(data)
    assert [(i.id, i.rno_part, i.rno_index) for i in offer.items] == [
        (i.id, i.rno_part, i.rno_index) for i in tender.items
    ]
    assert offer.bidder is not None
    assert offer.bidder.name == "Malerbetrieb Muster GmbH"
    first = next(c for c in offer.boq.iter_categories())
    assert isinstance(first, Category)
    assert first.id == next(tender.boq.iter_categories()).id


def test_unpriced_items_are_written_without_prices() -> None:
    tender = read(gaeb_file("Musterdatei_3.1_2008-004.X83"))
    first = tender.items[0]
    offer = read(write_x84(tender, {first.oz: Decimal("3")}))
    assert [i.oz for i in offer.items] == [i.oz for i in tender.items]
    assert [i.up for i in offer.items if i.up is not None] == [Decimal("3.00")]
    assert first.qty == Decimal("100")
    assert offer.boq.total == Decimal("300.00")


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"99999999": Decimal("1")}, "not in the bill"),
        ({"010010": Decimal("NaN")}, "not a finite Decimal"),
        ({"010010": 1.5}, "not a finite Decimal"),
    ],
)
def test_bad_prices_are_refused(prices: dict[str, Decimal], message: str) -> None:
    tender = read(gaeb_file("LV_Los01.X83"))
    with pytest.raises(ValueError, match=message):
        write_x84(tender, prices)


def test_surcharge_items_take_no_unit_price_and_versions_are_checked() -> None:
    tender = read(gaeb_file("Pruefdatei_3.3_Bauausfuehrung_2024.x83"))
    surcharge = next(i for i in tender.items if i.kind is ItemKind.SURCHARGE)
    with pytest.raises(ValueError, match="surcharge"):
        write_x84(tender, {surcharge.oz: Decimal("10")})
    with pytest.raises(ValueError, match=r"not '2\.1'"):
        write_x84(tender, {}, "2.1")
