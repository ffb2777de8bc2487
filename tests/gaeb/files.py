"""The shared GAEB fixtures (../shared/fixtures/gaeb, see SOURCES.md there).

They live beside the checkout, not in it (their SOURCES.md asks so): a checkout
without them (a clone elsewhere) skips these tests; with them, a missing file fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

GAEB_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "gaeb"

XML_FILES = [
    "BVBS_Pruefdatei_3.3_Bauausfuehrung_2021.x84",
    "LV_Los01.X83",
    "Musterdatei_3.1_2008-001.X83",
    "Musterdatei_3.1_2008-001.X84",
    "Musterdatei_3.1_2008-001.X86",
    "Musterdatei_3.1_2008-004.X83",
    "Musterdatei_3.1_2008-004.X86",
    "Pruefdatei_3.3_Bauausfuehrung_2024.x83",
    "Pruefdatei_3.3_Texterstellung_2021.x82",
    "aus-dem-handbuch_gaebxml30.x83",
    "aus-dem-handbuch_gaebxml31.x83",
]
GAEB90_FILES = ["LV_Los01.D83", "aus-dem-handbuch_gaeb90.d83"]
GAEB2000_FILES = ["LV_Los01.P83", "aus-dem-handbuch_gaeb2000.p83"]
HANDBOOK_FILES = [
    "aus-dem-handbuch_gaebxml30.x83",
    "aus-dem-handbuch_gaebxml31.x83",
    "aus-dem-handbuch_gaeb2000.p83",
    "aus-dem-handbuch_gaeb90.d83",
]
LOS01_FILES = ["LV_Los01.X83", "LV_Los01.D83", "LV_Los01.P83"]


def gaeb_file(name: str) -> bytes:
    if not GAEB_DIR.is_dir():
        pytest.skip(f"no shared GAEB fixtures beside the checkout ({GAEB_DIR})")
    path = GAEB_DIR / name
    if not path.exists():
        pytest.fail(f"GAEB fixture missing: {path}", pytrace=False)
    return path.read_bytes()
