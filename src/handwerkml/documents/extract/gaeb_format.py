"""How a GAEB position reads as text, whichever GAEB format it came from."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def position_text(oz: str, short: str, long: str, quantity: str, unit: str) -> str:
    """The block text of one position; shared with the legacy formats."""
    head = f"{oz}  {short}".strip() if short else oz
    text = f"{head}\n{long}" if long else head
    amount = f"{quantity} {unit}".strip()
    return f"{text}  {amount}" if amount else text


def german_quantity(value: str) -> str:
    """'1.000' → '1', '12345.500' → '12345,5' (GAEB writes a decimal point)."""
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return value.strip()
    text = f"{number.normalize():f}"
    return text.replace(".", ",")
