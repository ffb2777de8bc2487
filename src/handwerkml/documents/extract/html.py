"""HTML: the page's main content as headings, paragraphs, list items and table rows.

A small readability pass on lxml instead of trafilatura (see docs/ingestion.md):
drop what is never content (scripts, styles, forms, navigation, header, footer,
asides, cookie banners by class or id), start at <main>/<article>/role=main when
the page has one, and keep the page's own structure. Deterministic, and it keeps
headings, lists and tables that a statistical extractor may judge to be noise.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from handwerkml.documents.extract.errors import EmptyDocument
from handwerkml.documents.extract.model import (
    Block,
    BlockKind,
    DocumentType,
    ExtractedDocument,
    Page,
)
from handwerkml.documents.extract.normalize import clean
from handwerkml.documents.extract.text import require_text

_NEVER_CONTENT = {
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed",
    "form", "button", "select", "input", "textarea", "nav", "aside", "dialog", "head",
}  # fmt: skip
_BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog"}
_BOILERPLATE_WORDS = {
    "nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "cookie", "cookies",
    "consent", "banner", "footer", "sidebar", "newsletter", "social", "share", "sharing",
    "skiplink", "advert", "advertisement", "popup", "modal",
}  # fmt: skip
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {
    "p", "div", "section", "article", "main", "blockquote", "pre", "address", "figure",
    "figcaption", "dl", "dt", "dd", "ul", "ol", "header", "footer", "details", "summary",
    "hr", "center", "fieldset", "caption",
}  # fmt: skip
_WORD = re.compile(r"[a-z]+")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_WHITESPACE = re.compile(r"\s+")


def extract_html(data: bytes) -> ExtractedDocument:
    text = _XML_DECLARATION.sub("", require_text(data), count=1)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as error:
        raise EmptyDocument(f"Die HTML-Seite enthält keinen Inhalt ({error}).") from error
    title = _title(root)
    _remove_boilerplate(root)
    blocks = _Walker().blocks(_content_root(root))
    if not blocks:
        raise EmptyDocument("Die HTML-Seite enthält keinen Text.")
    if title is None:
        title = next((b.text for b in blocks if b.kind == "heading"), None)
    return ExtractedDocument(
        kind=DocumentType.HTML, pages=[Page(number=1, blocks=blocks)], title=title
    )


def _title(root: lxml.html.HtmlElement) -> str | None:
    element = root.find(".//title")
    return clean(element.text_content()) or None if element is not None else None


def _is_boilerplate(element: lxml.html.HtmlElement) -> bool:
    tag = element.tag
    if tag in _NEVER_CONTENT:
        return True
    if (element.get("role") or "").lower() in _BOILERPLATE_ROLES:
        return True
    if element.get("hidden") is not None or element.get("aria-hidden") == "true":
        return True
    if tag in ("header", "footer") and not _inside_content(element):
        return True  # page header/footer; an article's own header holds its title
    words = set(_WORD.findall(f"{element.get('class', '')} {element.get('id', '')}".lower()))
    return bool(words & _BOILERPLATE_WORDS) and tag not in ("main", "article", "body")


def _inside_content(element: lxml.html.HtmlElement) -> bool:
    return any(
        a.tag in ("main", "article") or a.get("role") == "main" for a in element.iterancestors()
    )


def _remove_boilerplate(root: lxml.html.HtmlElement) -> None:
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and _is_boilerplate(el)]
    for element in doomed:
        if element.getparent() is not None:
            element.drop_tree()  # keeps the tail text, which belongs to the parent


def _content_root(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    for path in (".//main", ".//*[@role='main']"):
        found = root.find(path) if path.startswith(".//main") else root.xpath(path)
        if isinstance(found, list):
            found = found[0] if found else None
        if found is not None:
            return found
    articles = root.findall(".//article")
    if len(articles) == 1:
        return articles[0]
    body = root.find("body")
    return body if body is not None else root


class _Walker:
    """Turns the element tree into blocks, gathering inline text until a block element."""

    def __init__(self) -> None:
        self._blocks: list[Block] = []
        self._inline: list[str] = []

    def blocks(self, root: lxml.html.HtmlElement) -> list[Block]:
        self._walk(root)
        self._flush()
        return self._blocks

    def _emit(self, kind: BlockKind, text: str, level: int | None = None) -> None:
        text = clean(text)
        if text:
            self._blocks.append(Block(kind, text, level))

    def _flush(self) -> None:
        if self._inline:
            self._emit("paragraph", "".join(self._inline))
            self._inline = []

    def _walk(self, element: lxml.html.HtmlElement) -> None:
        if element.text:
            self._inline.append(_WHITESPACE.sub(" ", element.text))
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in _HEADINGS:
                self._flush()
                self._emit("heading", _text(child), _HEADINGS[tag])
            elif tag == "li":
                self._flush()
                self._emit("list_item", _text(child, skip={"ul", "ol"}))
                for nested in child.iter("ul", "ol"):
                    if nested.getparent() is child:
                        self._walk(nested)
            elif tag == "table":
                self._flush()
                self._table(child)
            elif tag == "pre":
                self._flush()
                self._emit("paragraph", child.text_content())
            elif tag == "br":
                self._inline.append("\n")
            elif tag in _BLOCKS:
                self._flush()
                self._walk(child)
                self._flush()
            elif tag:
                self._walk(child)
            if child.tail:
                self._inline.append(_WHITESPACE.sub(" ", child.tail))

    def _table(self, table: lxml.html.HtmlElement) -> None:
        caption = table.find("caption")
        if caption is not None:
            self._emit("paragraph", _text(caption))
        for row in table.iter("tr"):
            if next(row.iterancestors("table"), None) is not table:
                continue  # a nested table is part of its cell's text
            cells = [_text(cell) for cell in row if cell.tag in ("td", "th")]
            if any(cells):
                self._emit("table_row", " | ".join(cells))


def _text(element: lxml.html.HtmlElement, skip: frozenset[str] | set[str] = frozenset()) -> str:
    """Visible text of an element on one line (br → line break), without `skip` subtrees."""
    parts: list[str] = []

    def visit(node: lxml.html.HtmlElement) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if child.tag == "br":
                parts.append("\n")
            elif isinstance(child.tag, str) and child.tag not in skip:
                visit(child)
            if child.tail:
                parts.append(child.tail)

    visit(element)
    return "\n".join(_WHITESPACE.sub(" ", line) for line in "".join(parts).split("\n"))
