"""The regular expression behind case-insensitive search, checked against Python's re."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from handwerkml.kit.text import case_insensitive_regex


def test_umlauts_match_in_any_case() -> None:
    pattern = re.compile(case_insensitive_regex("KÜCHE"))
    assert pattern.search("Einbauküche in Eiche")
    assert not pattern.search("Kuche")


@given(st.text(min_size=1, max_size=20))
def test_any_text_matches_itself_literally(text: str) -> None:
    # Special characters (., *, [, \\ …) are matched as themselves, never as syntax.
    pattern = re.compile(case_insensitive_regex(text))
    assert pattern.search(f"vorher {text} nachher")
    assert pattern.search(text.upper()) or len(text.upper()) != len(text)
