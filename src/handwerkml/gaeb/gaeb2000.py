"""GAEB 2000 (.P8x): tagged text, `#begin[Name] … #end[Name]` blocks holding `[Key]value[end]`
fields, usually Windows-1252 ([Zeichensatz]ANSI), cp850 when it says OEM. Long texts are
often RTF. The same structure as DA XML with German names: LV → LVBereich → Position."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from handwerkml.gaeb.errors import GaebError
from handwerkml.gaeb.model import (
    BoQ,
    Breakdown,
    Category,
    GaebFormat,
    Item,
    ItemKind,
    Node,
    Party,
    Project,
    Remark,
    RemarkKind,
    Tender,
)
from handwerkml.gaeb.text import frac_digits, one_line, rtf_to_text, tidy, whole_number

_TOKEN = re.compile(r"#begin\[(\w+)\]|#end\[(\w+)\]|\[(\w+)\](.*?)\[end\]", re.DOTALL)
_REMARKS = {
    "Hinweis": RemarkKind.REMARK,
    "Vorbemerkung": RemarkKind.PRELIMINARY,
    "AusfBeschr": RemarkKind.PERFORMANCE,
}


@dataclass
class _Block:
    name: str
    line: int
    fields: list[tuple[str, str]] = field(default_factory=list)
    children: list[_Block] = field(default_factory=list)

    def get(self, key: str) -> str:
        return next((value for name, value in self.fields if name == key), "")

    def child(self, name: str) -> _Block | None:
        return next((block for block in self.children if block.name == name), None)

    def find(self, name: str) -> _Block | None:
        for block in self.children:
            found = block if block.name == name else block.find(name)
            if found is not None:
                return found
        return None


def read_gaeb2000(data: bytes) -> Tender:
    text = _decode(data)
    root = _parse(text)
    award = root.find("Vergabe")
    lv = root.find("LV")
    if award is None or lv is None:
        raise GaebError("Die GAEB-2000-Datei enthält kein Leistungsverzeichnis.", "#begin[LV]")
    phase = whole_number(award.get("DP"))
    if phase is None:
        raise GaebError("Die GAEB-2000-Datei nennt keine Austauschphase.", f"Zeile {award.line}")
    info = lv.child("LVInfo")
    breakdown = _breakdown(info)
    project = root.find("PrjInfo")
    award_info = award.child("VergabeInfo")
    boq = BoQ(
        label=tidy(info.get("Bez")) if info else "",
        name=tidy(info.get("Name")) if info else "",
        breakdown=breakdown,
    )
    frac = project.get("_RIB_UPFracDig") if project else ""
    boq.up_frac_dig = frac_digits(frac)
    boq.children = _Body(breakdown).nodes(lv, [])
    return Tender(
        format=GaebFormat.GAEB_2000,
        version="2000",
        phase=phase,
        boq=boq,
        project=Project(
            name=tidy(project.get("Name")) if project else "",
            label=tidy(project.get("Bez")) if project else "",
        ),
        client=_party(award.child("AG")),
        currency=(award_info.get("Wae") if award_info else "") or "EUR",
        currency_label=award_info.get("WaeBez") if award_info else "",
    )


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if b"[Zeichensatz]OEM" in data[:4096]:
        return data.decode("cp850")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def _parse(text: str) -> _Block:
    root = _Block("", 1)
    stack = [root]
    for match in _TOKEN.finditer(text):
        begin, end, key, value = match.groups()
        if begin:
            block = _Block(begin, text.count("\n", 0, match.start()) + 1)
            stack[-1].children.append(block)
            stack.append(block)
        elif end:
            # Lenient: an #end without its #begin is ignored, a missing #end closes at the next.
            names = [block.name for block in stack]
            if end in names[1:]:
                del stack[len(names) - names[::-1].index(end) - 1 :]
        elif key:
            stack[-1].fields.append((key, value))
    if len(stack) > 1:
        raise GaebError(
            f"Die GAEB-2000-Datei ist abgeschnitten: #end[{stack[-1].name}] fehlt.",
            f"Zeile {stack[-1].line}",
        )
    return root


def _breakdown(info: _Block | None) -> Breakdown:
    breakdown = Breakdown()
    for block in info.children if info else []:
        if block.name != "LVGlied":
            continue
        length = whole_number(block.get("Laenge")) or 0
        kind = block.get("Typ")
        if kind == "LVStufe":
            breakdown.levels.append(length)
        elif kind == "Position":
            breakdown.item = length
        elif kind == "Index":
            breakdown.index = length
    return breakdown


class _Body:
    def __init__(self, breakdown: Breakdown) -> None:
        self.breakdown = breakdown
        self.lengths = [*breakdown.levels, breakdown.item, breakdown.index]

    def split(self, oz: str) -> list[str]:
        """'01010007' with lengths [2, 2, 4] → ['01', '01', '0007']; a number that does not fit
        the layout stays whole."""
        oz = oz.rstrip()
        parts, start = [], 0
        for length in self.lengths:
            if start >= len(oz) or not length:
                break
            parts.append(oz[start : start + length])
            start += length
        if start < len(oz) or not parts:
            return [oz.strip()]
        padded = [self.breakdown.pad(p, len(p)) for p in parts]
        return [p for p in padded if p]

    def nodes(self, block: _Block, parts: list[str]) -> list[Node]:
        nodes: list[Node] = []
        for child in block.children:
            if child.name == "LVBereich":
                own = self.split(child.get("OZ"))
                nodes.append(
                    Category(
                        rno=".".join(own),
                        rno_part=own[-1],
                        label=one_line(child.get("Bez")),
                        children=self.nodes(child, own),
                    )
                )
            elif child.name == "Position":
                nodes.append(self.item(child))
            elif child.name in _REMARKS:
                short, long = _description(child.child("Beschreibung"))
                title = one_line(child.get("AusfBez"))
                text = "\n".join(t for t in (title, short, long) if t)
                if text:
                    nodes.append(Remark(_REMARKS[child.name], text))
        return nodes

    def item(self, block: _Block) -> Item:
        own = self.split(block.get("OZ"))
        depth = len(self.breakdown.levels) + 1
        index = own[depth] if len(own) > depth else ""
        short, long = _description(block.child("Beschreibung"))
        return Item(
            oz="".join(own),
            oz_dotted=".".join(own),
            short_text=short,
            long_text=long,
            qty=_number(block, "Menge"),
            unit=one_line(block.get("ME")),
            kind=_kind(block),
            up=_number(block, "EP"),
            it=_number(block, "GB"),
            rno_part=own[-2] if index else own[-1],
            rno_index=index,
            aln_group=block.get("ZZGruppeNr").strip(),
            aln_serial=block.get("ZZLfdNr").strip(),
        )


def _kind(block: _Block) -> ItemKind:
    if block.get("ZZLfdNr").strip().strip("0"):
        return ItemKind.ALTERNATIVE
    need = block.get("Bedarf").strip()
    if need == "E":
        return ItemKind.OPTIONAL
    if need:
        return ItemKind.PROVISIONAL
    return ItemKind.NORMAL


def _description(block: _Block | None) -> tuple[str, str]:
    if block is None:
        return "", ""
    short = one_line(rtf_to_text(block.get("Kurztext")))
    long = tidy(rtf_to_text(block.get("Langtext")))
    return short, long


def _number(block: _Block, key: str) -> Decimal | None:
    value = block.get(key).strip().replace(".", "").replace(",", ".")
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise GaebError(f"[{key}] ist keine Zahl: {block.get(key)[:40]!r}", f"Zeile {block.line}")
    return number


def _party(block: _Block | None) -> Party | None:
    if block is None:
        return None
    address = block.child("Adresse")
    fields = address or _Block("", 0)
    names = [tidy(fields.get(f"Name{n}")) for n in range(1, 5)]
    return Party(
        name=", ".join(n for n in names if n),
        street=tidy(fields.get("Strasse")),
        postal_code=tidy(fields.get("PLZ")),
        city=tidy(fields.get("Ort")),
        dp_no=tidy(block.get("DVNr")),
        award_no=tidy(block.get("VergabeNr")),
    )
