"""GAEB bills of quantities (Leistungsverzeichnisse) as blocks for chunking and search.

`handwerkml.gaeb.read` does the reading (DA XML 2.x–3.3, GAEB 2000, GAEB 90);
here its tree becomes blocks: categories are headings, every item one
`position` block that the chunker keeps whole,

    "01.0010  Baustelleneinrichtung\\n<long text>  1 psch"

i.e. ordinal number (OZ), short text, long text, quantity and unit, followed by
the lines of its sub-descriptions. Remarks and preliminary texts are paragraphs
where the bill has them.
"""

from __future__ import annotations

from decimal import Decimal

from handwerkml.documents.extract.errors import CorruptDocument, EmptyDocument
from handwerkml.documents.extract.model import Block, DocumentType, ExtractedDocument, Page
from handwerkml.gaeb import Category, GaebError, Item, Node, Remark, Tender, read


def extract_gaeb(data: bytes) -> ExtractedDocument:
    try:
        tender = read(data)
    except GaebError as error:
        raise CorruptDocument(str(error)) from error
    blocks: list[Block] = []
    _add(blocks, tender.boq.children, 1)
    if not blocks:
        raise EmptyDocument("Die GAEB-Datei enthält kein Leistungsverzeichnis mit Text.")
    return ExtractedDocument(kind=DocumentType.GAEB, pages=[Page(1, blocks)], title=_title(tender))


def _add(blocks: list[Block], nodes: list[Node], level: int) -> None:
    for node in nodes:
        if isinstance(node, Category):
            blocks.append(Block("heading", f"{node.rno} {node.label}".strip(), min(level, 6)))
            _add(blocks, node.children, level + 1)
        elif isinstance(node, Item):
            blocks.append(Block("position", position_text(node)))
        elif isinstance(node, Remark) and node.text:
            blocks.append(Block("paragraph", node.text))


def position_text(item: Item) -> str:
    lines = [_line(item.oz_dotted, item.short_text, item.long_text, item.qty, item.unit)]
    lines.extend(
        _line(sub.number, sub.short_text, sub.long_text, sub.qty, sub.unit)
        for sub in item.sub_descriptions
    )
    return "\n".join(lines)


def _line(number: str, short: str, long: str, qty: Decimal | None, unit: str) -> str:
    head = f"{number}  {short}".strip() if short else number
    text = f"{head}\n{long}" if long else head
    amount = f"{german_quantity(qty)} {unit}".strip()
    return f"{text}  {amount}" if amount else text


def german_quantity(qty: Decimal | None) -> str:
    """Decimal('1.000') → '1', Decimal('12345.500') → '12345,5'; '' for no quantity."""
    if qty is None:
        return ""
    return f"{qty.normalize():f}".replace(".", ",")


def _title(tender: Tender) -> str | None:
    return tender.boq.label or tender.project.label or tender.project.name or None
