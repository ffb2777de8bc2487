"""PNG, JPEG and TIFF: every frame (a multi-page TIFF from a scanner) is one OCRed page."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

from handwerkml.documents.extract.errors import (
    CorruptDocument,
    EmptyDocument,
    ExtractionError,
    UnsafeDocument,
)
from handwerkml.documents.extract.model import DocumentType, ExtractedDocument, ExtractOptions, Page
from handwerkml.documents.extract.ocr import ocr_image

# 100 megapixels: an A3 scan at 600 dpi is 70; beyond this decoding alone costs gigabytes.
MAX_PIXELS = 100_000_000
_FORMATS = {DocumentType.PNG: "PNG", DocumentType.JPEG: "JPEG", DocumentType.TIFF: "TIFF"}


def extract_image(data: bytes, kind: DocumentType, options: ExtractOptions) -> ExtractedDocument:
    pages: list[Page] = []
    truncated = False
    try:
        with warnings.catch_warnings():
            # Pillow warns (DecompressionBombWarning) before its own hard limit; ours is below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[_FORMATS[kind]]) as image:
                for index, frame in enumerate(ImageSequence.Iterator(image)):
                    if index >= options.max_pages:
                        truncated = True
                        break
                    pages.append(_page(frame, index + 1, options))
    except ExtractionError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise CorruptDocument(f"Das Bild ist beschädigt oder unlesbar: {error}") from error
    except Image.DecompressionBombError as error:
        raise UnsafeDocument(f"Das Bild ist zu groß: {error}") from error
    if not any(page.blocks for page in pages) and options.ocr:
        raise EmptyDocument("Im Bild wurde kein Text erkannt (leere oder unlesbare Seite).")
    return ExtractedDocument(kind=kind, pages=pages, truncated=truncated)


def _page(frame: Image.Image, number: int, options: ExtractOptions) -> Page:
    width, height = frame.size
    if width * height > MAX_PIXELS:
        raise UnsafeDocument(
            f"Seite {number} des Bildes ist mit {width}×{height} Pixeln zu groß "
            f"(höchstens {MAX_PIXELS // 1_000_000} Megapixel)."
        )
    if not options.ocr:
        return Page(number=number, blocks=[], ocr=False)
    # Phone photos are stored sideways with an EXIF rotation; Tesseract needs them upright.
    upright = ImageOps.exif_transpose(frame)
    return Page(
        number=number,
        blocks=ocr_image(upright, options, _dpi(frame, options), f"Seite {number}"),
        ocr=True,
    )


def _dpi(frame: Image.Image, options: ExtractOptions) -> int:
    """The resolution the file states, if plausible; scans without one are taken as the default."""
    value = frame.info.get("dpi")
    try:
        dpi = round(float(value[0])) if value else 0
    except (TypeError, ValueError, IndexError):
        dpi = 0
    return dpi if 70 <= dpi <= 1200 else options.ocr_dpi
