"""Parsing untrusted XML (DOCX parts, GAEB files): no DTDs, entities or network access."""

from __future__ import annotations

from lxml import etree

from handwerkml.documents.extract.errors import CorruptDocument

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse_xml(data: bytes, what: str) -> etree._Element:
    try:
        return etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as error:
        raise CorruptDocument(f"{what} ist kein gültiges XML: {error}") from error


def local(element: etree._Element) -> str:
    """The tag without its namespace ('{…/main}p' → 'p'); '' for comments and PIs."""
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""
