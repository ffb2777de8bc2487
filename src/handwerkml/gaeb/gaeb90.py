"""GAEB 90 (.D8x): records of 80 characters in a DOS code page (437/850, the same for German
letters). Columns 1–2 are the record type, 75–80 a running number. Record 00 carries the
phase (columns 11–12) and the OZ mask (columns 63–71, e.g. '1122PPPP0': two category
levels of two digits, a four-digit item number); 11/12/31 open, label and close a
category, 20 starts a remark, 21 is an item (quantity in columns 24–34 with three
decimals, unit in 35–38), 25 its short text, 26 long text lines, 99 the end.

Only what a tender (phase 83) needs is read; price records of later phases are skipped.
"""

from __future__ import annotations

from decimal import Decimal

from handwerkml.gaeb.errors import GaebError
from handwerkml.gaeb.model import (
    BoQ,
    Breakdown,
    Category,
    GaebFormat,
    Item,
    ItemKind,
    Party,
    Project,
    Remark,
    RemarkKind,
    Tender,
)
from handwerkml.gaeb.text import one_line, tidy, whole_number

# German letters in the DOS code pages and in Windows-1252: disjoint byte values.
_DOS_LETTERS = frozenset(b"\x84\x94\x81\x8e\x99\x9a\xe1")
_ANSI_LETTERS = frozenset(b"\xe4\xf6\xfc\xc4\xd6\xdc\xdf")


def is_gaeb90(data: bytes) -> bool:
    """Record 00 of 80 characters with a running number at the end.

    Checked on bytes because these files use DOS code pages that are not cp1252."""
    first = data.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r")
    return len(first) == 80 and first.startswith(b"00") and first[74:80].isdigit()


def read_gaeb90(data: bytes) -> Tender:
    lines = _decode(data)
    header = lines[0]
    phase = whole_number(header[10:12])
    if phase is None:
        raise GaebError("Die GAEB-90-Datei nennt keine Austauschphase (Satz 00).", "Zeile 1")
    reader = _Reader(_Mask(header[62:71]))
    for number, line in enumerate(lines, start=1):
        reader.record(line.ljust(80), number)
    return Tender(
        format=GaebFormat.GAEB_90,
        version="90",
        phase=phase,
        boq=reader.boq,
        project=reader.project,
        client=reader.client,
        currency=reader.currency or "EUR",
        currency_label=reader.currency_label,
    )


def _decode(data: bytes) -> list[str]:
    """The lines, or a GaebError when the file is not in a DOS code page.

    A GAEB 90 file converted to UTF-8 or saved as Windows-1252 would read with wrong
    letters (and, in UTF-8, shifted columns), so it is refused with the line, not guessed."""
    raw_lines = data.lstrip(b"\xef\xbb\xbf").replace(b"\r", b"").split(b"\n")
    for number, raw in enumerate(raw_lines, start=1):
        if raw.isascii():
            continue
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise GaebError(
                "Die GAEB-90-Datei ist UTF-8-kodiert; GAEB 90 verlangt den DOS-Zeichensatz "
                "(Codepage 437/850). Bitte die Datei unverändert aus der AVA-Software exportieren.",
                f"Zeile {number}",
            )
        if _ANSI_LETTERS.intersection(raw) and not _DOS_LETTERS.intersection(raw):
            raise GaebError(
                "Die GAEB-90-Datei ist in Windows-1252 statt im DOS-Zeichensatz "
                "(Codepage 437/850) gespeichert; Umlaute wären falsch.",
                f"Zeile {number}",
            )
    return [raw.decode("cp850") for raw in raw_lines if raw.strip(b"\x1a \t")]


class _Mask:
    """Column ranges of the OZ mask: '1122PPPP0' → levels (0, 2) and (2, 4), item (4, 8)."""

    def __init__(self, mask: str) -> None:
        self.levels: list[tuple[int, int]] = []
        self.item: tuple[int, int] | None = None
        self.index: tuple[int, int] | None = None
        start = 0
        while start < len(mask):
            end = start
            while end < len(mask) and mask[end] == mask[start]:
                end += 1
            char = mask[start]
            if char in "123456789":
                self.levels.append((start, end))
            elif char == "P":
                self.item = (start, end)
            elif char == "I":
                self.index = (start, end)
            start = end
        if self.item is None:
            raise GaebError(f"Die OZ-Maske {mask!r} hat keine Positionsstellen.", "Zeile 1")

    @property
    def breakdown(self) -> Breakdown:
        def width(span: tuple[int, int] | None) -> int:
            return span[1] - span[0] if span else 0

        return Breakdown([e - s for s, e in self.levels], width(self.item), width(self.index))

    def parts(self, oz: str, spans: list[tuple[int, int] | None]) -> list[str]:
        parts = []
        for span in spans:
            if span is None:
                continue
            part = oz[span[0] : span[1]].strip()
            if part:
                parts.append(part.zfill(span[1] - span[0]) if part.isdigit() else part)
        return parts


class _Reader:
    def __init__(self, mask: _Mask) -> None:
        self.mask = mask
        self.boq = BoQ(breakdown=mask.breakdown)
        self.project = Project()
        self.client: Party | None = None
        self.currency = ""
        self.currency_label = ""
        self.path: list[Category] = []
        self.item: Item | None = None
        self.remark: Remark | None = None
        self.category_label: Category | None = None

    def children(self) -> list[Category | Item | Remark]:
        return self.path[-1].children if self.path else self.boq.children

    def record(self, line: str, number: int) -> None:
        kind, payload = line[:2], line[2:74]
        if kind != "12":
            self.category_label = None
        if kind == "01":
            self.boq.label = tidy(payload[:40])
        elif kind == "02":
            self.project.label = tidy(payload)
        elif kind == "03" and payload.strip():
            self.client = Party(name=tidy(payload))
        elif kind == "08":
            self.currency, self.currency_label = tidy(payload[:6]), tidy(payload[6:])
        elif kind == "11":
            self.open_category(payload[:9], number)
        elif kind == "12" and self.category_label is not None:
            label = tidy(payload)
            self.category_label.label = f"{self.category_label.label} {label}".strip()
        elif kind == "31":
            self.close_category(payload[:9])
        elif kind == "20":
            self.end_texts()
            self.remark = Remark(RemarkKind.REMARK, "")
            self.children().append(self.remark)
        elif kind == "21":
            self.end_texts()
            self.item = self.new_item(line, number)
            self.children().append(self.item)
        elif kind == "25" and self.item is not None:
            self.item.short_text = one_line(f"{self.item.short_text} {payload}")
        elif kind == "26":
            text = tidy(line[5:74])
            target = self.remark or self.item
            if target is not None and text:
                if isinstance(target, Remark):
                    target.text = f"{target.text}\n{text}".strip("\n")
                else:
                    target.long_text = f"{target.long_text}\n{text}".strip("\n")
        elif kind == "99":
            self.end_texts()

    def end_texts(self) -> None:
        self.item = None
        self.remark = None

    def open_category(self, oz: str, number: int) -> None:
        self.end_texts()
        parts = self.mask.parts(oz, list(self.mask.levels))
        if not parts:
            raise GaebError("Satz 11 (Bereich) ohne Ordnungszahl.", f"Zeile {number}")
        del self.path[len(parts) - 1 :]
        category = Category(rno=".".join(parts), rno_part=parts[-1], label="")
        self.children().append(category)
        self.path.append(category)
        self.category_label = category

    def close_category(self, oz: str) -> None:
        self.end_texts()
        depth = len(self.mask.parts(oz, list(self.mask.levels)))
        del self.path[max(depth - 1, 0) :]

    def new_item(self, line: str, number: int) -> Item:
        oz = line[2:11]
        levels = self.mask.parts(oz, list(self.mask.levels))
        item_part = self.mask.parts(oz, [self.mask.item])
        index = self.mask.parts(oz, [self.mask.index])
        if not item_part:
            raise GaebError("Satz 21 (Position) ohne Positionsnummer.", f"Zeile {number}")
        own = [*levels, *item_part, *index]
        digits = line[23:34].strip()
        if digits and whole_number(digits) is None:
            raise GaebError(f"Menge {digits!r} ist keine Zahl.", f"Zeile {number}, Spalte 24")
        return Item(
            oz="".join(own),
            oz_dotted=".".join(own),
            qty=Decimal(digits).scaleb(-3) if digits else None,
            unit=tidy(line[34:38]),
            kind=_kind(line),
            rno_part=item_part[0],
            rno_index=index[0] if index else "",
            aln_group=line[14:17].strip(),
            aln_serial=line[17].strip(),
        )


def _kind(line: str) -> ItemKind:
    """Columns 12–13: A = alternative (Wahlposition), E = optional (Bedarfsposition)."""
    if line[11] == "A":
        return ItemKind.ALTERNATIVE
    if line[12] == "E":
        return ItemKind.OPTIONAL
    return ItemKind.NORMAL
