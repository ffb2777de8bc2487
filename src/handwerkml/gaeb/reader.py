"""`read`: one GAEB file's bytes into a Tender, whichever of the three formats it is."""

from __future__ import annotations

from handwerkml.gaeb.da_xml import read_da_xml
from handwerkml.gaeb.errors import GaebError
from handwerkml.gaeb.gaeb90 import is_gaeb90, read_gaeb90
from handwerkml.gaeb.gaeb2000 import read_gaeb2000
from handwerkml.gaeb.model import Tender


def read(data: bytes, filename: str | None = None) -> Tender:
    """The bill in `data`, detected by content (the name only helps DA XML files that do not
    state their phase). Raises GaebError (422) with the reason and where it failed."""
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not start:
        raise GaebError("Die GAEB-Datei ist leer.")
    if is_gaeb90(data):
        return read_gaeb90(data)
    if start.startswith(b"#begin[GAEB]"):
        return read_gaeb2000(data)
    if start.startswith(b"<"):
        return read_da_xml(data, filename)
    raise GaebError(
        "Die Datei ist keine GAEB-Datei (weder DA XML, GAEB 2000 noch GAEB 90).", "Zeile 1"
    )
