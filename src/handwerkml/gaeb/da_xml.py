"""GAEB DA XML (.X81 … .X86, versions 2.x – 3.3) into the model.

The namespace differs per version and phase (3.0 and 3.1 share
…/GAEB_DA_XML/200407, 3.2 and 3.3 use …/DA83/3.3 per phase), so elements are
matched by local name and the version is read from GAEBInfo/Version. Nothing is
validated against the schema: real exporters write names longer than allowed,
unpadded RNoPart, a UTF-8 BOM or base64 images, and all of that reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from lxml import etree

from handwerkml.gaeb.errors import GaebError
from handwerkml.gaeb.model import (
    Award,
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
    SubDescription,
    Tender,
)
from handwerkml.gaeb.text import frac_digits, local, one_line, rich_text, tidy, whole_number

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_NAMESPACE = re.compile(r"GAEB_DA_XML/(?:DA(\d\d)/)?([\d.]+)")
_REMARKS = {"Remark": RemarkKind.REMARK, "PerfDescr": RemarkKind.PERFORMANCE}


def read_da_xml(data: bytes, filename: str | None = None) -> Tender:
    root = _parse(data)
    if local(root) != "GAEB":
        raise GaebError(f"Das XML ist keine GAEB-Datei (Wurzelelement {local(root)!r}).", "/")
    info = _child(root, "GAEBInfo")
    award_el = _child(root, "Award")
    boq_el = _child(award_el, "BoQ")
    if award_el is None or boq_el is None:
        raise GaebError("Die GAEB-Datei enthält kein Leistungsverzeichnis.", "/GAEB/Award/BoQ")
    version, phase = _version_and_phase(root, info, award_el, filename)
    award_info = _child(award_el, "AwardInfo")
    project_el = _child(root, "PrjInfo")
    currency = _text(award_info, "Cur") or _text(project_el, "Cur") or "EUR"
    currency_label = _text(award_info, "CurLbl") or _text(project_el, "CurLbl")
    boq = _boq(boq_el, project_el)
    # Vorbemerkungen of the whole award come before the bill.
    preliminary = [_remark(el, RemarkKind.PRELIMINARY) for el in _children(award_el, "AddText")]
    boq.children[:0] = [remark for remark in preliminary if remark.text]
    return Tender(
        format=GaebFormat.DA_XML,
        version=version,
        phase=phase,
        boq=boq,
        project=Project(name=_text(project_el, "NamePrj"), label=_text(project_el, "LblPrj")),
        client=_party(_child(award_el, "OWN")),
        bidder=_party(_child(award_el, "CTR")),
        currency=currency,
        currency_label=currency_label,
        award=_award(award_info),
    )


def _parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        line = f"Zeile {error.lineno}" if error.lineno else ""
        raise GaebError(f"Die GAEB-Datei ist kein gültiges XML: {error.msg}", line) from error
    if root is None:
        raise GaebError("Die GAEB-Datei ist kein gültiges XML: kein Wurzelelement.")
    return root


def _version_and_phase(
    root: etree._Element,
    info: etree._Element | None,
    award: etree._Element,
    filename: str | None,
) -> tuple[str, int]:
    namespace = etree.QName(root).namespace or ""
    match = _NAMESPACE.search(namespace)
    version = _text(info, "Version")
    if not version and match:
        version = "3.0/3.1" if match.group(2) == "200407" else match.group(2)
    phase_text = _text(award, "DP") or (match.group(1) if match and match.group(1) else "")
    if not phase_text and filename and re.search(r"\.[xX]8\d$", filename):
        phase_text = filename[-2:]
    phase = whole_number(phase_text)
    if phase is None:
        raise GaebError("Die GAEB-Datei nennt keine Austauschphase.", "/GAEB/Award/DP")
    return version or "unbekannt", phase


def _boq(boq_el: etree._Element, project_el: etree._Element | None) -> BoQ:
    info = _child(boq_el, "BoQInfo")
    breakdown = _breakdown(info)
    frac = _text(info, "UPFracDig") or _text(project_el, "UPFracDig")
    boq = BoQ(
        label=_text(info, "LblBoQ"),
        name=_text(info, "Name"),
        breakdown=breakdown,
        up_frac_dig=frac_digits(frac),
        total=_amount(_child(_child(info, "Totals"), "Total")),
        id=boq_el.get("ID", ""),
    )
    boq.children.extend(_remark(el, RemarkKind.PRELIMINARY) for el in _children(info, "AddText"))
    body = _child(boq_el, "BoQBody")
    if body is not None:
        boq.children.extend(_Body(breakdown).nodes(body, []))
    boq.children = [child for child in boq.children if not _empty_remark(child)]
    return boq


def _breakdown(info: etree._Element | None) -> Breakdown:
    breakdown = Breakdown()
    for element in _children(info, "BoQBkdn"):
        length = whole_number(_text(element, "Length")) or 0
        kind = _text(element, "Type")
        if kind == "BoQLevel":
            breakdown.levels.append(length)
        elif kind == "Item":
            breakdown.item = length
        elif kind == "Index":
            breakdown.index = length
    return breakdown


class _Body:
    def __init__(self, breakdown: Breakdown) -> None:
        self.breakdown = breakdown

    def nodes(self, body: etree._Element, parts: list[str]) -> list[Node]:
        nodes: list[Node] = []
        for child in body:
            tag = local(child)
            if tag == "BoQCtgy":
                nodes.append(self.category(child, parts))
            elif tag == "Itemlist":
                nodes.extend(self.nodes(child, parts))
            elif tag in ("Item", "MarkupItem"):
                nodes.append(self.item(child, parts))
            elif tag in _REMARKS:
                nodes.append(_remark(child, _REMARKS[tag]))
            elif tag == "AddText":
                nodes.append(_remark(child, RemarkKind.PRELIMINARY))
        return [node for node in nodes if not _empty_remark(node)]

    def category(self, element: etree._Element, parts: list[str]) -> Category:
        length = self.breakdown.level_length(len(parts))
        part = self.breakdown.pad(element.get("RNoPart", ""), length)
        own = [*parts, part]
        category = Category(
            rno=".".join(own),
            rno_part=part,
            label=one_line(rich_text(_child(element, "LblTx"))),
            total=_amount(_child(_child(element, "Totals"), "Total")),
            id=element.get("ID", ""),
        )
        for child in element:
            if local(child) == "AddText":
                category.children.append(_remark(child, RemarkKind.PRELIMINARY))
            elif local(child) == "BoQBody":
                category.children.extend(self.nodes(child, own))
        category.children = [c for c in category.children if not _empty_remark(c)]
        return category

    def item(self, element: etree._Element, parts: list[str]) -> Item:
        number = self.breakdown.pad(element.get("RNoPart", ""), self.breakdown.item)
        index = element.get("RNoIndex", "").strip()
        own = [p for p in [*parts, number, index] if p]
        # One pass over the children instead of a scan per field (10,000-item bills).
        fields: dict[str, etree._Element] = {}
        subs = []
        for child in element:
            name = local(child)
            if name == "SubDescr":
                subs.append(child)
            fields.setdefault(name, child)

        def text(name: str) -> str:
            child = fields.get(name)
            return tidy("".join(child.itertext())).replace("\n", " ") if child is not None else ""

        short, long = _description(fields.get("Description"))
        return Item(
            oz="".join(own),
            oz_dotted=".".join(own),
            short_text=short,
            long_text=long,
            qty=_amount(fields.get("Qty")),
            unit=text("QU"),
            kind=_kind(local(element), text),
            up=_amount(fields.get("UP")),
            it=_amount(fields.get("IT")),
            id=element.get("ID", ""),
            rno_part=element.get("RNoPart", ""),
            rno_index=index,
            aln_group=text("ALNGroupNo"),
            aln_serial=text("ALNSerNo"),
            markup=_amount(fields.get("Markup")),
            sub_descriptions=[_sub_description(sub) for sub in subs],
        )


def _kind(tag: str, text: Callable[[str], str]) -> ItemKind:
    # Item/MarkupIt only marks an item a surcharge applies to; the surcharge is the MarkupItem.
    if tag == "MarkupItem":
        return ItemKind.SURCHARGE
    if text("ALNSerNo").strip("0"):
        return ItemKind.ALTERNATIVE
    provis = text("Provis")
    if provis == "WithoutTotal":
        return ItemKind.OPTIONAL
    if provis == "WithTotal":
        return ItemKind.PROVISIONAL
    if text("HourIt") == "Yes":
        return ItemKind.HOURLY
    if text("LumpSumItem") == "Yes":
        return ItemKind.LUMP_SUM
    return ItemKind.NORMAL


def _sub_description(element: etree._Element) -> SubDescription:
    short, long = _description(_child(element, "Description"))
    return SubDescription(
        number=_text(element, "SubDNo"),
        short_text=short,
        long_text=long,
        qty=_amount(_child(element, "Qty")),
        unit=_text(element, "QU"),
    )


def _description(description: etree._Element | None) -> tuple[str, str]:
    """(short text, long text) of a Description, Remark or AddText element."""
    if description is None:
        return "", ""
    short_parts: list[str] = []
    long_parts: list[str] = []
    for element in description.iter():
        tag = local(element)
        if tag in ("TextOutlTxt", "OutlineAddText"):
            short_parts.append(rich_text(element))
        elif tag in ("DetailTxt", "DetailAddText"):
            long_parts.append(rich_text(element))
    return one_line(" ".join(short_parts)), "\n".join(p for p in long_parts if p)


def _remark(element: etree._Element, kind: RemarkKind) -> Remark:
    short, long = _description(element)
    return Remark(kind, "\n".join(t for t in (short, long) if t))


def _empty_remark(node: Node) -> bool:
    return isinstance(node, Remark) and not node.text


def _party(element: etree._Element | None) -> Party | None:
    if element is None:
        return None
    address = _child(element, "Address")
    names = [_text(address, f"Name{n}") for n in range(1, 5)]
    return Party(
        name=", ".join(n for n in names if n),
        street=_text(address, "Street"),
        postal_code=_text(address, "PCode"),
        city=_text(address, "City"),
        country=_text(address, "Country"),
        award_no=_text(element, "AwardNo"),
        dp_no=_text(element, "DPNo"),
    )


def _award(info: etree._Element | None) -> Award:
    return Award(
        category=_text(info, "Cat"),
        submission_place=_text(info, "SubmLoc"),
        opening=_date(info, "OpenDate"),
        evaluation_end=_date(info, "EvalEnd"),
        construction_start=_date(info, "CnstStart"),
        construction_end=_date(info, "CnstEnd"),
        contract_no=_text(info, "ContrNo"),
        contract_date=_date(info, "ContrDate"),
    )


def _date(element: etree._Element | None, name: str) -> date | None:
    value = _text(element, name)
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None  # a date is information here, not something the bill depends on


def _amount(element: etree._Element | None) -> Decimal | None:
    """A quantity or price; exporters write '1.000', some '1,5'. Anything else is an error
    that names where it is, since a price cannot be guessed."""
    if element is None:
        return None
    value = "".join(element.itertext()).strip()
    if not value:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise GaebError(f"{local(element)} ist keine Zahl: {value[:40]!r}", xpath(element))
    return number


def xpath(element: etree._Element) -> str:
    """'/GAEB/Award/BoQ/BoQBody/BoQCtgy[2]/…': where in the file, without namespaces."""
    steps: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        name = local(node)
        parent = node.getparent()
        if parent is not None:
            same = [child for child in parent if local(child) == name]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        steps.append(name)
        node = parent
    return "/" + "/".join(reversed(steps))


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((child for child in element if local(child) == name), None)


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    return [] if element is None else [child for child in element if local(child) == name]


def _text(element: etree._Element | None, name: str) -> str:
    child = _child(element, name)
    return tidy("".join(child.itertext())).replace("\n", " ") if child is not None else ""
