"""Test documents generated with known German text, so assertions can name exact words.

Nothing here is a checked-in binary: each function builds its file in memory
(reportlab for PDFs, Pillow for scans, python-docx for Word, pypdf to encrypt).
Scans are rendered with DejaVu Sans (Debian's fonts-dejavu-core, installed by
scripts/install-system-packages.sh) because it has every German glyph.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from PIL import Image, ImageDraw, ImageFont
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
_PDF_FONT = "DejaVuSans"


def _font_path() -> str:
    if not FONT_PATH.exists():
        raise RuntimeError(f"{FONT_PATH} is missing: run scripts/install-system-packages.sh")
    return str(FONT_PATH)


# Page texts with umlauts, ß and the typographic ligatures ﬁ (U+FB01) and ﬂ (U+FB02)
# that typesetting programs put into PDFs; extraction must return plain letters.
GERMAN_PARAGRAPHS = (
    "Rechnung Nr. 2024-117 für die Fliesenarbeiten im Bad der Familie Müller.",
    "Wir berechnen Fliesenkleber, Dämmung der Außenwand und das Verfugen der Oberﬂäche.",
    "Zahlbar innerhalb von 14 Tagen ohne Abzug. Das Proﬁl der Treppe ist enthalten.",
)


def page_lines(number: int) -> list[str]:
    """The paragraphs of generated page `number`: known words plus the page's own marker."""
    return [f"Seite {number}: Angebot für Straßenbau und Überdachung", *GERMAN_PARAGRAPHS]


def text_pdf(pages: Sequence[Sequence[str]], leading_mm: float = 12) -> bytes:
    """A PDF with a real text layer: one list of lines per page, DejaVu Sans embedded.

    The default leading (12 mm) is wider than a line, so each line is its own paragraph.
    """
    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_PDF_FONT, _font_path()))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle("Testdokument Fliesenarbeiten")
    for paragraphs in pages:
        y = A4[1] - 25 * mm
        for paragraph in paragraphs:
            pdf.setFont(_PDF_FONT, 11)
            pdf.drawString(20 * mm, y, paragraph)
            y -= leading_mm * mm
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def german_pdf(page_count: int) -> bytes:
    return text_pdf([page_lines(n) for n in range(1, page_count + 1)])


def scan_image(
    lines: Sequence[str], dpi: int = 300, width_mm: float = 150, font_pt: float = 12
) -> Image.Image:
    """Black text on white at `dpi`, like a clean office scan (narrower than A4 for speed)."""
    px_per_mm = dpi / 25.4
    font = ImageFont.truetype(_font_path(), size=round(font_pt / 72 * dpi))
    line_height = round(font.size * 1.6)
    margin = round(10 * px_per_mm)
    image = Image.new(
        "L", (round(width_mm * px_per_mm), 2 * margin + line_height * len(lines)), 255
    )
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((margin, margin + index * line_height), line, font=font, fill=0)
    return image


def png_bytes(image: Image.Image, dpi: int = 300) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def tiff_bytes(images: Sequence[Image.Image], dpi: int = 300) -> bytes:
    """A multi-page TIFF, one page per image (as a document scanner writes them)."""
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="TIFF",
        save_all=True,
        append_images=list(images[1:]),
        compression="tiff_deflate",
        dpi=(dpi, dpi),
    )
    return buffer.getvalue()


def blank_png(width: int = 800, height: int = 600) -> bytes:
    return png_bytes(Image.new("L", (width, height), 255))


def scanned_pdf(pages: Sequence[Sequence[str] | None], dpi: int = 300) -> bytes:
    """A PDF whose pages are images only (no text layer); None makes a page with real text."""
    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(_PDF_FONT, _font_path()))
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for lines in pages:
        if lines is None:
            pdf.setFont(_PDF_FONT, 11)
            for index, paragraph in enumerate(GERMAN_PARAGRAPHS):
                pdf.drawString(20 * mm, A4[1] - (25 + 12 * index) * mm, paragraph)
        else:
            image = scan_image(lines, dpi=dpi)
            width = image.width / dpi * 25.4 * mm
            height = image.height / dpi * 25.4 * mm
            pdf.drawImage(_image_reader(image), 20 * mm, A4[1] - 20 * mm - height, width, height)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _image_reader(image: Image.Image) -> object:
    from reportlab.lib.utils import ImageReader

    return ImageReader(image)


def encrypted_pdf(password: str = "geheim") -> bytes:
    """A PDF that needs a password to open (RC4-128: pypdf writes it without extra packages)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(german_pdf(1))))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_document() -> bytes:
    """Word document: title, headings in English and German style names, a list, a table."""
    document = docx.Document()
    document.core_properties.title = "Angebot Badsanierung"
    german = document.styles.add_style("Überschrift 2", WD_STYLE_TYPE.PARAGRAPH)
    german.base_style = document.styles["Normal"]
    document.add_heading("Angebot Badsanierung", level=1)
    document.add_paragraph("Sehr geehrte Frau Schäfer, wir bieten Ihnen folgende Leistungen an.")
    document.add_paragraph("Leistungsumfang", style="Überschrift 2")
    document.add_paragraph("Fliesen entfernen und entsorgen", style="List Bullet")
    document.add_paragraph("Dämmung der Außenwand erneuern", style="List Bullet")
    table = document.add_table(rows=3, cols=3)
    rows = (
        ("Position", "Menge", "Preis"),
        ("Fliesenkleber C2TE", "12 Sack", "215,40 €"),
        ("Wärmedämmung WLG 035", "18 m²", "612,00 €"),
    )
    for row, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_page_break()  # type: ignore[no-untyped-call]
    document.add_heading("Zahlungsbedingungen", level=2)
    document.add_paragraph("Zahlbar innerhalb von 14 Tagen nach Rechnungsstellung.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bomb_docx(uncompressed_mb: int = 20) -> bytes:
    """A valid-looking DOCX whose document.xml is megabytes of one repeated byte (~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        chunk = b" " * (1024 * 1024)
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            for _ in range(uncompressed_mb):
                entry.write(chunk)
    return buffer.getvalue()


def lying_docx(declared_size: int = 1000) -> bytes:
    """A DOCX whose ZIP directory claims document.xml is tiny while it inflates to 5 MB.

    The directory check passes; only a guard on the bytes actually read catches it.
    """
    buffer = io.BytesIO()
    body = b"<w:document>" + b"A" * (5 * 1024 * 1024) + b"</w:document>"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", body)
    data = bytearray(buffer.getvalue())
    # Patch the uncompressed size in the local header and the central directory entry.
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, declared_size)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, declared_size)
    return bytes(data)


def html_page() -> bytes:
    """A web page whose navigation, cookie banner, footer and scripts must not be extracted."""
    return """<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>Dämmung im Altbau – Ratgeber</title>
<style>body { font-family: sans-serif; }</style>
<script>window.tracking = "Tracking-Skript";</script></head>
<body>
<header><nav><ul><li><a href="/">Startseite</a></li><li><a href="/shop">Onlineshop</a></li>
<li><a href="/kontakt">Kontakt</a></li></ul></nav></header>
<div class="cookie-banner">Wir verwenden Cookies.</div>
<main>
<article>
<h1>Dämmung im Altbau</h1>
<p>Eine gute Dämmung der Außenwand senkt die Heizkosten deutlich.</p>
<h2>Materialien</h2>
<ul><li>Mineralwolle WLG 035</li><li>Holzfaserplatten für Innendämmung</li></ul>
<table><tr><th>Material</th><th>Preis je m²</th></tr>
<tr><td>Mineralwolle</td><td>12,50 €</td></tr></table>
<p>Für Fliesen im Bad empfehlen wir flexiblen Fliesenkleber.</p>
</article>
</main>
<aside>Newsletter abonnieren</aside>
<footer><p>Impressum · Datenschutz · © 2024 Muster GmbH</p></footer>
<script>console.log("noch ein Skript")</script>
</body></html>
""".encode()
