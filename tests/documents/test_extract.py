"""Text extraction on generated documents with known German text and on real GAEB files.

OCR tests run the real Tesseract (deu+eng); without it they are skipped, or with
CI=true they fail. GAEB files come from ../shared/fixtures/gaeb/ (SOURCES.md).
"""

from __future__ import annotations

import io
import os
import random
import shutil
import time
import zipfile

import pytest

from handwerkml.documents.extract import (
    Block,
    CorruptDocument,
    DocumentType,
    EmptyDocument,
    EncryptedDocument,
    ExtractedDocument,
    ExtractionError,
    ExtractOptions,
    OcrFailed,
    OcrUnavailable,
    UnsafeDocument,
    UnsupportedDocument,
    detect,
    extract,
)
from tests.documents import factories
from tests.gaeb.files import gaeb_file

OPTIONS = ExtractOptions()


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def tesseract() -> None:
    if shutil.which("tesseract") is None:
        message = "tesseract is not installed (scripts/install-system-packages.sh)"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def blocks(document: ExtractedDocument, kind: str | None = None) -> list[Block]:
    return [b for page in document.pages for b in page.blocks if kind is None or b.kind == kind]


# --- detection -----------------------------------------------------------------


def test_detect_reads_the_content_and_ignores_a_misleading_name() -> None:
    assert detect(factories.german_pdf(1), "rechnung.docx") is DocumentType.PDF
    assert detect(factories.docx_document(), "angebot.pdf") is DocumentType.DOCX
    assert detect(factories.blank_png(), "scan.txt") is DocumentType.PNG
    assert detect(factories.html_page(), "notizen.md") is DocumentType.HTML
    assert detect("Nur Text über Dämmung".encode(), "bild.jpeg") is DocumentType.TEXT


def test_detect_images() -> None:
    image = factories.scan_image(["Test"], dpi=72)
    jpeg = io.BytesIO()
    image.save(jpeg, format="JPEG")
    assert detect(jpeg.getvalue()) is DocumentType.JPEG
    assert detect(factories.tiff_bytes([image, image])) is DocumentType.TIFF


def test_file_name_only_breaks_the_tie_between_markdown_and_text() -> None:
    data = "Angebot\n\nFliesenkleber und Dämmung".encode()
    assert detect(data, "angebot.md") is DocumentType.MARKDOWN
    assert detect(data, "angebot.txt") is DocumentType.TEXT
    assert detect(data) is DocumentType.TEXT
    assert detect(b"# Angebot\n\nText") is DocumentType.MARKDOWN


@pytest.mark.parametrize(
    "name",
    ["LV_Los01.X83", "LV_Los01.D83", "LV_Los01.P83", "Pruefdatei_3.3_Texterstellung_2021.x82"],
)
def test_detect_gaeb_in_every_format(name: str) -> None:
    assert detect(gaeb_file(name), "leistungsverzeichnis.txt") is DocumentType.GAEB


def test_detect_rejects_what_it_cannot_read() -> None:
    with pytest.raises(EmptyDocument, match="leer"):
        detect(b"")
    with pytest.raises(UnsupportedDocument, match="Unbekanntes Dateiformat"):
        detect(bytes(range(256)) * 4)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "kein Word")
    with pytest.raises(UnsupportedDocument, match="ZIP"):
        detect(archive.getvalue())
    with pytest.raises(UnsupportedDocument, match="GAEB"):
        detect(b'<?xml version="1.0"?><Invoice><Total>1</Total></Invoice>')


# --- PDF -------------------------------------------------------------------------


def test_pdf_text_layer_keeps_pages_umlauts_and_resolves_ligatures() -> None:
    document = extract(factories.german_pdf(3), DocumentType.PDF, OPTIONS)
    assert [page.number for page in document.pages] == [1, 2, 3]
    assert not any(page.ocr for page in document.pages)
    for page in document.pages:
        assert page.blocks[0].text == f"Seite {page.number}: Angebot für Straßenbau und Überdachung"
        # The generated PDF draws ﬂ and ﬁ ligature glyphs; the text has plain letters.
        assert "Verfugen der Oberfläche." in page.text
        assert "Das Profil der Treppe" in page.text
        assert "\ufb01" not in page.text
        assert "\ufb02" not in page.text
        assert [b.kind for b in page.blocks] == ["paragraph"] * 4
    assert document.title == "Testdokument Fliesenarbeiten"


def test_pdf_max_pages_reads_only_the_first_pages() -> None:
    document = extract(factories.german_pdf(4), "pdf", ExtractOptions(max_pages=2))
    assert [page.number for page in document.pages] == [1, 2]
    assert document.truncated


def test_encrypted_pdf_is_refused_with_a_reason() -> None:
    data = factories.encrypted_pdf()
    assert detect(data) is DocumentType.PDF
    with pytest.raises(EncryptedDocument, match="Passwort"):
        extract(data, DocumentType.PDF, OPTIONS)


def test_truncated_pdf_is_corrupt() -> None:
    data = factories.german_pdf(3)
    with pytest.raises(CorruptDocument, match="PDF ist beschädigt"):
        extract(data[: len(data) // 2], DocumentType.PDF, OPTIONS)


# --- OCR -------------------------------------------------------------------------

SCAN_LINES = ["Rechnung über Fliesenkleber", "Dämmung der Außenwand"]


@pytest.mark.usefixtures("tesseract")
def test_ocr_reads_german_words_in_a_300_dpi_scan() -> None:
    data = factories.png_bytes(factories.scan_image(SCAN_LINES))
    document = extract(data, detect(data), OPTIONS)
    assert len(document.pages) == 1
    assert document.pages[0].ocr
    text = document.text
    for word in ("Rechnung", "Fliesenkleber", "Dämmung", "Außenwand"):
        assert word in text


@pytest.mark.usefixtures("tesseract")
def test_pdf_ocrs_only_the_page_without_a_text_layer() -> None:
    data = factories.scanned_pdf([SCAN_LINES, None])
    document = extract(data, DocumentType.PDF, OPTIONS)
    scanned, typed = document.pages
    assert (scanned.number, scanned.ocr) == (1, True)
    assert "Fliesenkleber" in scanned.text
    assert "Dämmung" in scanned.text
    assert (typed.number, typed.ocr) == (2, False)
    assert "Familie Müller" in typed.text


@pytest.mark.usefixtures("tesseract")
def test_multi_page_tiff_is_one_page_per_frame() -> None:
    frames = [factories.scan_image([f"Seite {n} Rechnung"], dpi=200) for n in (1, 2)]
    document = extract(factories.tiff_bytes(frames, dpi=200), DocumentType.TIFF, OPTIONS)
    assert [page.number for page in document.pages] == [1, 2]
    assert all(page.ocr for page in document.pages)
    assert "Rechnung" in document.pages[0].text
    assert "Seite 2" in document.pages[1].text


@pytest.mark.usefixtures("tesseract")
def test_ocr_timeout_is_reported_per_page() -> None:
    data = factories.png_bytes(factories.scan_image(SCAN_LINES))
    with pytest.raises(OcrFailed, match=r"Seite 1 .*abgebrochen"):
        extract(data, DocumentType.PNG, ExtractOptions(ocr_timeout_s=0.001))


def test_scanned_pdf_without_ocr_gives_empty_pages() -> None:
    document = extract(factories.scanned_pdf([SCAN_LINES]), "pdf", ExtractOptions(ocr=False))
    assert [(page.number, page.blocks, page.ocr) for page in document.pages] == [(1, [], False)]


def test_missing_tesseract_is_an_operator_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDWERKML_TESSERACT", "/nonexistent/tesseract")
    data = factories.png_bytes(factories.scan_image(["Rechnung"], dpi=100))
    with pytest.raises(OcrUnavailable, match="tesseract"):
        extract(data, DocumentType.PNG, OPTIONS)


def test_blank_image_has_no_text() -> None:
    with pytest.raises(EmptyDocument, match="kein Text"):
        extract(factories.blank_png(), DocumentType.PNG, OPTIONS)


def test_empty_file_is_empty() -> None:
    with pytest.raises(EmptyDocument, match="0 Bytes"):
        extract(b"", DocumentType.PDF, OPTIONS)


# --- DOCX ------------------------------------------------------------------------


def test_docx_headings_lists_and_tables_in_document_order() -> None:
    document = extract(factories.docx_document(), DocumentType.DOCX, OPTIONS)
    assert document.title == "Angebot Badsanierung"
    assert blocks(document)[:5] == [
        Block("heading", "Angebot Badsanierung", 1),
        Block("paragraph", "Sehr geehrte Frau Schäfer, wir bieten Ihnen folgende Leistungen an."),
        Block("heading", "Leistungsumfang", 2),  # style "Überschrift 2"
        Block("list_item", "Fliesen entfernen und entsorgen"),
        Block("list_item", "Dämmung der Außenwand erneuern"),
    ]
    assert [b.text for b in blocks(document, "table_row")] == [
        "Position | Menge | Preis",
        "Fliesenkleber C2TE | 12 Sack | 215,40 €",
        "Wärmedämmung WLG 035 | 18 m² | 612,00 €",
    ]
    # The page break before "Zahlungsbedingungen" starts page 2.
    assert [page.number for page in document.pages] == [1, 2]
    assert document.pages[1].blocks[0] == Block("heading", "Zahlungsbedingungen", 2)


def test_docx_zip_bomb_is_refused_before_inflating() -> None:
    data = factories.zip_bomb_docx()
    assert detect(data) is DocumentType.DOCX
    started = time.perf_counter()
    with pytest.raises(UnsafeDocument, match="ZIP-Bombe"):
        extract(data, DocumentType.DOCX, OPTIONS)
    assert time.perf_counter() - started < 0.5


def test_docx_declaring_a_huge_total_is_refused() -> None:
    with pytest.raises(UnsafeDocument, match="MB"):
        extract(factories.lying_docx(declared_size=300 * 1024 * 1024), "docx", OPTIONS)


def test_docx_whose_directory_lies_about_sizes_is_not_read_beyond_them() -> None:
    with pytest.raises((CorruptDocument, UnsafeDocument)):
        extract(factories.lying_docx(declared_size=1000), DocumentType.DOCX, OPTIONS)


def test_truncated_docx_is_corrupt() -> None:
    data = factories.docx_document()
    with pytest.raises(CorruptDocument, match="Word-Dokument"):
        extract(data[: len(data) - 200], DocumentType.DOCX, OPTIONS)


# --- HTML ------------------------------------------------------------------------


def test_html_main_content_without_navigation_footer_or_scripts() -> None:
    document = extract(factories.html_page(), DocumentType.HTML, OPTIONS)
    assert document.title == "Dämmung im Altbau – Ratgeber"
    assert blocks(document, "heading") == [
        Block("heading", "Dämmung im Altbau", 1),
        Block("heading", "Materialien", 2),
    ]
    assert [b.text for b in blocks(document, "list_item")] == [
        "Mineralwolle WLG 035",
        "Holzfaserplatten für Innendämmung",
    ]
    assert [b.text for b in blocks(document, "table_row")] == [
        "Material | Preis je m²",
        "Mineralwolle | 12,50 €",
    ]
    assert "flexiblen Fliesenkleber" in document.text
    for noise in ("Startseite", "Onlineshop", "Cookies", "Newsletter", "Impressum", "Skript"):
        assert noise not in document.text


# --- text and Markdown -------------------------------------------------------------


def test_text_in_windows_1252_and_utf8_with_bom() -> None:
    text = "Rechnung\n\nDämmung der Außenwand,\nzweite Zeile\n\n\nFliesenkleber"
    for data in (text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode()):
        document = extract(data, detect(data, "rechnung.txt"), OPTIONS)
        assert [b.text for b in blocks(document)] == [
            "Rechnung",
            "Dämmung der Außenwand,\nzweite Zeile",
            "Fliesenkleber",
        ]
        assert document.pages[0].number == 1


def test_markdown_headings_lists_and_tables() -> None:
    data = (
        "# Baustellenprotokoll\n\nHeute **Estrich** verlegt.\n\n## Material\n\n"
        "- Fliesenkleber\n- Dämmung\n\n| Artikel | Menge |\n|---|---|\n| Kleber | 3 |\n"
    ).encode()
    document = extract(data, DocumentType.MARKDOWN, OPTIONS)
    assert blocks(document) == [
        Block("heading", "Baustellenprotokoll", 1),
        Block("paragraph", "Heute **Estrich** verlegt."),
        Block("heading", "Material", 2),
        Block("list_item", "Fliesenkleber"),
        Block("list_item", "Dämmung"),
        Block("table_row", "Artikel | Menge"),
        Block("table_row", "Kleber | 3"),
    ]
    assert document.title == "Baustellenprotokoll"


def test_whitespace_only_text_is_empty() -> None:
    with pytest.raises(EmptyDocument):
        extract(b" \n\n\t ", DocumentType.TEXT, OPTIONS)


# --- GAEB ------------------------------------------------------------------------

# (file, ordinal number and short text of one position, its quantity and unit)
KNOWN_POSITIONS = [
    ("LV_Los01.X83", "01.0010  Anlaufberatung, Baufeldübergabe", "1 psch"),
    ("Musterdatei_3.1_2008-001.X83", "1.10.10.0010  Gelände abräumen", "1 psch"),
    (
        "Musterdatei_3.1_2008-004.X83",
        "01.0010  Oberboden BG4 abtragen lagern Abtrag-D 25cm",
        "100 m2",
    ),
    (
        "Pruefdatei_3.3_Bauausfuehrung_2024.x83",
        "001.001.0010  Baustelleneinrichtung einrichten, vorhalten, räumen",
        "1 psch",
    ),
    ("aus-dem-handbuch_gaebxml30.x83", "01.01.0001\nBaugelände abräumen gemäß", "1 psch"),
    ("aus-dem-handbuch_gaebxml31.x83", "01.01.0001\nBaugelände abräumen gemäß", "1 psch"),
    ("LV_Los01.D83", "01.0010  Anlaufberatung, Baufeldübergabe", "1 psch"),
    ("LV_Los01.P83", "01.0010  Anlaufberatung, Baufeldübergabe", "1 psch"),
    ("aus-dem-handbuch_gaeb90.d83", "01.01.0001\nBaugelände abräumen gemäß", "1 psch"),
    ("aus-dem-handbuch_gaeb2000.p83", "01.01.0001\nBaugelände abräumen gemäß", "1 psch"),
]


@pytest.mark.parametrize(("name", "start", "amount"), KNOWN_POSITIONS)
def test_gaeb_position_texts(name: str, start: str, amount: str) -> None:
    document = extract(gaeb_file(name), DocumentType.GAEB, OPTIONS)
    position = next(b for b in blocks(document, "position") if b.text.startswith(start))
    assert position.text.endswith(f"  {amount}")
    assert position.level is None


def test_gaeb_categories_are_headings() -> None:
    document = extract(gaeb_file("Pruefdatei_3.3_Bauausfuehrung_2024.x83"), "gaeb", OPTIONS)
    headings = blocks(document, "heading")
    assert headings[:2] == [
        Block("heading", "001 Bauhauptgewerke", 1),
        Block("heading", "001.001 Baustelleneinrichtung", 2),
    ]
    assert document.title == "BVBS GAEB Musterdatei Bauausführung"


@pytest.mark.parametrize(
    "names",
    [
        ("LV_Los01.X83", "LV_Los01.D83", "LV_Los01.P83"),
        (
            "aus-dem-handbuch_gaebxml31.x83",
            "aus-dem-handbuch_gaeb90.d83",
            "aus-dem-handbuch_gaeb2000.p83",
        ),
    ],
)
def test_gaeb_formats_of_one_bill_give_the_same_positions(names: tuple[str, ...]) -> None:
    def ordinal_numbers(name: str) -> list[str]:
        document = extract(gaeb_file(name), DocumentType.GAEB, OPTIONS)
        return [b.text.split()[0] for b in blocks(document, "position")]

    xml, *legacy = (ordinal_numbers(name) for name in names)
    assert len(xml) > 5
    for other in legacy:
        assert other == xml


def test_truncated_gaeb_xml_is_corrupt() -> None:
    data = gaeb_file("LV_Los01.X83")
    with pytest.raises(CorruptDocument, match="kein gültiges XML"):
        extract(data[: len(data) // 2], DocumentType.GAEB, OPTIONS)


# --- robustness ------------------------------------------------------------------


def _valid(kind: str) -> bytes:
    if kind == "pdf":
        return factories.german_pdf(2)
    if kind == "docx":
        return factories.docx_document()
    if kind == "html":
        return factories.html_page()
    if kind == "gaeb":
        return gaeb_file("Musterdatei_3.1_2008-004.X83")
    if kind == "png":
        return factories.png_bytes(factories.scan_image(["Rechnung"], dpi=72))
    return "Dämmung\n\nFliesenkleber".encode()


@pytest.mark.parametrize("kind", ["pdf", "docx", "html", "gaeb", "text", "png"])
def test_mangled_input_raises_only_extraction_errors(kind: str) -> None:
    """Truncated and bit-flipped files either extract or raise an ExtractionError
    with a message; no library exception gets through."""
    valid = _valid(kind)
    rng = random.Random(kind)
    variants = [valid[:cut] for cut in (1, 10, len(valid) // 3, len(valid) - 1)]
    for _ in range(20):
        flipped = bytearray(valid)
        for _ in range(rng.randint(1, 20)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    messages = []
    for data in variants:
        try:
            extract(data, kind, ExtractOptions(ocr=False))
        except ExtractionError as error:
            messages.append(str(error))
    assert all(messages)
