"""Which format a file is, from its bytes: the name a user gave it is not trusted.

Magic bytes decide binary formats; text is decoded and then recognised as
GAEB (DA XML, GAEB 2000, GAEB 90), HTML, or plain text. The file name only
breaks the tie between Markdown and plain text, which share every byte pattern.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from handwerkml.documents.extract.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    UnsupportedDocument,
)
from handwerkml.documents.extract.model import DocumentType
from handwerkml.documents.extract.text import decode_text, looks_like_markdown
from handwerkml.gaeb.gaeb90 import is_gaeb90

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Password-protected Office files are OLE2 containers with this stream (UTF-16 name).
_OLE2_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")
_GAEB_XML = re.compile(r"<(?:[\w.-]+:)?GAEB[\s>/]|gaeb\.de/GAEB_DA_XML")
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<(?:p|div|table|h1)[\s>]")
_MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
_TEXT_SUFFIXES = {".txt", ".text", ".log", ".csv"}

_KNOWN_BINARY = {
    b"GIF8": "GIF-Bilder",
    b"BM": "BMP-Bilder",
    b"\x1f\x8b": "gzip-Archive",
    b"7z\xbc\xaf": "7-Zip-Archive",
    b"Rar!": "RAR-Archive",
    b"{\\rtf": "RTF-Dokumente",
}


def detect(data: bytes, filename: str | None = None) -> DocumentType:
    """The document's type; raises EmptyDocument for 0 bytes, UnsupportedDocument otherwise."""
    if not data:
        raise EmptyDocument("Die Datei ist leer (0 Bytes).")
    head = data[:1024]
    if b"%PDF-" in head:
        return DocumentType.PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return DocumentType.PNG
    if data.startswith(b"\xff\xd8\xff"):
        return DocumentType.JPEG
    if data[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return DocumentType.TIFF
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _detect_zip(data)
    if data.startswith(_OLE2):
        if _OLE2_ENCRYPTED in data:
            raise EncryptedDocument(
                "Das Office-Dokument ist mit einem Passwort geschützt; "
                "bitte ohne Passwort speichern."
            )
        raise UnsupportedDocument(
            "Alte Office-Formate (.doc, .xls) werden nicht unterstützt; "
            "bitte als DOCX oder PDF speichern."
        )
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise UnsupportedDocument(
            "WebP-Bilder werden nicht unterstützt (PNG, JPEG oder TIFF verwenden)."
        )
    for magic, name in _KNOWN_BINARY.items():
        if data.startswith(magic):
            raise UnsupportedDocument(f"{name} werden nicht unterstützt.")
    if is_gaeb90(data):
        return DocumentType.GAEB
    text = decode_text(data)
    if text is None:
        raise UnsupportedDocument("Unbekanntes Dateiformat (weder PDF, DOCX, Bild noch Text).")
    return _detect_text(text, filename)


def _detect_zip(data: bytes) -> DocumentType:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError) as error:
        raise CorruptDocument(f"Die ZIP-Datei ist beschädigt: {error}") from error
    if "word/document.xml" in names:
        return DocumentType.DOCX
    if "xl/workbook.xml" in names:
        raise UnsupportedDocument("Excel-Dateien (XLSX) werden noch nicht unterstützt.")
    if "content.xml" in names:
        raise UnsupportedDocument("OpenDocument-Dateien werden noch nicht unterstützt.")
    raise UnsupportedDocument("Ein ZIP-Archiv ohne Word-Dokument (DOCX) wird nicht unterstützt.")


def _detect_text(text: str, filename: str | None) -> DocumentType:
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("#begin[GAEB]"):
        return DocumentType.GAEB
    if start.startswith("<"):
        head = start[:65536]
        if _GAEB_XML.search(head):
            return DocumentType.GAEB
        if _HTML.search(head[:8192].lower()):
            return DocumentType.HTML
        if start.startswith("<?xml"):
            raise UnsupportedDocument("XML-Dateien werden nur im GAEB-Format unterstützt.")
    suffix = PurePath(filename).suffix.lower() if filename else ""
    if suffix in _MARKDOWN_SUFFIXES:
        return DocumentType.MARKDOWN
    if suffix in _TEXT_SUFFIXES:
        return DocumentType.TEXT
    return DocumentType.MARKDOWN if looks_like_markdown(text) else DocumentType.TEXT
