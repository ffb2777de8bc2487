"""Plain text and Markdown: decoding, then headings and blank-line paragraphs on one page.

Files from German offices are UTF-8 (often with a BOM, from Windows editors) or
Windows-1252 ("ANSI"); UTF-16 appears when Notepad saved "Unicode". Anything
else that does not decode as one of these is not treated as text.
"""

from __future__ import annotations

import codecs
import re

from handwerkml.documents.extract.errors import EmptyDocument, UnsupportedDocument
from handwerkml.documents.extract.model import Block, DocumentType, ExtractedDocument, Page

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Control characters other than tab, line feed, form feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_ATX_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+(.+)$")
_SETEXT = re.compile(r"^(=+|-+)\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def decode_text(data: bytes) -> str | None:
    """The text, or None when the bytes are not UTF-8/UTF-16/cp1252 text (binary data)."""
    text: str | None = None
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            break
    else:
        for encoding in ("utf-8", "cp1252"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            break
    if text is None:
        return None
    sample = text[:65536]
    # A few stray control characters happen in real text files; binary data has many.
    if "\x00" in sample or len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        return None
    return text


def require_text(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise UnsupportedDocument(
            "Die Datei ist weder UTF-8- noch Windows-1252-Text (unbekanntes Binärformat)."
        )
    return text


def looks_like_markdown(text: str) -> bool:
    lines = text[:65536].splitlines()
    return any(_ATX_HEADING.match(line) or line.startswith("```") for line in lines)


def extract_text(data: bytes, kind: DocumentType) -> ExtractedDocument:
    text = require_text(data).replace("\r\n", "\n").replace("\r", "\n")
    blocks = markdown_blocks(text) if kind is DocumentType.MARKDOWN else paragraph_blocks(text)
    if not blocks:
        raise EmptyDocument("Die Textdatei enthält keinen Text.")
    title = next((b.text for b in blocks if b.kind == "heading" and b.level == 1), None)
    return ExtractedDocument(kind=kind, pages=[Page(number=1, blocks=blocks)], title=title)


def paragraph_blocks(text: str) -> list[Block]:
    """Blank lines separate paragraphs; lines inside one stay as they are."""
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", text.replace("\f", "\n\n")))
    return [Block("paragraph", part) for part in paragraphs if part]


def markdown_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    pending: list[str] = []
    in_code = False

    def flush() -> None:
        if pending:
            paragraph = "\n".join(pending).strip()
            if paragraph:
                blocks.append(Block("paragraph", paragraph))
            pending.clear()

    for line in text.split("\n"):
        if line.startswith("```"):
            # Code stays one paragraph, blank lines included.
            in_code = not in_code
            if not in_code:
                flush()
            continue
        if in_code:
            pending.append(line)
            continue
        heading = _ATX_HEADING.match(line)
        setext = _SETEXT.match(line) if len(pending) == 1 else None
        item = _LIST_ITEM.match(line)
        if heading:
            flush()
            blocks.append(Block("heading", heading.group(2), len(heading.group(1))))
        elif setext:
            title = pending.pop().strip()
            blocks.append(Block("heading", title, 1 if setext.group(1)[0] == "=" else 2))
        elif item:
            flush()
            blocks.append(Block("list_item", item.group(1).strip()))
        elif line.lstrip().startswith("|") and line.rstrip().endswith("|"):
            flush()
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            # The |---|---| separator under a table header carries no text.
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                blocks.append(Block("table_row", " | ".join(cells)))
        elif not line.strip() or _RULE.match(line):
            flush()
        else:
            pending.append(line)
    flush()
    return blocks
