"""One spelling per unit of measure, so that "m²", "m2" and "qm" find each other.

GAEB leaves the unit free text (up to four characters in DA XML): every exporter
spells it its own way. History matches compare normalized units only.
"""

from __future__ import annotations

import re

_SPELLINGS: dict[str, tuple[str, ...]] = {
    "m2": ("m2", "m²", "qm", "quadratmeter", "m^2"),
    "m3": ("m3", "m³", "cbm", "kubikmeter", "m^3"),
    "m": ("m", "lfm", "lfdm", "lfd.m", "lfd. m", "meter", "lm"),
    "stk": ("stk", "st", "stück", "stck", "stk.", "st.", "stueck", "pcs"),
    "psch": ("psch", "pauschal", "psch.", "pau", "pschl", "ps", "lump sum"),
    "h": ("h", "std", "std.", "stunde", "stunden", "stdn"),
    "t": ("t", "to", "tonne", "tonnen"),
    "kg": ("kg", "kilogramm"),
    "l": ("l", "ltr", "liter"),
    "d": ("d", "tag", "tage", "wt"),
    "wo": ("wo", "woche", "wochen"),
    "mon": ("mon", "monat", "monate", "mt"),
}
_LOOKUP = {spelling: unit for unit, spellings in _SPELLINGS.items() for spelling in spellings}
_SPACE = re.compile(r"\s+")


def normalize_unit(unit: str) -> str:
    """The unit's canonical name ("m2", "stk", "psch", "h" …); an unknown unit stays as
    written, lower-cased, so it still matches itself."""
    folded = _SPACE.sub(" ", unit.strip().lower())
    return _LOOKUP.get(folded, _LOOKUP.get(folded.rstrip("."), folded))


def is_hourly_unit(unit: str) -> bool:
    return normalize_unit(unit) == "h"
