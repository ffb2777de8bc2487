"""`handwerkml gaeb inspect`: prints what the reader sees, stores nothing (no database here)."""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree
from typer.testing import CliRunner

from handwerkml.cli import app
from tests.gaeb.files import GAEB_DIR, gaeb_file

runner = CliRunner()


def test_inspect_json_prints_header_and_every_item() -> None:
    name = "BVBS_Pruefdatei_3.3_Bauausfuehrung_2021.x84"
    raw = etree.fromstring(gaeb_file(name))
    item_ids = raw.xpath("//*[local-name()='Item' or local-name()='MarkupItem']/@ID")
    result = runner.invoke(app, ["gaeb", "inspect", "--json", str(GAEB_DIR / name)])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["format"], shown["version"], shown["phase"]) == ("da_xml", "3.3", 84)
    assert shown["project"] == {"name": "BVBS GAEB Muster", "label": "BVBS GAEB Musterdatei 3.3"}
    assert shown["currency"] == "EUR"
    assert len(shown["items"]) == len(item_ids)
    assert set(shown["items"][0]) == {"oz", "short_text", "qty", "unit", "kind", "up", "it"}
    assert shown["items"][0]["oz"] == "001.001.0010"
    assert (shown["items"][0]["up"], shown["items"][0]["it"]) == ("5000.000", "5000.00")


def test_inspect_table_of_a_gaeb90_tender() -> None:
    gaeb_file("LV_Los01.D83")
    result = runner.invoke(app, ["gaeb", "inspect", str(GAEB_DIR / "LV_Los01.D83")])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("gaeb90 90, phase 83, EUR")
    assert "01.0010" in result.stdout
    assert "Anlaufberatung, Baufeldübergabe" in result.stdout


def test_inspect_an_unreadable_file_fails_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "kaputt.x83"
    path.write_bytes(b"<?xml version='1.0'?><GAEB><Award><DP>83")
    result = runner.invoke(app, ["gaeb", "inspect", "--json", str(path)])
    assert result.exit_code == 1
    assert "kein gültiges XML" in result.stderr
    assert result.stdout == ""
