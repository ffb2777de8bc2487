"""Small GAEB DA XML 3.3 bills built from plain values, for tests, the benchmark and demos.

Writes what the reader needs and nothing more: project, phase, the OZ layout
(two category digits, four item digits), categories with items, their texts,
quantities, units, kinds and, for priced phases, unit prices and totals.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True, slots=True)
class SampleItem:
    short_text: str
    qty: Decimal
    unit: str
    up: Decimal | None = None
    long_text: str = ""
    lump_sum: bool = False
    hourly: bool = False


def _text(text: str) -> str:
    return f"<p><span>{escape(text)}</span></p>"


def _item(number: int, item: SampleItem) -> str:
    parts = [f'<Item RNoPart="{number:04d}">']
    if item.lump_sum:
        parts.append("<LumpSumItem>Yes</LumpSumItem>")
    if item.hourly:
        parts.append("<HourIt>Yes</HourIt>")
    parts.append(f"<Qty>{item.qty:.3f}</Qty><QU>{escape(item.unit)}</QU>")
    if item.up is not None:
        total = (item.qty * item.up).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        parts.append(f"<UP>{item.up:.2f}</UP><IT>{total:.2f}</IT>")
    parts.append(
        "<Description><CompleteText>"
        f"<DetailTxt><Text>{_text(item.long_text or item.short_text)}</Text></DetailTxt>"
        f"<OutlineText><OutlTxt><TextOutlTxt>{_text(item.short_text)}</TextOutlTxt>"
        "</OutlTxt></OutlineText></CompleteText></Description></Item>"
    )
    return "".join(parts)


def bill_xml(
    categories: Sequence[tuple[str, Sequence[SampleItem]]],
    *,
    phase: int = 83,
    project: str = "Musterbau",
    day: date = date(2026, 1, 15),
) -> bytes:
    """A DA XML 3.3 bill: categories 01, 02, … in order, items 0010, 0020, … in each."""
    body = []
    for position, (label, items) in enumerate(categories, start=1):
        inner = "".join(_item(10 * n, item) for n, item in enumerate(items, start=1))
        body.append(
            f'<BoQCtgy RNoPart="{position:02d}"><LblTx>{_text(label)}</LblTx>'
            f"<BoQBody><Itemlist>{inner}</Itemlist></BoQBody></BoQCtgy>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<GAEB xmlns="http://www.gaeb.de/GAEB_DA_XML/DA{phase}/3.3">'
        f"<GAEBInfo><Version>3.3</Version><Date>{day.isoformat()}</Date>"
        "<ProgSystem>HandwerkML</ProgSystem></GAEBInfo>"
        f"<PrjInfo><NamePrj>{escape(project)}</NamePrj><LblPrj>{escape(project)}</LblPrj>"
        "<Cur>EUR</Cur></PrjInfo>"
        f"<Award><DP>{phase}</DP><AwardInfo><Cur>EUR</Cur>"
        f"<ContrDate>{day.isoformat()}</ContrDate></AwardInfo>"
        "<BoQ><BoQInfo><Name>LV</Name><LblBoQ>Leistungsverzeichnis</LblBoQ>"
        "<BoQBkdn><Type>BoQLevel</Type><Length>2</Length><Num>Yes</Num></BoQBkdn>"
        "<BoQBkdn><Type>Item</Type><Length>4</Length><Num>Yes</Num></BoQBkdn>"
        "<UPFracDig>2</UPFracDig></BoQInfo>"
        f"<BoQBody>{''.join(body)}</BoQBody></BoQ></Award></GAEB>"
    ).encode()
