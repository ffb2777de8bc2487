"""Case-insensitive text matching that folds umlauts, the same on SQLite and PostgreSQL.

SQLite's LIKE and lower() fold ASCII only, and PostgreSQL's ILIKE depends on the
database locale, so "KÜCHE" would miss "Küche". Spelling each letter as a class
of its cases ([kK][üÜ]...) needs neither: the regular expression means the same
to Python's re (SQLite's REGEXP, which SQLAlchemy installs) and PostgreSQL's `~`.
The database does the matching, so paging and counts stay right.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression


def case_insensitive_regex(term: str) -> str:
    """A regular expression matching `term` literally, in any letter case."""
    parts = []
    for char in term:
        # "ß".upper() is "SS": variants longer than one character cannot sit in a class.
        cases = sorted({c for c in (char, char.lower(), char.upper()) if len(c) == 1})
        if len(cases) > 1:
            parts.append(f"[{''.join(cases)}]")
        elif char.isalnum():
            parts.append(char)
        else:
            # Both dialects read a backslash before a non-alphanumeric character as that character.
            parts.append("\\" + char)
    return "".join(parts)


def contains_ci(column: SQLColumnExpression[str | None], text: str) -> ColumnElement[bool]:
    """`column` contains `text`, ignoring case."""
    return column.regexp_match(case_insensitive_regex(text))


def equals_ci(column: SQLColumnExpression[str | None], text: str) -> ColumnElement[bool]:
    """`column` equals `text`, ignoring case."""
    return column.regexp_match(rf"\A{case_insensitive_regex(text)}\Z")
