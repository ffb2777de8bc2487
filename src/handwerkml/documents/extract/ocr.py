"""OCR with Tesseract (German + English models) through its command-line program.

We call the `tesseract` binary directly rather than through pytesseract: that
wrapper also only runs the binary, but through temporary files and without a
way to tell a timeout from other failures; here the image goes in on stdin, the
text comes out on stdout, and every failure becomes a clear error. The binary
and its language models come from Debian (scripts/install-system-packages.sh).

OMP_THREAD_LIMIT=1: Tesseract's OpenMP threads made one page slower, not faster,
on 2 cores (0.66 s vs 0.40 s for a 300 dpi text snippet); parallelism belongs to
the workers, one document each.
"""

from __future__ import annotations

import functools
import io
import os
import shutil
import subprocess
from typing import cast

from PIL import Image, ImageOps

from handwerkml.documents.extract.errors import OcrFailed, OcrUnavailable
from handwerkml.documents.extract.model import Block, ExtractOptions
from handwerkml.documents.extract.normalize import paragraphs

INSTALL_HINT = "scripts/install-system-packages.sh installs it"


def tesseract_path() -> str | None:
    return os.environ.get("HANDWERKML_TESSERACT") or shutil.which("tesseract")


@functools.cache
def _languages(binary: str) -> frozenset[str]:
    try:
        result = subprocess.run(
            [binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise OcrUnavailable(f"tesseract --list-langs failed: {error}") from error
    # The first line is a header ('List of available languages in "…" (3):').
    return frozenset(line.strip() for line in result.stdout.splitlines()[1:] if line.strip())


def check_available(languages: str) -> str:
    """The tesseract binary, once it is known to have every requested language model."""
    binary = tesseract_path()
    if binary is None:
        raise OcrUnavailable(
            f"OCR needs the tesseract program, which is not installed; {INSTALL_HINT}"
        )
    missing = set(languages.split("+")) - _languages(binary)
    if missing:
        raise OcrUnavailable(
            f"Tesseract has no model for {', '.join(sorted(missing))}; {INSTALL_HINT} "
            "(tesseract-ocr-deu, tesseract-ocr-eng)"
        )
    return binary


def is_blank(image: Image.Image) -> bool:
    """Nothing but one shade (a blank page): no need to ask Tesseract."""
    # One band, so the extrema are (low, high) numbers.
    low, high = cast(tuple[float, float], ImageOps.grayscale(image).getextrema())
    return high - low < 16


def ocr_image(image: Image.Image, options: ExtractOptions, dpi: int, where: str) -> list[Block]:
    """Paragraph blocks of the text Tesseract reads in `image` (`where` names it in errors)."""
    if is_blank(image):
        return []
    binary = check_available(options.ocr_languages)
    buffer = io.BytesIO()
    # PNG of the grayscale image: lossless, and Tesseract binarises it itself.
    ImageOps.grayscale(image).save(buffer, format="PNG", compress_level=1)
    command = [binary, "stdin", "stdout", "-l", options.ocr_languages, "--dpi", str(dpi)]
    try:
        result = subprocess.run(
            command,
            input=buffer.getvalue(),
            capture_output=True,
            timeout=options.ocr_timeout_s,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise OcrFailed(
            f"Texterkennung (OCR) für {where} nach {options.ocr_timeout_s:g} s abgebrochen."
        ) from error
    except OSError as error:
        raise OcrUnavailable(f"tesseract could not be started: {error}") from error
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = lines[-1] if lines else f"exit code {result.returncode}"
        raise OcrFailed(f"Texterkennung (OCR) für {where} fehlgeschlagen: {detail}")
    return paragraphs(result.stdout.decode("utf-8", "replace"))
