"""What extraction returns: pages of structured blocks, and the options it runs with.

The blocks keep the structure a chunker needs (headings start sections, table
rows and GAEB positions are units that should not be split), and every block
belongs to a 1-based page so that search hits can cite the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

BlockKind = Literal["heading", "paragraph", "table_row", "list_item", "position"]


class DocumentType(StrEnum):
    """A document's format, as `detect` finds it from the bytes (stored as its value)."""

    PDF = "pdf"
    DOCX = "docx"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    HTML = "html"
    GAEB = "gaeb"
    MARKDOWN = "markdown"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of text. `level` is the heading depth (1 = top) and None for other kinds."""

    kind: BlockKind
    text: str
    level: int | None = None


@dataclass(frozen=True, slots=True)
class Page:
    """A page in the source (formats without pages have one). `ocr`: text came from OCR."""

    number: int
    blocks: list[Block]
    ocr: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(block.text for block in self.blocks)


@dataclass(frozen=True, slots=True)
class ExtractedDocument:
    kind: DocumentType
    pages: list[Page]
    title: str | None = None
    # More pages than ExtractOptions.max_pages: the rest was not read.
    truncated: bool = False

    @property
    def text(self) -> str:
        return "\n\n".join(page.text for page in self.pages if page.blocks)


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    ocr_languages: str = "deu+eng"
    ocr_dpi: int = 300
    # Per page; a page that takes longer fails the document (OcrFailed).
    ocr_timeout_s: float = 120.0
    # False: pages without a text layer and images come back empty instead of OCRed.
    ocr: bool = True
    max_pages: int = 1000
