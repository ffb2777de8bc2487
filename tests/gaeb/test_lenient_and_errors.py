"""What real exporters get wrong reads; what cannot be read is a GaebError that says where."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from handwerkml.gaeb import GaebError, ItemKind, Phase, read
from handwerkml.kit.errors import Unprocessable
from tests.gaeb.files import gaeb_file

_IMAGE = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4).decode()


def _x83(body: str, *, version: str = "3.3", bkdn: str = "2,4") -> bytes:
    levels, item = bkdn.split(",")
    breakdown = "".join(
        f"<BoQBkdn><Type>BoQLevel</Type><Length>{n}</Length></BoQBkdn>" for n in levels.split()
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<GAEB xmlns="http://www.gaeb.de/GAEB_DA_XML/DA83/{version}">
 <GAEBInfo><Version>{version}</Version></GAEBInfo>
 <PrjInfo><NamePrj>Ein sehr langer Projektname, länger als die 20 Zeichen des Schemas</NamePrj>
 </PrjInfo>
 <Award><DP>83</DP><AwardInfo><Cur>EUR</Cur></AwardInfo>
  <BoQ ID="B1"><BoQInfo>{breakdown}<BoQBkdn><Type>Item</Type><Length>{item}</Length></BoQBkdn>
  </BoQInfo><BoQBody>{body}</BoQBody></BoQ>
 </Award>
</GAEB>""".encode()


def _item(rno: str, qty: str = "2.500", text: str = "Wand streichen", long: str = "") -> str:
    return (
        f'<Item ID="I{rno}" RNoPart="{rno}"><Qty>{qty}</Qty><QU>m2</QU><Description>'
        f"<CompleteText><DetailTxt><Text><p><span>{long}</span></p></Text></DetailTxt>"
        f"<OutlineText><OutlTxt><TextOutlTxt><span>{text}</span></TextOutlTxt></OutlTxt>"
        f"</OutlineText></CompleteText></Description></Item>"
    )


def test_a_utf8_bom_an_over_long_name_and_unpadded_rno_parts_read() -> None:
    body = f'<BoQCtgy RNoPart="1"><LblTx>Maler</LblTx><BoQBody><Itemlist>{_item("3")}'
    body += "</Itemlist></BoQBody></BoQCtgy>"
    tender = read(b"\xef\xbb\xbf" + _x83(body))
    assert tender.project.name.startswith("Ein sehr langer Projektname")
    [item] = tender.items
    assert (item.oz, item.oz_dotted, item.rno_part) == ("010003", "01.0003", "3")
    assert (item.qty, item.unit, item.short_text) == (Decimal("2.5"), "m2", "Wand streichen")


def test_base64_images_in_long_texts_are_dropped() -> None:
    long = f'Vorher<image src="data:image/png;base64,{_IMAGE}"/>nachher'
    tender = read(_x83(f"<Itemlist>{_item('10', long=long)}</Itemlist>", bkdn=",4"))
    assert tender.items[0].long_text == "Vorhernachher"


def test_items_without_a_category_sit_in_the_bill() -> None:
    tender = read(_x83(f"<Itemlist>{_item('10')}{_item('20')}</Itemlist>", bkdn=",4"))
    assert tender.boq.children == tender.items
    assert [item.oz_dotted for item in tender.items] == ["0010", "0020"]
    assert list(tender.boq.iter_categories()) == []


def test_a_version_32_namespace_and_phase_81_read() -> None:
    data = _x83(f"<Itemlist>{_item('10')}</Itemlist>", version="3.2", bkdn=",4")
    tender = read(data.replace(b"<DP>83</DP>", b"<DP>81</DP>").replace(b"DA83", b"DA81"))
    assert (tender.version, tender.phase) == ("3.2", 81)


def test_a_quantity_that_is_no_number_names_its_place() -> None:
    body = f'<BoQCtgy RNoPart="1"><BoQBody><Itemlist>{_item("10")}{_item("20", qty="viel")}'
    body += "</Itemlist></BoQBody></BoQCtgy>"
    with pytest.raises(GaebError) as raised:
        read(_x83(body))
    assert raised.value.where == "/GAEB/Award/BoQ/BoQBody/BoQCtgy/BoQBody/Itemlist/Item[2]/Qty"
    assert "'viel'" in str(raised.value)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "leer"),
        (b"\xef\xbb\xbf \r\n", "leer"),
        (b"%PDF-1.7 garbage \x00\x01\x02", "keine GAEB-Datei"),
        (bytes(range(256)) * 8, "keine GAEB-Datei"),
        (b"<html><body>Angebot</body></html>", "keine GAEB-Datei"),
        (b"<?xml version='1.0'?><GAEB><GAEBInfo/></GAEB>", "kein Leistungsverzeichnis"),
        (b"#begin[GAEB]\n#begin[GAEBInfo]\n[Version]1.2[end]\n", "abgeschnitten"),
    ],
)
def test_unreadable_input_is_a_gaeb_error(data: bytes, reason: str) -> None:
    with pytest.raises(GaebError, match=reason):
        read(data)


def test_truncated_xml_says_it_is_not_valid_xml_and_the_line() -> None:
    data = gaeb_file("LV_Los01.X83")
    with pytest.raises(GaebError, match="kein gültiges XML") as raised:
        read(data[: len(data) // 2])
    assert raised.value.where.startswith("Zeile ")


def test_gaeb_error_is_a_422_with_the_reason() -> None:
    with pytest.raises(Unprocessable) as raised:
        read(b"nonsense")
    assert raised.value.status_code == 422
    assert raised.value.detail[0]["msg"] == str(raised.value)
    assert raised.value.detail[0]["loc"] == ["body", "file"]


@pytest.mark.parametrize(("encoding", "reason"), [("utf-8", "UTF-8"), ("cp1252", "Windows-1252")])
def test_gaeb90_in_the_wrong_code_page_is_refused_with_the_line(encoding: str, reason: str) -> None:
    data = gaeb_file("aus-dem-handbuch_gaeb90.d83")
    lines = data.decode("cp850").split("\r\n" if b"\r\n" in data else "\n")
    first_umlaut = next(n for n, line in enumerate(lines, start=1) if not line.isascii())
    converted = data.decode("cp850").encode(encoding)
    with pytest.raises(GaebError, match=reason) as raised:
        read(converted)
    assert raised.value.where == f"Zeile {first_umlaut}"


def test_an_offer_uploaded_as_a_tender_can_be_refused_by_its_phase() -> None:
    offer = read(gaeb_file("Musterdatei_3.1_2008-001.X84"), "LV.X83")
    assert offer.phase == Phase.OFFER
    assert not offer.is_tender


def test_gaeb90_items_of_a_phase_83_bill_have_no_prices() -> None:
    items = read(gaeb_file("aus-dem-handbuch_gaeb90.d83")).items
    assert all(item.up is None and item.it is None for item in items)
    assert {item.kind for item in items} == {
        ItemKind.NORMAL,
        ItemKind.OPTIONAL,
        ItemKind.ALTERNATIVE,
    }
