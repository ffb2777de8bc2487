"""Text clean-up every format shares, and splitting plain text into paragraph blocks."""

from __future__ import annotations

import re
import unicodedata

from handwerkml.documents.extract.model import Block

# Typographic ligatures (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) become letters so that "Oberﬂäche" matches
# "Oberfläche"; soft hyphens and control characters disappear.
_TRANSLATE: dict[int, str | None] = {
    code: unicodedata.normalize("NFKC", chr(code)) for code in range(0xFB00, 0xFB07)
}
_TRANSLATE.update({0x00AD: None, 0x00A0: " ", 0x202F: " ", 0x2007: " "})
_TRANSLATE.update(dict.fromkeys((*range(9), 11, *range(14, 32), 127)))
_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def clean(text: str) -> str:
    """NFC, ligatures resolved, runs of spaces collapsed, lines stripped, ends trimmed."""
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(lines).strip()


def paragraphs(text: str) -> list[Block]:
    """Blank lines separate paragraphs (OCR output, plain text)."""
    return [Block("paragraph", part) for part in _BLANK_LINES.split(clean(text)) if part.strip()]
