"""Case-insensitive text matching that also folds umlauts, on SQLite and PostgreSQL alike.

SQLite's LIKE and lower() fold ASCII letters only, so "DÄMMUNG" would not find
"Dämmung". Instead of filtering in Python (which breaks paging and counts) the
SQLite variant turns the search text into a GLOB pattern in which every cased
letter becomes a class of its case variants: "Dä" -> "[Dd][Ää]". GLOB compares
UTF-8 characters, so this is an exact, Unicode-aware case-insensitive match
done by the database. PostgreSQL uses ILIKE, which folds according to the
database's LC_CTYPE (C.UTF-8 and the de_DE/en_US locales fold umlauts; a
database created with the plain "C" locale folds ASCII only).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression

_GLOB_SPECIAL = frozenset("*?[")
_LIKE_ESCAPE = "\\"


def _glob_class(char: str) -> str:
    if char in _GLOB_SPECIAL:
        return f"[{char}]"
    # "ß".upper() is "SS": variants that are not one character cannot sit in a class.
    variants = sorted({v for v in (char, char.lower(), char.upper()) if len(v) == 1})
    return f"[{''.join(variants)}]" if len(variants) > 1 else char


def glob_pattern(text: str) -> str:
    """A GLOB pattern matching `text` exactly, ignoring case."""
    return "".join(_glob_class(char) for char in text)


def _escape_like(text: str) -> str:
    for char in (_LIKE_ESCAPE, "%", "_"):
        text = text.replace(char, _LIKE_ESCAPE + char)
    return text


def contains_ci(
    dialect: str, column: SQLColumnExpression[str | None], text: str
) -> ColumnElement[bool]:
    """`column` contains `text`, ignoring case."""
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(f"*{glob_pattern(text)}*")
    return column.ilike(f"%{_escape_like(text)}%", escape=_LIKE_ESCAPE)


def equals_ci(
    dialect: str, column: SQLColumnExpression[str | None], text: str
) -> ColumnElement[bool]:
    """`column` equals `text`, ignoring case."""
    if dialect == "sqlite":
        return column.op("GLOB", is_comparison=True)(glob_pattern(text))
    return column.ilike(_escape_like(text), escape=_LIKE_ESCAPE)
