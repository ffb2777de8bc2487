"""GAEB texts as plain text: DA XML's XHTML-like formatting and GAEB 2000's RTF.

Paragraphs and table rows become lines, table cells are joined with " | ", images
(often base64 inline) and empty bidder placeholders ("......") are dropped.
"""

from __future__ import annotations

import re
import unicodedata

from lxml import etree

_LINE_TAGS = {"p", "div", "tr", "li", "table", "ul", "ol", "Text", "h1", "h2", "h3", "h4"}
# What bidder text fields hold until the bidder fills them in.
_PLACEHOLDER = re.compile(r"^[\s._…'\"-]*$")
_SPACES = re.compile(r"[ \t\u00a0\u202f\u2007]+")
# Control characters other than newline and tab; the soft hyphen is invisible in print.
_DROP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\xad]")

_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)", re.DOTALL
)
# RTF groups whose text is not document text.
_RTF_SKIP = {"fonttbl", "colortbl", "stylesheet", "info", "pict", "header", "footer", "object"}


def tidy(text: str) -> str:
    """NFC, runs of spaces collapsed, lines stripped, blank lines dropped.

    The documents package has a richer `clean`; this package must not import it
    (documents reads GAEB through this package, not the other way round)."""
    text = _DROP.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def whole_number(text: str) -> int | None:
    """'83' → 83; None for anything but ASCII digits (str.isdigit accepts '²', int() not)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def frac_digits(text: str, default: int = 2) -> int:
    """UPFracDig: decimal places of unit prices, 0 … 6 (the file's, else `default`)."""
    digits = whole_number(text)
    return default if digits is None else min(digits, 6)


def one_line(text: str) -> str:
    return tidy(text).replace("\n", " ")


def local(element: etree._Element) -> str:
    """The tag without its namespace; '' for comments and processing instructions."""
    tag = element.tag
    # Faster than etree.QName, which matters at one call per element of a 10,000-item bill.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def rich_text(element: etree._Element | None) -> str:
    """The plain text of a formatted GAEB text element (DetailTxt, TextOutlTxt, LblTx…)."""
    if element is None:
        return ""
    parts: list[str] = []
    if element.text and not element.text.isspace():
        parts.append(element.text)
    for child in element:
        _visit(child, parts)
    return tidy("".join(parts))


def _visit(node: etree._Element, parts: list[str]) -> None:
    tag = local(node)
    if tag == "image" or not tag:
        _tail(node, parts)
        return
    if tag == "ComplBody" and _PLACEHOLDER.match("".join(node.itertext())):
        _tail(node, parts)
        return
    if tag == "tr":
        # A row on one line, its cells joined; paragraphs inside a cell do not break it.
        cells = []
        for cell in node:
            cell_parts: list[str] = [cell.text or ""] if local(cell) in ("td", "th") else []
            for child in cell if cell_parts else ():
                _visit(child, cell_parts)
            text = " ".join("".join(cell_parts).split())
            if text:
                cells.append(text)
        parts.append("\n" + " | ".join(cells) + "\n")
        _tail(node, parts)
        return
    if tag in _LINE_TAGS or tag == "br":
        parts.append("\n")
    if node.text and not (node.text.isspace() and "\n" in node.text):
        parts.append(node.text)
    for child in node:
        _visit(child, parts)
    if tag in _LINE_TAGS:
        parts.append("\n")
    _tail(node, parts)


def _tail(node: etree._Element, parts: list[str]) -> None:
    if node.tail and not (node.tail.isspace() and "\n" in node.tail):
        parts.append(node.tail)


def rtf_to_text(value: str) -> str:
    """The text of a (GAEB-sized) RTF fragment; a value not starting with {\\rtf is returned."""
    if not value.lstrip().startswith("{\\rtf"):
        return value
    out: list[str] = []
    skip_depth: int | None = None
    depth = 0
    skip_chars = 0
    for word, number, hex_byte, symbol, brace, text in _RTF_TOKEN.findall(value):
        if brace == "{":
            depth += 1
        elif brace == "}":
            if skip_depth is not None and depth <= skip_depth:
                skip_depth = None
            depth -= 1
        elif skip_depth is not None:
            continue
        elif word:
            if word in _RTF_SKIP:
                skip_depth = depth
            elif word in ("par", "line", "sect", "row"):
                out.append("\n")
            elif word in ("tab", "cell"):
                out.append(" ")
            elif word == "u" and number:
                out.append(chr(int(number) % 65536))
                skip_chars = 1
        elif symbol:
            if symbol == "*":
                skip_depth = depth
            elif symbol in "\\{}":
                out.append(symbol)
            elif symbol == "~":
                out.append(" ")
        elif hex_byte:
            if skip_chars:
                skip_chars -= 1
            else:
                out.append(bytes([int(hex_byte, 16)]).decode("cp1252", "replace"))
        elif text:
            if skip_chars:
                text, skip_chars = text[1:], 0
            # Line breaks in RTF source are not text; GAEB writers indent continuation lines.
            out.append(text.replace("\r", "").replace("\n", ""))
    return "".join(out)
