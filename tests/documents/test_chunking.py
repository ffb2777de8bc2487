"""The chunker with the default model's real tokenizer: sizes, structure, sentences, offsets.

The pages are built from small local dataclasses shaped like the extractor's
Block and Page (the chunker takes any such shape); the last test chunks what
the real extractor makes of a Markdown bill of quantities.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from handwerkml.documents.chunking import (
    Chunk,
    TokenCounter,
    chunk_document,
    page_text,
    sentence_starts,
)
from handwerkml.documents.extract import extract
from handwerkml.documents.extract.model import Page as ExtractedPage
from handwerkml.embeddings.prepare import DEFAULT_MODEL, DEFAULT_PRECISION, Manifest, model_dir
from handwerkml.embeddings.tokenization import TokenBatcher


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    level: int | None = None


@dataclass(frozen=True)
class Page:
    number: int
    blocks: list[Block] = field(default_factory=list)
    ocr: bool = False


@pytest.fixture(scope="module")
def count_tokens(models_dir: Path) -> TokenCounter:
    """What LocalOnnxProvider counts: the passage prefix, <s> and </s> included."""
    directory = model_dir(models_dir, DEFAULT_MODEL, DEFAULT_PRECISION)
    manifest = Manifest.read(directory)
    batcher = TokenBatcher.load(directory, max_tokens=manifest.max_tokens)

    def count(texts: Sequence[str]) -> list[int]:
        return [len(ids) for ids in batcher.token_ids([manifest.passage_prefix + t for t in texts])]

    return count


SENTENCES = [
    "Die Wandfliesen werden z. B. im Dünnbettverfahren mit flexiblem Kleber verlegt.",
    "Der Untergrund muss tragfähig, eben und frei von Trennmitteln sein.",
    "Es sind ca. 45 m² Fläche inkl. Fensterlaibungen bzw. Vorsprüngen zu belegen.",
    "Laut Pos. 3 der Ausschreibung gilt das Raster 30 x 60 cm gem. Nr. 4.2 der Vorbemerkungen.",
    "Am 3. Mai beginnt der zweite Bauabschnitt im 1. Obergeschoss.",
    "Silikonfugen sind als Wartungsfugen auszuführen!",
    "Ist der Estrich belegreif?",
    "Die Restfeuchte wird vor Beginn mit der CM-Methode gemessen, d. h. im Beisein der Bauleitung.",
]
ABBREVIATED = ("z. B.", "ca.", "inkl.", "bzw.", "Pos.", "gem.", "Nr.", "3.", "1.", "d. h.")


def long_paragraph(repeat: int = 6) -> str:
    return " ".join(f"{s[:-1]} (Abschnitt {i}){s[-1]}" for i in range(repeat) for s in SENTENCES)


def words_of(chunks: Sequence[Chunk]) -> list[str]:
    return [w for c in chunks for w in c.text.split()]


def test_sentence_starts_skip_german_abbreviations() -> None:
    text = (
        "Die Fliesen werden z. B. im Bad verlegt. Danach folgt die Verfugung inkl. Silikon. "
        "Am 3. Mai beginnt Nr. 5 der Arbeiten, ca. Mitte Mai bzw. Juni! Fertig? "
        "„Ja.“ Das Ende."
    )
    words = text.split()
    starts = [w for w, s in zip(words, sentence_starts(words), strict=True) if s]
    assert starts == ["Die", "Danach", "Am", "Fertig?", "„Ja.“", "Das"]


def test_headings_start_chunks_and_make_the_path(count_tokens: TokenCounter) -> None:
    pages = [
        Page(
            1,
            [
                Block("heading", "Leistungsverzeichnis", 1),
                Block("paragraph", "Vorbemerkungen zum Bauvorhaben."),
                Block("heading", "01 Erdarbeiten", 2),
                Block("paragraph", "Oberboden abtragen."),
                Block("heading", "02  Mauerarbeiten", 2),
                Block("paragraph", "Innenwände mauern."),
                Block("heading", "Anhang", 1),
                Block("heading", "Bild 1", None),
                Block("paragraph", "Foto der Baustelle."),
                Block("heading", "Bild 2", None),
                Block("paragraph", "Foto des Gerüsts."),
            ],
        )
    ]
    chunks = chunk_document(pages, count_tokens=count_tokens)
    assert [(c.heading, c.text) for c in chunks] == [
        ("Leistungsverzeichnis", "Vorbemerkungen zum Bauvorhaben."),
        ("Leistungsverzeichnis > 01 Erdarbeiten", "Oberboden abtragen."),
        ("Leistungsverzeichnis > 02 Mauerarbeiten", "Innenwände mauern."),
        # Headings without a level sit below the last one with a level.
        ("Anhang > Bild 1", "Foto der Baustelle."),
        ("Anhang > Bild 2", "Foto des Gerüsts."),
    ]
    assert chunks[1].embedding_text == "Leistungsverzeichnis > 01 Erdarbeiten\nOberboden abtragen."
    assert [c.seq for c in chunks] == list(range(5))


def test_short_blocks_are_packed_whole(count_tokens: TokenCounter) -> None:
    paragraphs = [f"{s} Absatz {i}." for i in range(12) for s in SENTENCES[:2]]
    pages = [Page(1, [Block("paragraph", p) for p in paragraphs])]
    chunks = chunk_document(pages, count_tokens=count_tokens, size=96)
    assert len(chunks) > 3
    for paragraph in paragraphs:
        assert sum(paragraph in c.text.split("\n") for c in chunks) == 1, paragraph
    assert all(c.tokens <= 96 for c in chunks)
    # Packed, not one block a chunk: most chunks hold several paragraphs.
    assert sum(c.text.count("\n") >= 1 for c in chunks) >= len(chunks) - 1


@pytest.mark.parametrize(("size", "overlap"), [(64, 16), (128, 32), (256, 32)])
def test_long_paragraph_splits_at_sentences_with_overlap(
    count_tokens: TokenCounter, size: int, overlap: int
) -> None:
    text = long_paragraph()
    pages = [Page(1, [Block("paragraph", text)])]
    chunks = chunk_document(pages, count_tokens=count_tokens, size=size, overlap=overlap)
    assert len(chunks) > 2
    for chunk in chunks:
        assert chunk.tokens <= size
        assert chunk.tokens == count_tokens([chunk.embedding_text])[0]
        assert not chunk.text.endswith(ABBREVIATED), chunk.text[-30:]
        assert chunk.text in text
    # Every sentence is whole in some chunk (none of them is longer than 64 tokens).
    for sentence in re.findall(r"[^.!?]*?\(Abschnitt \d+\)[.!?]", text):
        assert any(sentence.strip() in c.text for c in chunks), sentence
    # Most chunks end where a sentence ends; the rest had a stub to avoid.
    ends = sum(c.text.endswith((".", "!", "?")) for c in chunks[:-1])
    assert ends >= 0.75 * (len(chunks) - 1)
    # Neighbours share text, and never more than `overlap` tokens of it.
    for before, after in itertools.pairwise(chunks):
        assert before.end > after.start
        shared = text[after.start : before.end]
        assert shared
        assert before.text.endswith(shared)
        assert after.text.startswith(shared)
        assert count_tokens([shared])[0] - count_tokens([""])[0] <= overlap + 1
    # Together they cover the paragraph.
    assert chunks[0].start == 0
    assert chunks[-1].end == len(text)


def test_no_overlap_when_none_is_asked(count_tokens: TokenCounter) -> None:
    text = long_paragraph(3)
    chunks = chunk_document(
        [Page(1, [Block("paragraph", text)])], count_tokens=count_tokens, size=64, overlap=0
    )
    assert all(a.end <= b.start for a, b in itertools.pairwise(chunks))
    assert words_of(chunks) == text.split()


def test_table_rows_stay_whole_and_the_header_repeats(count_tokens: TokenCounter) -> None:
    header = "Pos | Bezeichnung | Menge | Einheit | Einheitspreis"
    rows = [
        f"{i:02d} | Wandfliesen 30x60 verlegen, Farbe grau | {i * 3} | m² | 48,50 €"
        for i in range(1, 41)
    ]
    pages = [
        Page(1, [Block("paragraph", "Angebot Fliesenarbeiten"), Block("table_row", header)]),
        Page(
            2, [Block("table_row", r) for r in rows] + [Block("paragraph", "Zahlbar in 14 Tagen.")]
        ),
    ]
    chunks = chunk_document(pages, count_tokens=count_tokens, size=128)
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) > 3
    seen: list[str] = []
    for chunk in tables:
        lines = chunk.text.split("\n")
        assert lines[0] == header
        seen += lines[1:]
        assert chunk.tokens <= 128
    assert seen == rows  # each row once, whole, in order
    assert (tables[0].page_from, tables[0].page_to) == (1, 2)
    assert [c.text for c in chunks if c.kind == "text"] == [
        "Angebot Fliesenarbeiten",
        "Zahlbar in 14 Tagen.",
    ]


def test_a_table_without_a_header_row_repeats_nothing(count_tokens: TokenCounter) -> None:
    rows = [f"{i} Stk Schraube 4x{i * 10} verzinkt" for i in range(1, 60)]
    chunks = chunk_document(
        [Page(1, [Block("table_row", r) for r in rows])], count_tokens=count_tokens, size=64
    )
    assert len(chunks) > 2
    assert [line for c in chunks for line in c.text.split("\n")] == rows


def test_positions_are_chunks_of_their_own(count_tokens: TokenCounter) -> None:
    short = ["01.01.0010 Baustelle einrichten. 1 psch", "01.01.0020 Bauzaun stellen. 120 m"]
    long = "01.02.0010 " + long_paragraph(2)
    pages = [
        Page(
            1,
            [Block("heading", "Baustelleneinrichtung", 1)]
            + [Block("position", p) for p in [*short, long]],
        )
    ]
    chunks = chunk_document(pages, count_tokens=count_tokens, size=96, overlap=16)
    assert [c.text for c in chunks[:2]] == short
    assert all(c.kind == "position" for c in chunks)
    assert len(chunks) > 3
    assert all(c.tokens <= 96 for c in chunks)
    assert chunks[2].text.startswith("01.02.0010")


def test_offsets_point_into_the_page_text(count_tokens: TokenCounter) -> None:
    pages = [
        Page(
            1,
            [
                Block("heading", "Bericht", 1),
                Block("paragraph", "  Erster Absatz mit Leerzeichen davor."),
                Block("paragraph", long_paragraph(3)),
            ],
        ),
        Page(2, [Block("paragraph", "Seite zwei, erster Absatz.")], ocr=True),
    ]
    chunks = chunk_document(pages, count_tokens=count_tokens, size=64, overlap=8)
    texts = {page.number: page_text(page) for page in pages}
    for chunk in chunks:
        if chunk.page_from == chunk.page_to and "\n" not in chunk.text:
            assert texts[chunk.page_from][chunk.start : chunk.end] == chunk.text
        else:
            first, *_, last = chunk.text.split("\n")
            assert texts[chunk.page_from][chunk.start :].startswith(first)
            assert texts[chunk.page_to][: chunk.end].endswith(last)
    assert chunks[0].text.startswith("Erster Absatz")
    assert chunks[-1].page_to == 2
    assert chunks[-1].ocr
    assert not chunks[0].ocr


def test_the_same_pages_give_the_same_chunks(count_tokens: TokenCounter) -> None:
    def document(last_page: str) -> list[Page]:
        return [
            Page(1, [Block("heading", "Teil A", 1), Block("paragraph", long_paragraph(4))]),
            Page(2, [Block("heading", "Teil B", 1), Block("paragraph", last_page)]),
        ]

    first = chunk_document(document("Alt."), count_tokens=count_tokens, size=96)
    again = chunk_document(document("Alt."), count_tokens=count_tokens, size=96)
    changed = chunk_document(document("Neu und anders."), count_tokens=count_tokens, size=96)
    assert first == again
    # A change in one section leaves the other sections' chunks, and so their
    # embeddings in the cache, as they were.
    assert [c for c in first if c.heading == "Teil A"] == [
        c for c in changed if c.heading == "Teil A"
    ]


def test_odd_input(count_tokens: TokenCounter) -> None:
    assert chunk_document([], count_tokens=count_tokens) == []
    assert chunk_document([Page(1, [Block("paragraph", "  \n ")])], count_tokens=count_tokens) == []
    huge = "https://example.org/" + "x1y2z3" * 2000
    for overlap in (0, 500):  # the overlap is capped at half the size
        chunks = chunk_document(
            [Page(1, [Block("paragraph", huge)])],
            count_tokens=count_tokens,
            size=64,
            overlap=overlap,
        )
        assert all(c.tokens <= 64 for c in chunks)
        assert chunks[0].start == 0
        assert chunks[-1].end == len(huge)
        if not overlap:
            assert "".join(c.text for c in chunks) == huge
    with pytest.raises(ValueError, match="at least 8"):
        chunk_document([], count_tokens=count_tokens, size=4)


def test_the_extractors_pages_fit(count_tokens: TokenCounter) -> None:
    rows = "\n".join(f"| {i} | Wandfliesen 30x60 verlegen | {i * 4} | m² |" for i in range(1, 30))
    markdown = (
        "# Leistungsverzeichnis\n\n## 01 Fliesenarbeiten\n\nWandfliesen im Bad verlegen.\n\n"
        f"| Pos | Text | Menge | Einheit |\n|---|---|---|---|\n{rows}\n\n"
        "## 02 Abdichtung\n\n- Dichtschlämme zweilagig\n- Dichtband in den Ecken\n"
    )
    document = extract(markdown.encode(), "markdown")
    pages: list[ExtractedPage] = document.pages
    chunks = chunk_document(pages, count_tokens=count_tokens, size=64)
    assert chunks[0].heading == "Leistungsverzeichnis > 01 Fliesenarbeiten"
    assert chunks[0].text == "Wandfliesen im Bad verlegen."
    text = page_text(pages[0])
    assert text == pages[0].text
    assert text[chunks[0].start : chunks[0].end] == chunks[0].text
    tables = [c for c in chunks if c.kind == "table"]
    assert len(tables) > 1
    assert all(c.text.startswith("Pos | Text | Menge | Einheit\n") for c in tables)
    assert chunks[-1].heading == "Leistungsverzeichnis > 02 Abdichtung"
    assert chunks[-1].text == "Dichtschlämme zweilagig\nDichtband in den Ecken"
