"""Structure-aware chunking, sized in tokens of the embedding model.

A chunk is what search finds and the model embeds, so it is measured the way
the model reads it: `count_tokens` is the model's own tokenizer (prefix and
special tokens included). The document's structure decides where chunks end:

- A heading ends the chunk before it and starts a section; its text and the
  headings above it become the chunk's heading path ("Leistungsverzeichnis >
  01 Erdarbeiten"), which is embedded with the chunk (`embedding_text`).
- Paragraphs and list items are packed whole into chunks up to the size; a
  block that fits is never split. A longer one is cut at sentence ends (German
  abbreviations such as "z. B.", "ca.", "Nr." end none), within a sentence
  only when the sentence alone is too long, and consecutive pieces share up to
  `overlap` tokens of text.
- Table rows are packed whole; when the first row looks like a header (no
  digits, while the rows below have some), every chunk of the table repeats it.
- A GAEB position is a chunk of its own, cut like a paragraph only when longer
  than the size.

The output depends on nothing but the pages and the settings, so re-ingesting
an unchanged document gives the same chunk texts and every embedding comes
from the cache.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

__all__ = [
    "BlockLike",
    "Chunk",
    "ChunkKind",
    "PageLike",
    "TokenCounter",
    "chunk_document",
    "page_text",
    "sentence_starts",
]

# Tokens of each text as the model sees it (prefix and special tokens included).
TokenCounter = Callable[[Sequence[str]], list[int]]
ChunkKind = Literal["text", "table", "position"]
BLOCK_SEPARATOR = "\n\n"  # between the blocks of a page's text (extract.model.Page.text)


class BlockLike(Protocol):
    """documents.extract.model.Block, or anything shaped like it."""

    @property
    def kind(self) -> str: ...  # heading, paragraph, table_row, list_item, position
    @property
    def text(self) -> str: ...
    @property
    def level(self) -> int | None: ...


class PageLike(Protocol):
    """documents.extract.model.Page, or anything shaped like it."""

    @property
    def number(self) -> int: ...
    @property
    def blocks(self) -> Sequence[BlockLike]: ...
    @property
    def ocr(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Chunk:
    """One searchable piece of a document.

    `start` is an offset into the text of page `page_from`, `end` into that of
    `page_to` (both as `page_text` builds it). A table chunk's repeated header
    row lies before `start`. `tokens` counts `embedding_text`.
    """

    seq: int
    text: str
    headings: tuple[str, ...]
    page_from: int
    page_to: int
    start: int
    end: int
    tokens: int
    kind: ChunkKind
    ocr: bool

    @property
    def heading(self) -> str:
        return " > ".join(self.headings)

    @property
    def embedding_text(self) -> str:
        """The text with its heading path in front: what to embed."""
        return f"{self.heading}\n{self.text}" if self.headings else self.text


def page_text(page: PageLike) -> str:
    """The page's text as chunk offsets count it: its blocks, a blank line apart."""
    return BLOCK_SEPARATOR.join(block.text for block in page.blocks)


# -- sentences -------------------------------------------------------------------

# Words that end in a period without ending a sentence, lower case, no period.
_ABBREVIATIONS = """
    abb abs abschn allg anm art ausg az bd bspw bzgl bzw ca dgl dipl dr einschl etc evtl
    exkl fa ff fr gem ges ggf ggü gmbh hr hrsg ing inkl insb jh jr kap kfm lfd lfm lt max
    mind min mio mrd mwst nr o.ä od pos rd s.o s.u sog st std stk str tab tel tsd usw u.a
    u.u vgl z.b z.t zb zt ziff zzgl zi qm bauj nachf verf vorm abt
"""
ABBREVIATIONS = frozenset(_ABBREVIATIONS.split())
_SENTENCE_END = re.compile(r"[.!?…][\"'»«“”‘’)\]]*$")
_SENTENCE_START = re.compile(r"[\"'»«“”„‘(\[]*[A-ZÄÖÜ0-9]")
_ORDINAL = re.compile(r"\d{1,3}\.$")
_WORD = re.compile(r"\S+")


def sentence_starts(words: Sequence[str]) -> list[bool]:
    """For each whitespace-separated word: does a sentence start with it?"""
    starts = [True] * min(len(words), 1)
    for previous, word in itertools.pairwise(words):
        starts.append(_ends_sentence(previous) and bool(_SENTENCE_START.match(word)))
    return starts


def _ends_sentence(word: str) -> bool:
    if not _SENTENCE_END.search(word):
        return False
    if not word.endswith("."):
        return True  # ! ? … or a closing quote after them
    bare = word.rstrip(".").lstrip("\"'»«“”„‘([").lower()
    # "z.", "B.", "d." (z. B., d. h.): single letters are abbreviations and
    # initials; "3." is an ordinal far more often than a sentence's last word.
    return not (len(bare) <= 1 or bare in ABBREVIATIONS or _ORDINAL.search(word))


# -- pieces of text --------------------------------------------------------------


@dataclass(slots=True)
class _Piece:
    """A contiguous span of one block's text on one page."""

    block: int  # index of the block in the document
    source: str  # the block's text (stripped)
    base: int  # the page offset of source[0]
    page: int
    ocr: bool
    start: int  # page offsets
    end: int
    cost: int = 0
    sentence_start: bool = True

    @property
    def text(self) -> str:
        return self.source[self.start - self.base : self.end - self.base]

    def span(self, start: int, end: int) -> _Piece:
        return _Piece(self.block, self.source, self.base, self.page, self.ocr, start, end)


@dataclass(slots=True)
class _Spec:
    kind: ChunkKind
    headings: tuple[str, ...]
    pieces: list[_Piece]
    header: _Piece | None = None  # a repeated table header row, not part of `pieces`

    def text(self) -> str:
        parts: list[str] = [] if self.header is None else [self.header.text]
        first = previous = self.pieces[0]
        for piece in [*self.pieces[1:], None]:
            if piece is None or piece.block != previous.block:
                # Pieces of one block as the block has them, spaces and all.
                parts.append(first.source[first.start - first.base : previous.end - first.base])
                first = piece or first
            previous = piece or previous
        return "\n".join(parts)


@dataclass(slots=True)
class _Group:
    kind: ChunkKind
    headings: tuple[str, ...]
    blocks: list[_Piece] = field(default_factory=list)


class _Costs:
    """Token costs of texts without the model's fixed overhead, counted in batches."""

    def __init__(self, count: TokenCounter) -> None:
        self._count = count
        self._cache: dict[str, int] = {}
        one, two = count(["a", "a a"])
        # What every passage costs on top of its words: the prefix, <s> and </s>.
        self.overhead = max(0, 2 * one - two)

    def prefetch(self, texts: Iterable[str]) -> None:
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            counts = self._count(missing)
            for text, n in zip(missing, counts, strict=True):
                self._cache[text] = max(0, n - self.overhead)

    def __call__(self, text: str) -> int:
        if text not in self._cache:
            self.prefetch([text])
        return self._cache[text]

    def exact(self, texts: Sequence[str]) -> list[int]:
        return self._count(list(texts)) if texts else []


# -- the chunker -------------------------------------------------------------------


def chunk_document(
    pages: Iterable[PageLike],
    *,
    count_tokens: TokenCounter,
    size: int = 256,
    overlap: int = 32,
) -> list[Chunk]:
    """The chunks of a document's pages, in reading order, `seq` from 0.

    `size` bounds every chunk's `tokens`; only a single word longer than the
    size is cut without regard to words. `overlap` is capped at half the size.
    """
    if size < 8:
        raise ValueError("chunk size must be at least 8 tokens")
    overlap = max(0, min(overlap, size // 2))
    costs = _Costs(count_tokens)
    groups = _groups(pages)
    costs.prefetch(
        [p.text for g in groups for p in g.blocks] + [" > ".join(g.headings) for g in groups]
    )
    specs: list[_Spec] = []
    for group in groups:
        budget = _budget(group.headings, size, costs)
        if group.kind == "table":
            specs += _table_chunks(group, budget, costs)
        else:
            specs += _text_chunks(group, budget, overlap, costs)
    return _finish(specs, size, costs)


def _budget(headings: tuple[str, ...], size: int, costs: _Costs) -> int:
    heading = costs(" > ".join(headings)) if headings else 0
    # A heading path longer than half the chunk would leave no room for text:
    # the chunk then grows past the size rather than shrink to nothing.
    return max(size - costs.overhead - heading, size // 2)


def _groups(pages: Iterable[PageLike]) -> list[_Group]:
    """Runs of blocks that chunk together: a section's text, a table, a position."""
    groups: list[_Group] = []
    path: list[tuple[int, str, bool]] = []  # (level, heading text, level was known)
    current: _Group | None = None
    index = 0
    for page in pages:
        offset = 0
        for block in page.blocks:
            raw, start = block.text, offset
            offset += len(raw) + len(BLOCK_SEPARATOR)
            index += 1
            text = raw.strip()
            if not text:
                continue
            start += len(raw) - len(raw.lstrip())
            if block.kind == "heading":
                heading = " ".join(text.split())
                if block.level is not None:
                    path = [entry for entry in path if entry[0] < block.level]
                    path.append((block.level, heading, True))
                else:
                    # A heading of unknown level (a bold line in a PDF) sits below
                    # the last one whose level is known, beside others like it.
                    path = [entry for entry in path if entry[2]]
                    path.append((path[-1][0] + 1 if path else 1, heading, False))
                current = None
                continue
            piece = _Piece(index, text, start, page.number, page.ocr, start, start + len(text))
            kind: ChunkKind = (
                "table"
                if block.kind == "table_row"
                else "position"
                if block.kind == "position"
                else "text"
            )
            headings = tuple(entry[1] for entry in path)
            if current is None or current.kind != kind or kind == "position":
                current = _Group(kind, headings)
                groups.append(current)
            current.blocks.append(piece)
    return groups


def _text_chunks(group: _Group, budget: int, overlap: int, costs: _Costs) -> list[_Spec]:
    specs: list[_Spec] = []
    current: list[_Piece] = []
    used = 0

    def flush() -> None:
        nonlocal current, used
        if current:
            specs.append(_Spec(group.kind, group.headings, current))
        current, used = [], 0

    for block in group.blocks:
        block.cost = costs(block.text)
        if block.cost > budget:
            flush()
            *full, current = _split_long(block, budget, overlap, costs)
            specs += [_Spec(group.kind, group.headings, pieces) for pieces in full]
            # The last piece stays open: the short blocks after it may join it.
            used = sum(piece.cost for piece in current)
            continue
        if current and used + block.cost > budget:
            flush()
        current.append(block)
        used += block.cost
    flush()
    return specs


def _words(block: _Piece, costs: _Costs) -> list[_Piece]:
    """The block as word pieces, each knowing whether a sentence starts with it."""
    words = [
        block.span(block.start + m.start(), block.start + m.end())
        for m in _WORD.finditer(block.text)
    ]
    texts = [word.text for word in words]
    costs.prefetch(texts)
    for word, starts in zip(words, sentence_starts(texts), strict=True):
        word.cost, word.sentence_start = costs(word.text), starts
    return words


def _split_long(block: _Piece, budget: int, overlap: int, costs: _Costs) -> list[list[_Piece]]:
    """A block longer than the budget, cut preferably at sentence ends, with overlap."""
    words: list[_Piece] = []
    for word in _words(block, costs):
        words += _hard_split(word, budget, costs) if word.cost > budget else [word]
    prefix = [0]
    for word in words:
        prefix.append(prefix[-1] + word.cost)

    def cost(a: int, b: int) -> int:
        return prefix[b] - prefix[a]

    chunks: list[list[_Piece]] = []
    start, n = 0, len(words)
    while start < n:
        end = start + 1
        while end < n and cost(start, end + 1) <= budget:
            end += 1
        if end < n:
            # Back to the last sentence start inside, unless that leaves a stub.
            starts = [i for i in range(start + 1, end + 1) if words[i].sentence_start]
            if starts and cost(start, starts[-1]) >= budget // 4:
                end = starts[-1]
        chunks.append(words[start:end])
        if end >= n:
            break
        start = _overlap_start(words, start, end, overlap, budget, cost)
    return chunks


def _overlap_start(
    words: list[_Piece],
    start: int,
    end: int,
    overlap: int,
    budget: int,
    cost: Callable[[int, int], int],
) -> int:
    """Where the next chunk starts: whole sentences of the last one's end that fit in
    `overlap`, else its last words that do; never so far back that nothing new fits."""
    fitting = [i for i in range(start + 1, end) if cost(i, end) <= overlap]
    sentences = [i for i in fitting if words[i].sentence_start]
    begin = (sentences or fitting or [end])[0]
    if cost(begin, end + 1) > budget:
        return end
    return begin


def _hard_split(word: _Piece, budget: int, costs: _Costs) -> list[_Piece]:
    """A single "word" longer than the budget (a URL, a hash): cut by characters,
    again where a cut is still too long (the counter may have truncated)."""
    step = max(1, (word.end - word.start) * budget // (2 * max(word.cost, 1)))
    pieces = [word.span(a, min(a + step, word.end)) for a in range(word.start, word.end, step)]
    costs.prefetch(p.text for p in pieces)
    out: list[_Piece] = []
    for piece in pieces:
        piece.cost, piece.sentence_start = costs(piece.text), False
        too_long = piece.cost > budget and piece.end - piece.start > 1
        out += _hard_split(piece, budget, costs) if too_long else [piece]
    out[0].sentence_start = word.sentence_start
    return out


def _table_chunks(group: _Group, budget: int, costs: _Costs) -> list[_Spec]:
    rows = group.blocks
    for row in rows:
        row.cost = costs(row.text)
    header = rows[0] if _looks_like_header(rows) and rows[0].cost <= budget // 2 else None
    specs: list[_Spec] = []
    current: list[_Piece] = []
    used = 0

    def flush() -> None:
        nonlocal current, used
        if current:
            repeat = None if current[0] is header else header
            specs.append(_Spec("table", group.headings, current, repeat))
        current, used = [], 0

    for row in rows:
        room = budget - (header.cost if header is not None and row is not header else 0)
        if row.cost > room:
            # A row longer than a chunk: its words packed like a paragraph's, no overlap.
            flush()
            for pieces in _split_long(row, room, 0, costs):
                specs.append(_Spec("table", group.headings, pieces, header))
            continue
        if current and used + row.cost > budget:
            flush()
        if not current and header is not None and row is not header:
            used = header.cost
        current.append(row)
        used += row.cost
    flush()
    return specs


def _looks_like_header(rows: Sequence[_Piece]) -> bool:
    """A first row without digits above rows that mostly have some: Pos | Text | Menge."""
    if len(rows) < 2 or any(c.isdigit() for c in rows[0].text):
        return False
    with_digits = sum(any(c.isdigit() for c in row.text) for row in rows[1:])
    return with_digits * 2 >= len(rows) - 1


def _finish(specs: list[_Spec], size: int, costs: _Costs) -> list[Chunk]:
    """Count every chunk exactly; the few the per-piece estimate put over the size
    (tokens are not quite additive) are halved until they fit."""
    pending = specs
    while True:
        texts = [_embedding_text(spec) for spec in pending]
        counts = costs.exact(texts)
        over = [i for i, n in enumerate(counts) if n > size and len(pending[i].pieces) > 1]
        if not over:
            break
        split: list[_Spec] = []
        for i, spec in enumerate(pending):
            if i in over:
                half = len(spec.pieces) // 2
                split.append(_Spec(spec.kind, spec.headings, spec.pieces[:half], spec.header))
                split.append(_Spec(spec.kind, spec.headings, spec.pieces[half:], spec.header))
            else:
                split.append(spec)
        pending = split
    return [
        Chunk(
            seq=seq,
            text=spec.text(),
            headings=spec.headings,
            page_from=spec.pieces[0].page,
            page_to=spec.pieces[-1].page,
            start=spec.pieces[0].start,
            end=spec.pieces[-1].end,
            tokens=count,
            kind=spec.kind,
            ocr=any(p.ocr for p in spec.pieces),
        )
        for seq, (spec, count) in enumerate(zip(pending, counts, strict=True))
    ]


def _embedding_text(spec: _Spec) -> str:
    text = spec.text()
    return f"{' > '.join(spec.headings)}\n{text}" if spec.headings else text
