"""GAEB reader and X84 writer: time and peak memory.

    python bench/gaeb.py [--repeat 5] [--items 10000]

1. `handwerkml.gaeb.read` on the largest shared fixture (../shared/fixtures/gaeb,
   skipped when absent): best and median wall and CPU time of `--repeat` runs
   (CPU time is what to compare on a shared machine), the peak Python allocation
   of one run (tracemalloc), and the growth of peak RSS while a fresh process
   parses it (this includes libxml2's tree, which tracemalloc does not see).
2. The same for a synthetic DA XML 3.3 X83 with `--items` items (10 × 10
   categories, long texts of about 400 characters), generated here with lxml.
3. `write_x84` for the synthetic bill with a price for every item.

Results go to bench/results/gaeb.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "src"))

from handwerkml.gaeb import read, write_x84  # noqa: E402

RESULTS = HERE / "results"
FIXTURES = HERE.parent.parent / "shared" / "fixtures" / "gaeb"
NS = "http://www.gaeb.de/GAEB_DA_XML/DA83/3.3"
LONG_TEXT = (
    "Innenwandfläche aus Kalksandstein, zweiseitig als Sichtmauerwerk, mit "
    "Stoßfugenvermörtelung, Dispersionsfarbe nach DIN EN 13300, Nassabriebklasse 2, "
    "Deckvermögen Klasse 2, zweimaliger Anstrich, Farbton weiß, einschließlich "
    "Grundierung und Abdecken angrenzender Bauteile, Höhe bis 3,50 m."
)


def synthetic_x83(items: int) -> bytes:
    """A DA XML 3.3 tender with `items` items in 10 × 10 categories."""

    def sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{NS}}}{tag}")
        element.text = text
        return element

    root = etree.Element(f"{{{NS}}}GAEB", nsmap={None: NS})
    info = sub(root, "GAEBInfo")
    sub(info, "Version", "3.3")
    sub(info, "VersDate", "2021-05")
    project = sub(root, "PrjInfo")
    sub(project, "NamePrj", "BENCH")
    sub(project, "LblPrj", "Synthetisches Leistungsverzeichnis")
    award = sub(root, "Award")
    sub(award, "DP", "83")
    sub(sub(award, "AwardInfo"), "Cur", "EUR")
    boq = sub(award, "BoQ")
    boq.set("ID", "B1")
    boq_info = sub(boq, "BoQInfo")
    for kind, length in (("BoQLevel", "2"), ("BoQLevel", "2"), ("Item", "4")):
        bkdn = sub(boq_info, "BoQBkdn")
        sub(bkdn, "Type", kind)
        sub(bkdn, "Length", length)
    body = sub(boq, "BoQBody")
    per_category = max(items // 100, 1)
    number = 0
    for outer in range(1, 11):
        category = sub(body, "BoQCtgy")
        category.set("RNoPart", f"{outer:02d}")
        sub(sub(category, "LblTx"), "span", f"Gewerk {outer}")
        inner_body = sub(category, "BoQBody")
        for inner in range(1, 11):
            sub_category = sub(inner_body, "BoQCtgy")
            sub_category.set("RNoPart", f"{inner:02d}")
            sub(sub(sub_category, "LblTx"), "span", f"Abschnitt {outer}.{inner}")
            itemlist = sub(sub(sub_category, "BoQBody"), "Itemlist")
            for position in range(1, per_category + 1):
                number += 1
                item = sub(itemlist, "Item")
                item.set("ID", f"I{number}")
                item.set("RNoPart", f"{position * 10:04d}")
                sub(item, "Qty", f"{number % 997 + 1}.250")
                sub(item, "QU", "m2")
                text = sub(sub(item, "Description"), "CompleteText")
                detail = sub(sub(sub(text, "DetailTxt"), "Text"), "p")
                sub(detail, "span", f"{LONG_TEXT} Position {number}.")
                outline = sub(sub(sub(text, "OutlineText"), "OutlTxt"), "TextOutlTxt")
                sub(outline, "span", f"Wand streichen, Variante {number}")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def measure(run: Callable[[], object], repeat: int) -> dict[str, Any]:
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "wall_best_s": round(min(wall), 4),
        "wall_median_s": round(statistics.median(wall), 4),
        "cpu_best_s": round(min(cpu), 4),
        "cpu_median_s": round(statistics.median(cpu), 4),
        "peak_python_mib": round(peak / 2**20, 1),
    }


def rss_growth_mib(data: bytes) -> float:
    """Peak RSS growth of a fresh process while it reads `data`."""
    with tempfile.NamedTemporaryFile(suffix=".X83") as file:
        file.write(data)
        file.flush()
        out = subprocess.run(
            [sys.executable, __file__, "--rss-of", file.name],
            check=True,
            capture_output=True,
            text=True,
        )
    return round(int(out.stdout) / 1024, 1)


def _peak_rss_kib() -> int:
    # VmHWM belongs to this process's memory map; getrusage's ru_maxrss would carry the
    # parent's peak over fork and exec and hide the growth.
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1])


def _rss_of(path: str) -> None:
    data = Path(path).read_bytes()
    before = _peak_rss_kib()
    tender = read(data)
    after = _peak_rss_kib()
    assert tender.items
    print(after - before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rss-of", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_of:
        _rss_of(args.rss_of)
        return
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "repeat": args.repeat,
    }
    fixtures = [p for p in FIXTURES.glob("*") if p.suffix != ".md"] if FIXTURES.is_dir() else []
    if fixtures:
        largest = max(fixtures, key=lambda p: p.stat().st_size)
        data = largest.read_bytes()
        tender = read(data, largest.name)
        results["largest_fixture"] = {
            "file": largest.name,
            "bytes": len(data),
            "items": len(tender.items),
            **measure(lambda: read(data, largest.name), args.repeat),
            "rss_growth_mib": rss_growth_mib(data),
        }
    synthetic = synthetic_x83(args.items)
    tender = read(synthetic)
    results["synthetic"] = {
        "bytes": len(synthetic),
        "items": len(tender.items),
        **measure(lambda: read(synthetic), args.repeat),
        "rss_growth_mib": rss_growth_mib(synthetic),
    }
    prices = {item.oz: Decimal("12.345") for item in tender.items}
    offer = write_x84(tender, prices)
    results["synthetic_write_x84"] = {
        "bytes": len(offer),
        **measure(lambda: write_x84(tender, prices), args.repeat),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gaeb.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
