"""Text extraction benchmark: PDF libraries, our PDF reader, and OCR per page.

    python bench/extract.py [--pages 50] [--repeat 5]

1. pypdfium2 vs pypdf on a generated `--pages`-page German PDF (DejaVu Sans
   embedded, 50 lines of text a page with umlauts, ß and ﬁ/ﬂ ligature glyphs):
   pages per second (best of `--repeat`) and whether umlauts and ligatures come
   out right.
2. `extract()` on a 5-page text PDF (what an upload of an offer costs).
3. OCR: one full A4 page (50 lines, 10 pt) rendered at 300 dpi, through
   `extract()` as a PNG, i.e. Tesseract deu+eng with OMP_THREAD_LIMIT=1.

Results go to bench/results/extract-<time>.json and stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pypdfium2 as pdfium
from pypdf import PdfReader

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from tests.documents import factories  # noqa: E402

from handwerkml.documents.extract import DocumentType, ExtractOptions, extract  # noqa: E402
from handwerkml.documents.extract.normalize import clean  # noqa: E402

RESULTS = HERE / "results"

LINES = [
    "Fliesenkleber C2TE für die Verlegung im Bad, Dämmung der Außenwand mit WLG 035.",
    "Die Oberﬂäche wird geschliffen; das Proﬁl der Treppe bleibt erhalten (Größe 30×30).",
    "Rechnung über Straßenbau, Überdachung und Pflasterarbeiten nach VOB/B § 14.",
    "Gemäß Aufmaß vom 12. März: 48,5 m² Estrich, 17 lfm Sockelleiste, 3 Stück Türzargen.",
    "Zahlbar innerhalb von 14 Tagen ohne Abzug; Skonto 2 % bei Zahlung binnen 7 Tagen.",
]


def dense_page(number: int, lines: int = 50) -> list[str]:
    return [f"Seite {number}", *(LINES[i % len(LINES)] for i in range(lines - 1))]


def best_of(repeat: int, run: Callable[[], list[str]]) -> tuple[float, list[str]]:
    run()  # warm-up: imports, font caches
    best, out = float("inf"), []
    for _ in range(repeat):
        started = time.perf_counter()
        out = run()
        best = min(best, time.perf_counter() - started)
    return best, out


def pdfium_pages(data: bytes) -> list[str]:
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def pypdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def quality(texts: list[str]) -> dict[str, bool]:
    joined = "\n".join(texts)
    return {
        "umlauts_and_sz": all(
            w in joined for w in ("Dämmung", "Außenwand", "Größe", "Überdachung")
        ),
        "ligatures_as_letters": "Oberfläche" in joined and "Profil" in joined,
        "ligature_codepoints_left": "\ufb01" in joined or "\ufb02" in joined,
        "page_order": all(t.startswith(f"Seite {n + 1}") for n, t in enumerate(texts)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    data = factories.text_pdf([dense_page(n + 1) for n in range(args.pages)], leading_mm=5)
    results: dict[str, object] = {"pages": args.pages, "pdf_bytes": len(data), "libraries": {}}
    libraries: dict[str, object] = {}
    for name, run in (("pypdfium2", pdfium_pages), ("pypdf", pypdf_pages)):
        seconds, texts = best_of(args.repeat, partial(run, data))
        libraries[name] = {
            "seconds": round(seconds, 4),
            "pages_per_s": round(args.pages / seconds, 1),
            **quality(texts),
        }
        print(f"{name:10s} {args.pages / seconds:8.1f} pages/s  {quality(texts)}")
    results["libraries"] = libraries

    five = factories.text_pdf([dense_page(n + 1) for n in range(5)], leading_mm=5)

    def extract_five() -> list[str]:
        return [extract(five, DocumentType.PDF, ExtractOptions()).text]

    seconds, _ = best_of(args.repeat, extract_five)
    results["extract_5_page_pdf_s"] = round(seconds, 4)
    print(f"extract() 5-page text PDF: {seconds * 1000:.1f} ms")

    scan = factories.png_bytes(factories.scan_image(dense_page(1), width_mm=210, font_pt=10))
    started = time.perf_counter()
    document = extract(scan, DocumentType.PNG, ExtractOptions())
    ocr_s = time.perf_counter() - started
    expected = clean(" ".join(dense_page(1))).split()
    found = set(document.text.split())
    missed = sorted({word for word in expected if word not in found})
    word_recall = sum(word in found for word in expected) / len(expected)
    results["ocr_a4_300dpi"] = {
        "seconds": round(ocr_s, 2),
        "word_recall": round(word_recall, 3),
        "missed_words": missed,
    }
    print(f"OCR one A4 page at 300 dpi: {ocr_s:.2f} s, word recall {word_recall:.1%}")
    print(f"  words not read exactly: {' '.join(missed)}")

    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"extract-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
