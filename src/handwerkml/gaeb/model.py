"""What a GAEB bill of quantities (Leistungsverzeichnis) is, whichever format it came in.

    Tender                          format, version, phase, project, client, currency, award
     └─ BoQ                         label, breakdown (OZ layout), UPFracDig, totals
         └─ children                in file order:
             ├─ Remark              Hinweistext / Vorbemerkung / Ausführungsbeschreibung
             ├─ Item                a position without a category (DA XML Itemlist at the top)
             └─ Category            rno "01.02", label, children (Category | Item | Remark)
                 └─ Item            oz "01020030", oz_dotted "01.02.0030", texts, qty, unit,
                                    kind, up, it

Plain dataclasses with Decimal amounts: no database, no I/O. The readers fill
them (`handwerkml.gaeb.read`), `write_x84` turns one plus unit prices into an
offer. Remarks stay where the file put them, so a Vorbemerkung before category
02 is the first child of that category (or of the BoQ).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import IntEnum, StrEnum


class GaebFormat(StrEnum):
    DA_XML = "da_xml"  # GAEB DA XML 2.x/3.x (.X8x)
    GAEB_2000 = "gaeb2000"  # tagged text (.P8x)
    GAEB_90 = "gaeb90"  # fixed-width 80-column records (.D8x)


class Phase(IntEnum):
    """Named exchange phases (Datenaustauschphase). `Tender.phase` is a plain int because
    files carry others too (87 Nachtrag, 89 Rechnung); compare it with these."""

    COST_ESTIMATE_TEXT = 81
    COST_ESTIMATE = 82
    TENDER = 83
    OFFER = 84
    SIDE_OFFER = 85
    AWARD = 86


class ItemKind(StrEnum):
    """What an item is for pricing. One value per item, by precedence: a surcharge, then an
    alternative (Wahlposition), then an optional/provisional item (Bedarfsposition), then
    hourly work, then a lump sum, else normal."""

    NORMAL = "normal"
    LUMP_SUM = "lump_sum"  # Pauschalposition
    # Bedarfsposition ohne Gesamtbetrag (Eventualposition): priced, not in the total.
    OPTIONAL = "optional"
    # Wahlposition (ALNSerNo > 0): priced instead of its base item, not in the total.
    ALTERNATIVE = "alternative"
    # Bedarfsposition mit Gesamtbetrag: priced and counted in the total.
    PROVISIONAL = "provisional"
    HOURLY = "hourly"  # Stundenlohnarbeiten
    SURCHARGE = "surcharge"  # Zuschlagsposition (MarkupItem): a percentage on other items

    @property
    def in_total(self) -> bool:
        """Whether the item's total (IT) counts into category and BoQ totals."""
        return self not in (ItemKind.OPTIONAL, ItemKind.ALTERNATIVE)


class RemarkKind(StrEnum):
    REMARK = "remark"  # Hinweistext (DA XML Remark, GAEB 90 record 20)
    PRELIMINARY = "preliminary"  # Vorbemerkung / Zusatztext (AddText, GAEB 2000 Vorbemerkung)
    PERFORMANCE = "performance"  # Ausführungsbeschreibung (PerfDescr)


@dataclass(slots=True)
class Breakdown:
    """The OZ layout (BoQBkdn): lengths of the category levels, outermost first, then the
    item number and an optional index. '01.02.0030' is levels [2, 2], item 4."""

    levels: list[int] = field(default_factory=list)
    item: int = 4
    index: int = 0

    def pad(self, part: str, length: int) -> str:
        """A numeric part right-aligned with zeros ('3' → '0003'); text parts stay as they are
        (exporters write RNoPart="3" where the breakdown says 4 digits)."""
        part = part.strip()
        return part.zfill(length) if part.isdigit() and length else part

    def level_length(self, depth: int) -> int:
        return self.levels[depth] if depth < len(self.levels) else 0


@dataclass(slots=True)
class Party:
    """Client (OWN, Auftraggeber) or bidder (CTR): the address lines as the file has them."""

    name: str = ""  # Name1 … Name4 joined with ", "
    street: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = ""
    award_no: str = ""  # Vergabenummer
    dp_no: str = ""  # Vorgangsnummer of this exchange


@dataclass(slots=True)
class Project:
    name: str = ""  # NamePrj: a short name or number
    label: str = ""  # LblPrj: the title


@dataclass(slots=True)
class Award:
    """Dates and places of the award procedure (AwardInfo); None where the file has none."""

    category: str = ""  # Cat: OpenCall, IntNATO, …
    submission_place: str = ""  # SubmLoc
    opening: date | None = None  # OpenDate: when bids are opened (the submission deadline)
    evaluation_end: date | None = None  # EvalEnd: end of the binding period
    construction_start: date | None = None  # CnstStart
    construction_end: date | None = None  # CnstEnd
    contract_no: str = ""  # ContrNo
    contract_date: date | None = None  # ContrDate


@dataclass(slots=True)
class Remark:
    kind: RemarkKind
    text: str


@dataclass(slots=True)
class SubDescription:
    """A part of a collective item (Sammelposition, SubDescr): its own text and quantity."""

    number: str
    short_text: str
    long_text: str
    qty: Decimal | None = None
    unit: str = ""


@dataclass(slots=True)
class Item:
    """A position. `oz` is the full ordinal number, every part padded per the breakdown
    ('01020030'); `oz_dotted` the same with dots ('01.02.0030'): the key that matches an
    offer to its tender. `up`/`it` are the unit price and total where the file has them
    (X84, X86), None in a tender. Texts are plain: paragraphs on lines, table cells
    joined with " | ", images dropped."""

    oz: str
    oz_dotted: str
    short_text: str = ""
    long_text: str = ""
    qty: Decimal | None = None
    unit: str = ""
    kind: ItemKind = ItemKind.NORMAL
    up: Decimal | None = None
    it: Decimal | None = None
    # The file's own identifiers, kept so that an offer can refer back (DA XML ID, RNoPart).
    id: str = ""
    rno_part: str = ""
    rno_index: str = ""
    # Alternative groups (ALNGroupNo/ALNSerNo): serial 0 is the base item, > 0 an alternative.
    aln_group: str = ""
    aln_serial: str = ""
    # A surcharge item's percentage (Markup), where the file has one.
    markup: Decimal | None = None
    sub_descriptions: list[SubDescription] = field(default_factory=list)


@dataclass(slots=True)
class Category:
    """A category (LV-Bereich, Titel, Los): `rno` is its dotted padded number ('01.02'),
    `rno_part` its own part ('02'). `total` is the file's category total (X84, X86)."""

    rno: str
    rno_part: str
    label: str
    children: list[Node] = field(default_factory=list)
    total: Decimal | None = None
    id: str = ""

    @property
    def remarks(self) -> list[Remark]:
        return [child for child in self.children if isinstance(child, Remark)]

    @property
    def categories(self) -> list[Category]:
        return [child for child in self.children if isinstance(child, Category)]

    def iter_items(self) -> Iterator[Item]:
        yield from _items(self.children)


Node = Category | Item | Remark


@dataclass(slots=True)
class BoQ:
    """The bill of quantities (Leistungsverzeichnis). `up_frac_dig`: decimal places of unit
    prices (UPFracDig; 2 where the file does not say). `total` is the file's BoQ total."""

    label: str = ""  # LblBoQ
    name: str = ""  # Name
    breakdown: Breakdown = field(default_factory=Breakdown)
    up_frac_dig: int = 2
    children: list[Node] = field(default_factory=list)
    total: Decimal | None = None
    id: str = ""

    def iter_items(self) -> Iterator[Item]:
        yield from _items(self.children)

    def iter_categories(self) -> Iterator[Category]:
        stack = [c for c in reversed(self.children) if isinstance(c, Category)]
        while stack:
            category = stack.pop()
            yield category
            stack.extend(c for c in reversed(category.children) if isinstance(c, Category))


@dataclass(slots=True)
class Tender:
    """One GAEB file. `version`: '3.3', '3.2', '3.1', '3.0', '2.x' for DA XML (from
    GAEBInfo/Version), '2000' or '90' for the text formats. `phase`: 83 tender, 84 offer,
    … (see Phase): a caller that expects a tender refuses `phase != Phase.TENDER`."""

    format: GaebFormat
    version: str
    phase: int
    boq: BoQ
    project: Project = field(default_factory=Project)
    client: Party | None = None
    bidder: Party | None = None
    currency: str = "EUR"
    currency_label: str = ""
    award: Award = field(default_factory=Award)

    @property
    def items(self) -> list[Item]:
        return list(self.boq.iter_items())

    @property
    def is_tender(self) -> bool:
        return self.phase == Phase.TENDER

    @property
    def is_offer(self) -> bool:
        return self.phase == Phase.OFFER


def _items(children: list[Node]) -> Iterator[Item]:
    for child in children:
        if isinstance(child, Item):
            yield child
        elif isinstance(child, Category):
            yield from child.iter_items()
