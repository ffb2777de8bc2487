"""Text extraction for ingestion: `detect` a file's type from its bytes, `extract` its text.

    kind = detect(data, filename)
    document = extract(data, kind, ExtractOptions())
    for page in document.pages: ... page.number, page.ocr, page.blocks (kind, text, level)

Pure functions over bytes, no database; bad input raises an `ExtractionError`
subclass whose message can be shown to the user.
"""

from handwerkml.documents.extract.detect import detect
from handwerkml.documents.extract.errors import (
    CorruptDocument,
    EmptyDocument,
    EncryptedDocument,
    ExtractionError,
    OcrFailed,
    OcrUnavailable,
    UnsafeDocument,
    UnsupportedDocument,
)
from handwerkml.documents.extract.extractor import extract
from handwerkml.documents.extract.model import (
    Block,
    BlockKind,
    DocumentType,
    ExtractedDocument,
    ExtractOptions,
    Page,
)

__all__ = [
    "Block",
    "BlockKind",
    "CorruptDocument",
    "DocumentType",
    "EmptyDocument",
    "EncryptedDocument",
    "ExtractOptions",
    "ExtractedDocument",
    "ExtractionError",
    "OcrFailed",
    "OcrUnavailable",
    "Page",
    "UnsafeDocument",
    "UnsupportedDocument",
    "detect",
    "extract",
]
