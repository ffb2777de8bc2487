"""pygaeb and gaeb (both MIT, PyPI) against our reader on every shared GAEB fixture.

Neither library is a project dependency, so this runs in a scratch environment:

    python3 -m venv /tmp/gaebeval && /tmp/gaebeval/bin/pip install pygaeb==1.20.0 gaeb==0.5.4
    /tmp/gaebeval/bin/python bench/gaeb_libraries.py

For each file: the truth counted from the raw bytes (Item + MarkupItem elements by
XPath, records 21 in GAEB 90, #begin[Position] in GAEB 2000; Version and DP), then
per reader the items found, the version and phase it reports, how many items carry
the full ordinal number padded per BoQBkdn (the OZ an X84 is matched by; the
reference is our reader's OZ, which tests/gaeb/test_read.py checks against XPath and
line scans of the raw files), how many OZ occur twice, the error if it failed, and
the time. Writes
bench/results/gaeb_libraries.json and prints a Markdown table (docs/gaeb.md).
"""

from __future__ import annotations

import importlib
import json
import logging
import re
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

HERE = Path(__file__).resolve().parent
# bench/gaeb.py would shadow the `gaeb` library: leave the script's folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent / "src"))

from handwerkml.gaeb import read  # noqa: E402

FIXTURES = HERE.parent.parent / "shared" / "fixtures" / "gaeb"


def truth(path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix.startswith(".x"):
        root = etree.fromstring(data)
        items = root.xpath("count(//*[local-name()='Item' or local-name()='MarkupItem'])")
        version = root.xpath("string(//*[local-name()='GAEBInfo']/*[local-name()='Version'])")
        phase = root.xpath("string(//*[local-name()='Award']/*[local-name()='DP'])")
        return {"items": int(items), "version": version, "phase": phase}
    if suffix.startswith(".d"):
        lines = data.decode("cp850").splitlines()
        return {"items": sum(1 for line in lines if line[:2] == "21"), "version": "90"}
    text = data.decode("cp1252")
    return {"items": text.count("#begin[Position]"), "version": "2000"}


def ours(path: Path) -> dict[str, Any]:
    tender = read(path.read_bytes(), path.name)
    return {
        "items": len(tender.items),
        "version": tender.version,
        "phase": str(tender.phase),
        "oz": [item.oz_dotted for item in tender.items],
    }


def pygaeb(path: Path) -> dict[str, Any]:
    parser: Any = importlib.import_module("pygaeb").GAEBParser
    document = parser.parse(path)
    items = list(document.award.boq.iter_items())
    return {
        "items": len(items),
        "version": document.source_version.value,
        "phase": re.sub(r"\D", "", document.exchange_phase.value),
        "oz": [
            ".".join([*i.oz_path, i.oz, *([i.rno_index] if i.rno_index else [])]) for i in items
        ],
    }


def gaeb(path: Path) -> dict[str, Any]:
    module: Any = importlib.import_module("gaeb")
    suffix = path.suffix.lower()
    if suffix.startswith(".x"):
        bill = module.read_xml(path)
    elif suffix.startswith(".d"):
        bill = module.read_gaeb90(path)
    else:
        bill = module.read_gaeb2000(path)
    items = bill.alle_positionen
    return {
        "items": len(items),
        "version": bill.xml_version,
        "phase": str(bill.phase.value) if bill.phase else None,
        # gaeb gives the OZ without separators; compared with ours without dots.
        "oz_flat": [item.oz for item in items],
    }


def run(
    reader: Callable[[Path], dict[str, Any]], path: Path, expected: list[str]
) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        result = reader(path)
    except Exception as error:  # a crash is what is being measured
        message = " ".join(str(error).split())
        return {"error": f"{type(error).__name__}: {message[:120]}"}
    result["seconds"] = round(time.perf_counter() - start, 3)
    if "oz_flat" in result:
        flat = [oz.replace(".", "") for oz in expected]
        found = result.pop("oz_flat")
    else:
        flat, found = expected, result.pop("oz")
    result["oz_right"] = sum(1 for a, b in zip(found, flat, strict=False) if a == b)
    result["oz_twice"] = sum(n - 1 for n in Counter(found).values() if n > 1)
    return result


def pygaeb_writer() -> dict[str, Any]:
    """What pygaeb's X84 writer makes of the handbook bill with a unit price on every item."""
    module: Any = importlib.import_module("pygaeb")
    enums: Any = importlib.import_module("pygaeb.models.enums")
    document = module.GAEBParser.parse(FIXTURES / "aus-dem-handbuch_gaebxml31.x83")
    for item in document.award.boq.iter_items():
        item.unit_price = Decimal("12.345")
    out: dict[str, Any] = {}
    for version in ("DA_XML_31", "DA_XML_33"):
        data, notes = module.GAEBWriter.to_bytes(
            document,
            phase=enums.ExchangePhase.X84,
            target_version=getattr(enums.SourceVersion, version),
        )
        root = etree.fromstring(data)
        out[version] = {
            "namespace": root.nsmap[None],
            "UP": sorted(set(root.xpath("//*[local-name()='UP']/text()"))),
            "IT elements": int(root.xpath("count(//*[local-name()='IT'])")),
            "Totals": sorted(set(root.xpath("//*[local-name()='Total']/text()"))),
            "notes": notes,
        }
    return out


def main() -> None:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    rows: list[dict[str, Any]] = []
    for path in sorted(p for p in FIXTURES.iterdir() if p.suffix != ".md"):
        reference = ours(path)
        expected = reference["oz"]
        rows.append(
            {
                "file": path.name,
                "truth": truth(path),
                "ours": run(ours, path, expected),
                "pygaeb": run(pygaeb, path, expected),
                "gaeb": run(gaeb, path, expected),
            }
        )
    writer = pygaeb_writer()
    results = {"readers": rows, "pygaeb_writer": writer}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "gaeb_libraries.json").write_text(json.dumps(results, indent=2) + "\n")
    print("| file | truth: items, version, phase | ours | pygaeb 1.20.0 | gaeb 0.5.4 |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        cells = [_cell(row[name], row["truth"]["items"], name) for name in READERS]
        t = row["truth"]
        head = f"{t['items']}, {t['version']}, {t.get('phase') or row['file'][-2:]}"
        print(f"| {row['file']} | {head} | {' | '.join(cells)} |")
    print("\npygaeb X84 writer, handbook bill, UP 12.345 on every item:")
    print(json.dumps(writer, indent=2, ensure_ascii=False))


READERS = ("ours", "pygaeb", "gaeb")


def _cell(result: dict[str, Any], items: int, name: str) -> str:
    if "error" in result:
        return f"**crash** `{result['error'][:70]}`"
    twice = f", {result['oz_twice']} OZ twice" if result["oz_twice"] else ""
    oz = "" if name == "ours" else f", OZ right {result['oz_right']}/{items}{twice}"
    return (
        f"{result['items']} items, v {result['version']}, ph {result['phase']}{oz}, "
        f"{result['seconds']} s"
    )


if __name__ == "__main__":
    main()
