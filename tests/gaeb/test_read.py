"""Reading every shared GAEB fixture, checked against counts taken from the raw files
(lxml XPath for DA XML, line scanning for GAEB 90 and GAEB 2000), not the reader."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from lxml import etree

from handwerkml.gaeb import (
    Category,
    GaebFormat,
    ItemKind,
    Phase,
    Remark,
    RemarkKind,
    Tender,
    read,
)
from tests.gaeb.files import (
    GAEB90_FILES,
    GAEB2000_FILES,
    HANDBOOK_FILES,
    LOS01_FILES,
    XML_FILES,
    gaeb_file,
)

_LOCAL = "*[local-name()='{}']"


def _xml_truth(data: bytes) -> tuple[list[str], int, str, int]:
    """(OZ of every Item/MarkupItem, number of categories, Version, DP) by XPath."""
    root = etree.fromstring(data)

    def lengths(kind: str) -> list[int]:
        path = f"//{_LOCAL.format('BoQBkdn')}[{_LOCAL.format('Type')}='{kind}']"
        return [int(el.xpath(f"string({_LOCAL.format('Length')})")) for el in root.xpath(path)]

    levels, item_length = lengths("BoQLevel"), lengths("Item")[0]
    ozs = []
    items = root.xpath(f"//{_LOCAL.format('Item')} | //{_LOCAL.format('MarkupItem')}")
    for item in items:
        parents = item.xpath(f"ancestor::{_LOCAL.format('BoQCtgy')}/@RNoPart")
        parts = [p.strip().zfill(n) for p, n in zip(parents, levels, strict=False)]
        parts.append(item.get("RNoPart").strip().zfill(item_length))
        ozs.append("".join(parts) + item.get("RNoIndex", ""))
    categories = int(root.xpath(f"count(//{_LOCAL.format('BoQCtgy')})"))
    version = root.xpath(f"string(//{_LOCAL.format('GAEBInfo')}/{_LOCAL.format('Version')})")
    phase = int(root.xpath(f"string(//{_LOCAL.format('Award')}/{_LOCAL.format('DP')})"))
    return ozs, categories, version, phase


def _gaeb90_truth(data: bytes) -> tuple[list[str], int]:
    """OZ of every record 21 and the number of records 11, cut by the mask in record 00."""
    lines = data.decode("ascii", "replace").splitlines()
    mask = lines[0][62:71]
    groups = [m.span() for m in re.finditer(r"([1-9PI])\1*", mask)]
    ozs = []
    for line in lines:
        if line.startswith("21"):
            number = line[2:11]
            parts = [number[a:b].strip().zfill(b - a) for a, b in groups if number[a:b].strip()]
            ozs.append("".join(parts))
    return ozs, sum(1 for line in lines if line.startswith("11"))


def _gaeb2000_truth(data: bytes) -> tuple[list[str], int]:
    text = data.decode("cp1252")
    ozs = re.findall(r"#begin\[Position\]\s*\[OZ\]([^\[]*)\[end\]", text)
    return [oz.strip() for oz in ozs], text.count("#begin[LVBereich]")


def _categories(tender: Tender) -> list[Category]:
    return list(tender.boq.iter_categories())


@pytest.mark.parametrize("name", XML_FILES)
def test_da_xml_files_read_every_item_category_and_oz(name: str) -> None:
    data = gaeb_file(name)
    ozs, categories, version, phase = _xml_truth(data)
    tender = read(data, name)
    assert tender.format is GaebFormat.DA_XML
    assert (tender.version, tender.phase) == (version, phase)
    assert [item.oz for item in tender.items] == ozs
    assert len(_categories(tender)) == categories


@pytest.mark.parametrize("name", GAEB90_FILES)
def test_gaeb90_files_read_every_item_category_and_oz(name: str) -> None:
    data = gaeb_file(name)
    ozs, categories = _gaeb90_truth(data)
    tender = read(data, name)
    assert (tender.format, tender.version, tender.phase) == (GaebFormat.GAEB_90, "90", 83)
    assert [item.oz for item in tender.items] == ozs
    assert len(_categories(tender)) == categories


@pytest.mark.parametrize("name", GAEB2000_FILES)
def test_gaeb2000_files_read_every_item_category_and_oz(name: str) -> None:
    data = gaeb_file(name)
    ozs, categories = _gaeb2000_truth(data)
    tender = read(data, name)
    assert (tender.format, tender.version, tender.phase) == (GaebFormat.GAEB_2000, "2000", 83)
    assert [item.oz for item in tender.items] == ozs
    assert len(_categories(tender)) == categories


def _positions(name: str) -> list[tuple[str, Decimal | None, str, str]]:
    tender = read(gaeb_file(name), name)
    return [(i.oz_dotted, i.qty, i.unit, i.short_text) for i in tender.items]


@pytest.mark.parametrize("names", [HANDBOOK_FILES, LOS01_FILES], ids=["handbook", "LV_Los01"])
def test_one_bill_in_several_formats_gives_the_same_positions(names: list[str]) -> None:
    first, *others = (_positions(name) for name in names)
    assert len(first) > 10
    for other in others:
        assert other == first


@pytest.mark.parametrize("names", [HANDBOOK_FILES, LOS01_FILES], ids=["handbook", "LV_Los01"])
def test_one_bill_in_several_formats_gives_the_same_categories(names: list[str]) -> None:
    def categories(name: str) -> list[tuple[str, str]]:
        return [(c.rno, c.label) for c in _categories(read(gaeb_file(name), name))]

    first, *others = (categories(name) for name in names)
    for other in others:
        assert other == first


def test_the_handbook_bill_has_the_same_item_kinds_in_all_four_formats() -> None:
    def kinds(name: str) -> list[tuple[str, ItemKind]]:
        return [(i.oz_dotted, i.kind) for i in read(gaeb_file(name), name).items]

    first, *others = (kinds(name) for name in HANDBOOK_FILES)
    assert {kind for _, kind in first} == {ItemKind.NORMAL, ItemKind.OPTIONAL, ItemKind.ALTERNATIVE}
    for other in others:
        assert other == first


def test_version_comes_from_gaeb_info_not_the_shared_namespace() -> None:
    # 3.0 and 3.1 share the namespace …/200407; pygaeb reports both as 2.0.
    assert read(gaeb_file("aus-dem-handbuch_gaebxml30.x83")).version == "3.0"
    assert read(gaeb_file("aus-dem-handbuch_gaebxml31.x83")).version == "3.1"


def test_tender_header_project_client_currency_award() -> None:
    tender = read(gaeb_file("Musterdatei_3.1_2008-001.X83"))
    assert tender.is_tender
    assert not tender.is_offer
    assert tender.project.name == "GAEB0002"
    assert tender.project.label.startswith("Musterprojekt für Leistun")
    assert tender.client is not None
    assert tender.client.name == "OfD GAEBhausen, Abteilung Hochbau"
    assert (tender.client.postal_code, tender.client.city) == ("79879", "GAEBhausen")
    assert (tender.currency, tender.currency_label) == ("EUR", "Euro")
    assert str(tender.award.opening) == "2008-07-25"
    assert str(tender.award.construction_start) == "2008-11-15"
    assert tender.boq.breakdown.levels == [1, 2, 2]


def test_item_fields_padded_oz_texts_quantity_unit() -> None:
    tender = read(gaeb_file("Musterdatei_3.1_2008-001.X83"))
    item = tender.items[0]
    # RNoPart="10" under the breakdown 1/2/2/4: padded to 0010.
    assert (item.oz, item.oz_dotted, item.rno_part) == ("110100010", "1.10.10.0010", "10")
    assert item.short_text == "Gelände abräumen"
    assert item.qty == Decimal("1")
    assert item.unit == "psch"
    assert item.kind is ItemKind.LUMP_SUM
    assert item.up is None
    assert item.it is None


def test_long_text_keeps_tables_readable_and_drops_images() -> None:
    data = gaeb_file("Musterdatei_3.1_2008-001.X83")
    assert b"<image" in data
    tender = read(data)
    remarks = [r.text for r in tender.boq.children if isinstance(r, Remark)]
    texts = [item.long_text for item in tender.items] + remarks
    # A table row on one line with its cells joined, as the file has it.
    assert any("1 Stelle | " in text for text in texts)
    assert not any("base64" in text or "iVBOR" in text or "/9j/" in text for text in texts)


def test_item_kinds() -> None:
    tender = read(gaeb_file("Pruefdatei_3.3_Bauausfuehrung_2024.x83"))
    kinds = {item.kind for item in tender.items}
    assert kinds == {
        ItemKind.NORMAL,
        ItemKind.PROVISIONAL,
        ItemKind.ALTERNATIVE,
        ItemKind.SURCHARGE,
    }
    musterdatei = {item.kind for item in read(gaeb_file("Musterdatei_3.1_2008-001.X83")).items}
    assert {ItemKind.LUMP_SUM, ItemKind.HOURLY, ItemKind.ALTERNATIVE} <= musterdatei
    for name in ("aus-dem-handbuch_gaeb90.d83", "aus-dem-handbuch_gaebxml31.x83"):
        items = read(gaeb_file(name)).items
        assert [i.oz_dotted for i in items if i.kind is ItemKind.OPTIONAL] == ["01.01.0007"]
        alternatives = [i.oz_dotted for i in items if i.kind is ItemKind.ALTERNATIVE]
        assert alternatives == [f"01.02.{n:04d}" for n in range(5, 13)]


def test_preliminary_texts_of_the_award_open_the_bill() -> None:
    first = read(gaeb_file("Musterdatei_3.1_2008-001.X83")).boq.children[0]
    assert isinstance(first, Remark)
    assert first.kind is RemarkKind.PRELIMINARY
    assert first.text.startswith("Vertragliche Regelungen oder Ähnliches")


def test_remarks_stay_in_their_place() -> None:
    tender = read(gaeb_file("LV_Los01.X83"))
    second = _categories(tender)[1]
    assert second.rno == "02"
    remark = second.children[0]
    assert isinstance(remark, Remark)
    assert remark.kind is RemarkKind.REMARK
    assert "Flurschäden" in remark.text
    # The same remark in GAEB 2000 sits in the same category.
    legacy = _categories(read(gaeb_file("LV_Los01.P83")))[1]
    assert isinstance(legacy.children[0], Remark)
    assert "Flurschäden" in legacy.children[0].text


def test_priced_files_carry_unit_prices_and_totals() -> None:
    offer = read(gaeb_file("BVBS_Pruefdatei_3.3_Bauausfuehrung_2021.x84"))
    assert offer.phase == Phase.OFFER
    assert not offer.is_tender
    first = offer.items[0]
    assert (first.up, first.it) == (Decimal("5000.000"), Decimal("5000.00"))
    assert offer.boq.total == Decimal("2000000.00")
    assert _categories(offer)[1].total == Decimal("6100.00")
    award = read(gaeb_file("Musterdatei_3.1_2008-004.X86"))
    assert award.phase == Phase.AWARD
    assert all(item.up is not None for item in award.items)


def test_an_offer_is_told_apart_from_a_tender() -> None:
    tender = read(gaeb_file("Musterdatei_3.1_2008-001.X83"))
    offer = read(gaeb_file("Musterdatei_3.1_2008-001.X84"))
    assert (tender.phase, offer.phase) == (83, 84)
    assert [i.oz for i in offer.items] == [i.oz for i in tender.items]


def test_items_of_a_gaeb90_bill_have_their_texts() -> None:
    items = read(gaeb_file("LV_Los01.D83")).items
    assert items[0].short_text == "Anlaufberatung, Baufeldübergabe"
    # GAEB 90 wraps long texts at 70 columns; the lines stay as the file has them.
    assert items[0].long_text.startswith("Teilnahme des Projektleiters an einem ganztägigen\n")
