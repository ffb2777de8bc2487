"""`extract`: one entry point that hands the bytes to the reader for their type."""

from __future__ import annotations

from handwerkml.documents.extract.docx import extract_docx
from handwerkml.documents.extract.errors import EmptyDocument, UnsupportedDocument
from handwerkml.documents.extract.gaeb import extract_gaeb
from handwerkml.documents.extract.html import extract_html
from handwerkml.documents.extract.images import extract_image
from handwerkml.documents.extract.model import DocumentType, ExtractedDocument, ExtractOptions
from handwerkml.documents.extract.pdf import extract_pdf
from handwerkml.documents.extract.text import extract_text


def extract(
    data: bytes, kind: DocumentType | str, options: ExtractOptions | None = None
) -> ExtractedDocument:
    """The document's text as pages of blocks. `kind` is what `detect` returned (or its value,
    as stored); raises an ExtractionError subclass for input that cannot be read."""
    try:
        kind = DocumentType(kind)
    except ValueError as error:
        raise UnsupportedDocument(f"Unbekannter Dokumenttyp: {kind!r}.") from error
    options = options or ExtractOptions()
    if options.max_pages < 1:
        raise ValueError("max_pages must be at least 1")
    if not data:
        raise EmptyDocument("Die Datei ist leer (0 Bytes).")
    match kind:
        case DocumentType.PDF:
            return extract_pdf(data, options)
        case DocumentType.DOCX:
            return extract_docx(data, options)
        case DocumentType.PNG | DocumentType.JPEG | DocumentType.TIFF:
            return extract_image(data, kind, options)
        case DocumentType.HTML:
            return extract_html(data)
        case DocumentType.GAEB:
            return extract_gaeb(data)
        case DocumentType.MARKDOWN | DocumentType.TEXT:
            return extract_text(data, kind)
