"""Word (DOCX): paragraphs, headings, list items and table rows in document order.

Read straight from the XML (word/document.xml and the style names from
word/styles.xml) rather than through python-docx, so that every byte goes
through the ZIP-bomb guard of `SafeZip` and no second copy of the document is
built. Headings are recognised by style name, English or German ("Heading 2",
"Überschrift 2"), or by an outline level; Word's last rendered page breaks and
explicit page breaks give approximate page numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from handwerkml.documents.extract.errors import EmptyDocument
from handwerkml.documents.extract.model import (
    Block,
    DocumentType,
    ExtractedDocument,
    ExtractOptions,
    Page,
)
from handwerkml.documents.extract.normalize import clean
from handwerkml.documents.extract.safezip import SafeZip
from handwerkml.documents.extract.xml import local, parse_xml

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_HEADING_STYLE = re.compile(r"^(?:heading|überschrift|ueberschrift)\s*(\d)$", re.IGNORECASE)
_TITLE_STYLE = re.compile(r"^(?:title|titel)$", re.IGNORECASE)
_LIST_STYLE = re.compile(r"^(?:list|liste|aufzählung)\b", re.IGNORECASE)
# Subtrees whose text is not part of the paragraph: deleted or moved-away text,
# the fallback copy of a drawing, and text boxes (read as their own paragraphs).
_SKIP = {"del", "moveFrom", "Fallback", "txbxContent", "instrText", "delText"}
_WHAT = "Das Word-Dokument"


@dataclass
class _Style:
    name: str
    outline_level: int | None


@dataclass
class _Reader:
    styles: dict[str, _Style]
    pages: list[list[Block]] = field(default_factory=lambda: [[]])

    def add(self, block: Block) -> None:
        self.pages[-1].append(block)

    def page_break(self) -> None:
        self.pages.append([])


def extract_docx(data: bytes, options: ExtractOptions) -> ExtractedDocument:
    archive = SafeZip(data, _WHAT)
    try:
        document_xml = archive.read("word/document.xml")
        styles_xml = archive.read("word/styles.xml")
        core_xml = archive.read("docProps/core.xml", limit=1024 * 1024)
    finally:
        archive.close()
    if document_xml is None:
        raise EmptyDocument(f"{_WHAT} hat keinen Textteil (word/document.xml fehlt).")
    root = parse_xml(document_xml, _WHAT)
    reader = _Reader(styles=_styles(styles_xml) if styles_xml else {})
    body = root.find(f"{{{W}}}body")
    if body is not None:
        _walk(body, reader)
    pages = [
        Page(number=index + 1, blocks=blocks)
        for index, blocks in enumerate(reader.pages[: options.max_pages])
    ]
    if not any(page.blocks for page in pages):
        raise EmptyDocument(f"{_WHAT} enthält keinen Text.")
    return ExtractedDocument(
        kind=DocumentType.DOCX,
        pages=pages,
        title=_core_title(core_xml) or _first_heading(pages),
        truncated=len(reader.pages) > options.max_pages,
    )


def _styles(data: bytes) -> dict[str, _Style]:
    styles: dict[str, _Style] = {}
    for style in parse_xml(data, _WHAT).iter(f"{{{W}}}style"):
        style_id = style.get(f"{{{W}}}styleId")
        name = style.find(f"{{{W}}}name")
        level = style.find(f"{{{W}}}pPr/{{{W}}}outlineLvl")
        if style_id:
            styles[style_id] = _Style(
                name=(name.get(f"{{{W}}}val") if name is not None else None) or style_id,
                outline_level=_int(level.get(f"{{{W}}}val")) if level is not None else None,
            )
    return styles


def _walk(container: etree._Element, reader: _Reader) -> None:
    for child in container:
        tag = local(child)
        if tag == "p":
            _paragraph(child, reader)
        elif tag == "tbl":
            _table(child, reader)
        elif tag in ("sdt", "sdtContent", "customXml", "ins", "moveTo", "smartTag"):
            _walk(child, reader)


def _paragraph(paragraph: etree._Element, reader: _Reader) -> None:
    parts: list[str] = []
    boxes: list[etree._Element] = []
    breaks_before_text = 0
    breaks_after_text = 0
    for kind, value in _runs(paragraph, boxes):
        if kind == "break":
            if "".join(parts).strip():
                breaks_after_text += 1
            else:
                breaks_before_text += 1
        else:
            parts.append(value)
    for _ in range(breaks_before_text):
        reader.page_break()
    text = clean("".join(parts))
    if text:
        reader.add(_classify(paragraph, text, reader.styles))
    for box in boxes:
        _walk(box, reader)
    for _ in range(breaks_after_text):
        reader.page_break()


def _runs(element: etree._Element, boxes: list[etree._Element]) -> list[tuple[str, str]]:
    """("text", …) pieces and ("break", "") page breaks, in order, skipping `_SKIP` subtrees."""
    out: list[tuple[str, str]] = []
    for child in element:
        tag = local(child)
        if tag in _SKIP:
            if tag == "txbxContent":
                boxes.append(child)
            continue
        if tag == "t":
            out.append(("text", child.text or ""))
        elif tag == "tab":
            out.append(("text", " "))
        elif tag in ("br", "cr"):
            if child.get(f"{{{W}}}type") == "page":
                out.append(("break", ""))
            else:
                out.append(("text", "\n"))
        elif tag == "lastRenderedPageBreak":
            out.append(("break", ""))
        elif tag == "noBreakHyphen":
            out.append(("text", "-"))
        elif tag == "p":  # a paragraph nested in a drawing's text frame
            out.append(("text", "\n"))
            out.extend(_runs(child, boxes))
        else:
            out.extend(_runs(child, boxes))
    return out


def _classify(paragraph: etree._Element, text: str, styles: dict[str, _Style]) -> Block:
    properties = paragraph.find(f"{{{W}}}pPr")
    style: _Style | None = None
    own_level: int | None = None
    numbered = False
    if properties is not None:
        style_ref = properties.find(f"{{{W}}}pStyle")
        if style_ref is not None:
            style_id = style_ref.get(f"{{{W}}}val") or ""
            style = styles.get(style_id, _Style(style_id, None))
        outline = properties.find(f"{{{W}}}outlineLvl")
        own_level = _int(outline.get(f"{{{W}}}val")) if outline is not None else None
        numbered = properties.find(f"{{{W}}}numPr") is not None
    name = style.name.strip() if style else ""
    match = _HEADING_STYLE.match(name)
    if match:
        return Block("heading", text, int(match.group(1)))
    if _TITLE_STYLE.match(name):
        return Block("heading", text, 1)
    level = own_level if own_level is not None else (style.outline_level if style else None)
    if level is not None and 0 <= level < 9:  # 9 is Word's "body text"
        return Block("heading", text, level + 1)
    if numbered or _LIST_STYLE.match(name):
        return Block("list_item", text)
    return Block("paragraph", text)


def _table(table: etree._Element, reader: _Reader) -> None:
    for row in table.iter(f"{{{W}}}tr"):
        parent = row.getparent()
        if parent is not table and (parent is None or local(parent) != "sdtContent"):
            continue  # a nested table's rows belong to its cell's text
        cells = [_cell_text(cell) for cell in row if local(cell) == "tc"]
        if any(cells):
            reader.add(Block("table_row", " | ".join(cells)))


def _cell_text(cell: etree._Element) -> str:
    texts = []
    for paragraph in cell.iter(f"{{{W}}}p"):
        text = clean("".join(value for kind, value in _runs(paragraph, []) if kind == "text"))
        if text:
            texts.append(text)
    return " ".join(texts).replace("\n", " ")


def _core_title(data: bytes | None) -> str | None:
    if not data:
        return None
    title = parse_xml(data, _WHAT).find("{http://purl.org/dc/elements/1.1/}title")
    return clean(title.text or "") or None if title is not None else None


def _first_heading(pages: list[Page]) -> str | None:
    for page in pages:
        for block in page.blocks:
            if block.kind == "heading":
                return block.text
    return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
