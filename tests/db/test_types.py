"""Scaled-integer money and quantity columns: exact on every engine."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite

from handwerkml.db.types import Money, Quantity

# The conversion does not depend on the dialect; any one will do.
SQLITE = SQLiteDialect_aiosqlite()


@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_money_round_trips_to_the_cent(value: Decimal) -> None:
    column = Money()
    stored = column.process_bind_param(value, SQLITE)
    assert isinstance(stored, int)
    assert column.process_result_value(stored, SQLITE) == value


@given(st.decimals(min_value=0, max_value=Decimal("999999999.999"), places=3))
def test_quantities_keep_three_decimals(value: Decimal) -> None:
    column = Quantity()
    stored = column.process_bind_param(value, SQLITE)
    assert column.process_result_value(stored, SQLITE) == value


def test_extra_digits_round_half_up() -> None:
    column = Money()
    assert column.process_bind_param(Decimal("49.975"), SQLITE) == 4998
    assert column.process_bind_param(Decimal("0.004"), SQLITE) == 0
