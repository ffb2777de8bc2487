"""Why a document could not be read: one ValueError family with messages a user can act on.

Every library exception raised for bad input is translated into one of these,
so callers (the ingestion job, an upload endpoint) catch `ExtractionError` and
show `str(error)`. `OcrUnavailable` is different: a missing Tesseract is the
operator's problem, not the document's, so it is not an ExtractionError.
"""

from __future__ import annotations


class ExtractionError(ValueError):
    """The document cannot be turned into text; the message says why."""


class EncryptedDocument(ExtractionError):
    pass


class CorruptDocument(ExtractionError):
    pass


class EmptyDocument(ExtractionError):
    pass


class UnsafeDocument(ExtractionError):
    """Would take unreasonable memory or time to open (ZIP bomb, gigantic image)."""


class UnsupportedDocument(ExtractionError):
    pass


class OcrFailed(ExtractionError):
    """Tesseract gave up on a page (timeout, or it could not read the image)."""


class OcrUnavailable(RuntimeError):
    """The tesseract binary or a language model is missing on this machine."""
