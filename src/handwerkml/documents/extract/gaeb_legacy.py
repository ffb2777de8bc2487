"""The GAEB text formats before DA XML: GAEB 2000 (.P8x) and GAEB 90 (.D8x).

GAEB 2000 is tagged text (#begin[Position] … [Kurztext]…[end]) in Windows-1252
whose long texts are often RTF; GAEB 90 is 80-column records in a DOS code page:
columns 1–2 the record type, 75–80 a running number. Both become the same
blocks as DA XML: category headings and `position` blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from handwerkml.documents.extract.errors import CorruptDocument, EmptyDocument
from handwerkml.documents.extract.gaeb_format import german_quantity, position_text
from handwerkml.documents.extract.model import Block, DocumentType, ExtractedDocument, Page
from handwerkml.documents.extract.normalize import clean
from handwerkml.documents.extract.text import decode_text

_TOKEN = re.compile(r"#begin\[(\w+)\]|#end\[(\w+)\]|\[(\w+)\](.*?)\[end\]", re.DOTALL)
_RTF_TOKEN = re.compile(
    r"\\([a-zA-Z]+)(-?\d+)? ?|\\'([0-9a-fA-F]{2})|\\(.)|([{}])|([^\\{}]+)", re.DOTALL
)
# RTF groups whose text is not document text.
_RTF_SKIP = {"fonttbl", "colortbl", "stylesheet", "info", "pict", "header", "footer", "object"}


@dataclass
class _Node:
    name: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)

    def get(self, key: str) -> str:
        return next((value for name, value in self.fields if name == key), "")

    def child(self, name: str) -> _Node | None:
        return next((node for node in self.children if node.name == name), None)


def extract_gaeb2000(data: bytes) -> ExtractedDocument:
    encoding = "cp850" if b"[Zeichensatz]OEM" in data[:4096] else None
    text = data.decode(encoding, "replace") if encoding else decode_text(data)
    if text is None:
        raise CorruptDocument("Die GAEB-2000-Datei ist kein lesbarer Text.")
    root = _parse_tagged(text)
    lv = _find(root, "LV")
    if lv is None:
        raise EmptyDocument("Die GAEB-2000-Datei enthält kein Leistungsverzeichnis (#begin[LV]).")
    info = lv.child("LVInfo")
    lengths = [
        int(g.get("Laenge") or 0) for g in (info.children if info else []) if g.name == "LVGlied"
    ]
    blocks: list[Block] = []

    def walk(node: _Node, depth: int) -> None:
        for child in node.children:
            if child.name == "LVBereich":
                oz = _format_oz(child.get("OZ"), lengths)
                blocks.append(
                    Block("heading", f"{oz} {clean(child.get('Bez'))}".strip(), min(depth + 1, 6))
                )
                walk(child, depth + 1)
            elif child.name == "Position":
                short, long = _gaeb2000_description(child.child("Beschreibung"))
                quantity = (
                    german_quantity(child.get("Menge").replace(",", "."))
                    if child.get("Menge")
                    else ""
                )
                oz = _format_oz(child.get("OZ"), lengths)
                blocks.append(
                    Block(
                        "position", position_text(oz, short, long, quantity, clean(child.get("ME")))
                    )
                )
            elif child.name in ("Hinweis", "Vorbemerkung"):
                short, long = _gaeb2000_description(child.child("Beschreibung"))
                text = "\n".join(t for t in (short, long) if t)
                if text:
                    blocks.append(Block("paragraph", text))

    walk(lv, 0)
    if not blocks:
        raise EmptyDocument("Die GAEB-2000-Datei enthält keine Positionen.")
    title = clean(info.get("Bez")) if info else ""
    return ExtractedDocument(kind=DocumentType.GAEB, pages=[Page(1, blocks)], title=title or None)


def _parse_tagged(text: str) -> _Node:
    root = _Node("")
    stack = [root]
    for match in _TOKEN.finditer(text):
        begin, end, key, value = match.groups()
        if begin:
            node = _Node(begin)
            stack[-1].children.append(node)
            stack.append(node)
        elif end:
            if len(stack) > 1 and stack[-1].name == end:
                stack.pop()
        elif key:
            stack[-1].fields.append((key, value))
    return root


def _find(node: _Node, name: str) -> _Node | None:
    for child in node.children:
        if child.name == name:
            return child
        found = _find(child, name)
        if found is not None:
            return found
    return None


def _gaeb2000_description(description: _Node | None) -> tuple[str, str]:
    if description is None:
        return "", ""
    short = clean(rtf_to_text(description.get("Kurztext"))).replace("\n", " ")
    long = "\n".join(
        line for line in clean(rtf_to_text(description.get("Langtext"))).split("\n") if line
    )
    return short, long


def _format_oz(oz: str, lengths: list[int]) -> str:
    """'010010' with level lengths [2, 4, 1] → '01.0010'; unknown layouts stay as they are."""
    oz = oz.strip()
    if not lengths or not oz.isalnum():
        return oz
    parts, start = [], 0
    for length in lengths:
        if start >= len(oz) or not length:
            break
        parts.append(oz[start : start + length].strip())
        start += length
    return ".".join(p for p in parts if p) if start >= len(oz) else oz


def rtf_to_text(value: str) -> str:
    """The text of a (GAEB-sized) RTF fragment; anything not starting with {\\rtf is returned."""
    if not value.lstrip().startswith("{\\rtf"):
        return value
    out: list[str] = []
    skip_depth: int | None = None
    depth = 0
    skip_chars = 0
    for word, number, hex_byte, symbol, brace, text in _RTF_TOKEN.findall(value):
        if brace == "{":
            depth += 1
            continue
        if brace == "}":
            if skip_depth is not None and depth <= skip_depth:
                skip_depth = None
            depth -= 1
            continue
        if skip_depth is not None:
            continue
        if word:
            if word in _RTF_SKIP:
                skip_depth = depth
            elif word in ("par", "line", "sect", "row"):
                out.append("\n")
            elif word in ("tab", "cell"):
                out.append(" ")
            elif word == "u" and number:
                out.append(chr(int(number) % 65536))
                skip_chars = 1
            continue
        if symbol:
            if symbol == "*":
                skip_depth = depth
            elif symbol in "\\{}":
                out.append(symbol)
            elif symbol == "~":
                out.append(" ")
            continue
        if hex_byte:
            if skip_chars:
                skip_chars -= 1
                continue
            out.append(bytes([int(hex_byte, 16)]).decode("cp1252", "replace"))
            continue
        if text:
            if skip_chars:
                text, skip_chars = text[1:], 0
            # Line breaks in RTF source are not text; GAEB writers indent continuation lines.
            out.append(text.replace("\r", "").replace("\n", ""))
    return "".join(out)


def extract_gaeb90(data: bytes) -> ExtractedDocument:
    # DOS code page 850 (437 agrees on every German letter).
    lines = [line.rstrip("\r") for line in data.decode("cp850").split("\n")]
    mask = lines[0][62:71] if lines else ""
    groups = _mask_groups(mask)
    blocks: list[Block] = []
    title = ""
    category_oz = ""
    category_title: list[str] = []
    position: dict[str, str] | None = None
    texts: dict[str, list[str]] = {"short": [], "long": []}
    remark: list[str] | None = None

    def flush() -> None:
        nonlocal position, remark, category_oz
        if category_oz:
            level = sum(1 for start, end in groups["levels"] if category_oz[start:end].strip())
            oz = _oz90(category_oz, groups)
            blocks.append(
                Block("heading", f"{oz} {' '.join(category_title)}".strip(), max(level, 1))
            )
            category_oz = ""
            category_title.clear()
        if position is not None:
            long = "\n".join(texts["long"]).strip("\n")
            blocks.append(
                Block(
                    "position",
                    position_text(
                        position["oz"],
                        " ".join(texts["short"]),
                        long,
                        position["qty"],
                        position["unit"],
                    ),
                )
            )
            position = None
        if remark:
            blocks.append(Block("paragraph", "\n".join(remark)))
        remark = None
        texts["short"], texts["long"] = [], []

    for line in lines:
        record, payload = line[:2], line[2:74]
        if record == "01" and not title:
            title = clean(payload[:40])
        elif record == "02" and payload.strip():
            title = clean(payload)
        elif record == "11":
            flush()
            category_oz = payload[:9]
        elif record == "12":
            category_title.append(clean(payload))
        elif record == "20":
            flush()
            remark = []
        elif record == "21":
            flush()
            digits = line[23:34].strip()
            quantity = german_quantity(f"{digits[:-3]}.{digits[-3:]}") if digits.isdigit() else ""
            position = {
                "oz": _oz90(payload[:9], groups),
                "qty": quantity,
                "unit": clean(line[34:38]),
            }
        elif record == "25" and position is not None:
            if payload.strip():
                texts["short"].append(clean(payload))
        elif record == "26":
            text = clean(line[5:74])
            if remark is not None:
                remark.append(text)
            elif position is not None:
                texts["long"].append(text)
        elif record in ("31", "99"):
            flush()
    flush()
    blocks = [block for block in blocks if block.text]
    if not blocks:
        raise EmptyDocument("Die GAEB-90-Datei enthält keine Positionen.")
    return ExtractedDocument(kind=DocumentType.GAEB, pages=[Page(1, blocks)], title=title or None)


def _mask_groups(mask: str) -> dict[str, list[tuple[int, int]]]:
    """Column ranges of the OZ mask ('1122PPPP0': levels 0–2 and 2–4, item 4–8)."""
    groups: dict[str, list[tuple[int, int]]] = {"levels": [], "item": [], "index": []}
    start = 0
    while start < len(mask):
        end = start
        while end < len(mask) and mask[end] == mask[start]:
            end += 1
        char = mask[start]
        if char.isdigit() and char != "0":
            groups["levels"].append((start, end))
        elif char == "P":
            groups["item"].append((start, end))
        elif char == "I":
            groups["index"].append((start, end))
        start = end
    return groups


def _oz90(oz: str, groups: dict[str, list[tuple[int, int]]]) -> str:
    ranges = groups["levels"] + groups["item"] + groups["index"]
    if not ranges:
        return oz.strip()
    parts = [oz[start:end].strip() for start, end in ranges]
    return ".".join(
        part.zfill(end - start) if part.isdigit() else part
        for part, (start, end) in zip(parts, ranges, strict=True)
        if part
    )
