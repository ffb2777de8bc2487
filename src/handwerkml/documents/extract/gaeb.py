"""GAEB bills of quantities (Leistungsverzeichnisse) as plain position texts.

DA XML (X81–X89, versions 2.x–3.3; the namespace varies, so elements are
matched by local name) is read here; the older GAEB 2000 (.P8x) and GAEB 90
(.D8x) text formats in `gaeb_legacy`. Categories (LV-Bereiche) become heading
blocks and every item one `position` block:

    "01.0010  Baustelleneinrichtung\n<long text>  1 psch"

i.e. ordinal number (OZ, padded per the BoQ breakdown), short text, long text,
quantity and unit. Remarks (Hinweistexte) and additional texts are paragraphs.
Prices, STLB codes and embedded images are left out for now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from handwerkml.documents.extract.detect import is_gaeb90
from handwerkml.documents.extract.errors import CorruptDocument, EmptyDocument
from handwerkml.documents.extract.gaeb_format import german_quantity, position_text
from handwerkml.documents.extract.gaeb_legacy import extract_gaeb90, extract_gaeb2000
from handwerkml.documents.extract.model import Block, DocumentType, ExtractedDocument, Page
from handwerkml.documents.extract.normalize import clean
from handwerkml.documents.extract.xml import local, parse_xml

_WHAT = "Die GAEB-Datei"
_LINE_TAGS = {"p", "div", "tr", "li", "table", "ul", "ol", "Text", "h1", "h2", "h3", "h4"}
# What bidder text fields hold until the bidder fills them in.
_PLACEHOLDER = re.compile(r"^[\s._…'\"-]*$")


def extract_gaeb(data: bytes) -> ExtractedDocument:
    if is_gaeb90(data):
        return extract_gaeb90(data)
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#begin[GAEB]"):
        return extract_gaeb2000(data)
    return extract_gaeb_xml(data)


@dataclass
class _Breakdown:
    levels: list[int] = field(default_factory=list)
    item: int = 0

    def pad(self, part: str, length: int) -> str:
        part = part.strip()
        return part.zfill(length) if part.isdigit() and length else part


@dataclass
class _Reader:
    breakdown: _Breakdown
    blocks: list[Block] = field(default_factory=list)

    def body(self, body: etree._Element, parts: list[str]) -> None:
        for child in body:
            tag = local(child)
            if tag == "BoQCtgy":
                self.category(child, parts)
            elif tag == "Itemlist":
                self.body(child, parts)
            elif tag in ("Item", "MarkupItem"):
                self.item(child, parts)
            elif tag in ("Remark", "PerfDescr", "AddText"):
                self.paragraph(child)

    def category(self, category: etree._Element, parts: list[str]) -> None:
        depth = len(parts)
        length = self.breakdown.levels[depth] if depth < len(self.breakdown.levels) else 0
        own = [*parts, self.breakdown.pad(category.get("RNoPart", ""), length)]
        label = rich_text(_child(category, "LblTx")).replace("\n", " ")
        self.blocks.append(Block("heading", f"{'.'.join(own)} {label}".strip(), min(depth + 1, 6)))
        for child in category:
            if local(child) == "AddText":
                self.paragraph(child)
            elif local(child) == "BoQBody":
                self.body(child, own)

    def item(self, item: etree._Element, parts: list[str]) -> None:
        number = self.breakdown.pad(item.get("RNoPart", ""), self.breakdown.item)
        oz = ".".join(p for p in [*parts, number, item.get("RNoIndex", "")] if p)
        short, long = _description(_child(item, "Description"))
        lines = [position_text(oz, short, long, _quantity(item), _unit(item))]
        for sub in item:
            if local(sub) == "SubDescr":
                sub_short, sub_long = _description(_child(sub, "Description"))
                number = _child_text(sub, "SubDNo")
                lines.append(position_text(number, sub_short, sub_long, _quantity(sub), _unit(sub)))
        self.blocks.append(Block("position", "\n".join(lines)))

    def paragraph(self, element: etree._Element) -> None:
        short, long = _description(element)
        text = "\n".join(t for t in (short, long) if t)
        if text:
            self.blocks.append(Block("paragraph", text))


def extract_gaeb_xml(data: bytes) -> ExtractedDocument:
    root = parse_xml(data, _WHAT)
    if local(root) != "GAEB":
        raise CorruptDocument(f"{_WHAT} hat kein GAEB-Wurzelelement (gefunden: {local(root)}).")
    boqs = [el for el in root.iter() if local(el) == "BoQ"]
    blocks: list[Block] = []
    title: str | None = None
    for boq in boqs:
        info = _child(boq, "BoQInfo")
        reader = _Reader(_breakdown(info))
        if info is not None:
            title = title or _child_text(info, "LblBoQ") or None
            for child in info:
                if local(child) == "AddText":
                    reader.paragraph(child)
        body = _child(boq, "BoQBody")
        if body is not None:
            reader.body(body, [])
        blocks.extend(reader.blocks)
    if not title:
        project = next((el for el in root if local(el) == "PrjInfo"), None)
        if project is not None:
            title = _child_text(project, "LblPrj") or _child_text(project, "NamePrj") or None
    if not blocks:
        raise EmptyDocument(f"{_WHAT} enthält kein Leistungsverzeichnis mit Text.")
    return ExtractedDocument(kind=DocumentType.GAEB, pages=[Page(1, blocks)], title=title)


def _breakdown(info: etree._Element | None) -> _Breakdown:
    breakdown = _Breakdown()
    if info is None:
        return breakdown
    for element in info:
        if local(element) != "BoQBkdn":
            continue
        kind = _child_text(element, "Type")
        length_text = _child_text(element, "Length")
        length = int(length_text) if length_text.isdigit() else 0
        if kind == "BoQLevel":
            breakdown.levels.append(length)
        elif kind == "Item":
            breakdown.item = length
    return breakdown


def _description(description: etree._Element | None) -> tuple[str, str]:
    """(short text, long text) of a Description, Remark or AddText element."""
    if description is None:
        return "", ""
    short_parts: list[str] = []
    long_parts: list[str] = []
    for element in description.iter():
        tag = local(element)
        if tag in ("TextOutlTxt", "OutlineAddText"):
            short_parts.append(rich_text(element))
        elif tag in ("DetailTxt", "DetailAddText"):
            long_parts.append(rich_text(element))
    short = " ".join(p for p in short_parts if p).replace("\n", " ")
    return clean(short), "\n".join(p for p in long_parts if p)


def rich_text(element: etree._Element | None) -> str:
    """GAEB's XHTML-like formatted text as plain lines: spans joined, paragraphs on lines,
    table cells joined with " | ", images and empty bidder placeholders ("......") left out."""
    if element is None:
        return ""
    parts: list[str] = []

    def visit(node: etree._Element) -> None:
        tag = local(node)
        if tag == "image":
            _tail(node, parts)
            return
        if tag == "ComplBody" and _PLACEHOLDER.match("".join(node.itertext())):
            _tail(node, parts)
            return
        if tag in _LINE_TAGS:
            parts.append("\n")
        elif tag in ("td", "th") and node.getprevious() is not None:
            parts.append(" | ")
        elif tag == "br":
            parts.append("\n")
        if node.text and not (node.text.isspace() and "\n" in node.text):
            parts.append(node.text)
        for child in node:
            visit(child)
        if tag in _LINE_TAGS:
            parts.append("\n")
        _tail(node, parts)

    for child in element:
        visit(child)
    if element.text and not element.text.isspace():
        parts.insert(0, element.text)
    lines = [line for line in clean("".join(parts)).split("\n") if line]
    return "\n".join(lines)


def _tail(node: etree._Element, parts: list[str]) -> None:
    if node.tail and not (node.tail.isspace() and "\n" in node.tail):
        parts.append(node.tail)


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((child for child in element if local(child) == name), None)


def _child_text(element: etree._Element, name: str) -> str:
    child = _child(element, name)
    return clean("".join(child.itertext())) if child is not None else ""


def _quantity(item: etree._Element) -> str:
    value = _child_text(item, "Qty")
    return german_quantity(value) if value else ""


def _unit(item: etree._Element) -> str:
    return _child_text(item, "QU")
