"""Reciprocal rank fusion: the formula, weights, and an order that never depends on chance."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handwerkml.documents.fusion import rrf


def test_one_ranking_keeps_its_order_with_the_rrf_score() -> None:
    assert rrf([["a", "b", "c"]], k=60) == [("a", 1 / 61), ("b", 1 / 62), ("c", 1 / 63)]


def test_an_id_in_both_rankings_beats_ids_in_one() -> None:
    fused = rrf([["a", "b", "c"], ["c", "d"]], k=60)
    assert fused[0] == ("c", 1 / 63 + 1 / 61)
    assert [item for item, _ in fused] == ["c", "a", "b", "d"]


def test_weights_scale_each_rankings_share() -> None:
    fused = dict(rrf([["a"], ["b"]], k=0, weights=[1.0, 3.0]))
    assert fused == {"a": 1.0, "b": 3.0}
    assert [item for item, _ in rrf([["a"], ["b"]], weights=[1.0, 3.0])] == ["b", "a"]


def test_equal_scores_order_by_best_rank_then_first_ranking_then_id() -> None:
    # a: 1st and 3rd, b: 3rd and 1st: equal sums, equal best rank, both in the
    # first ranking: the id decides.
    assert [i for i, _ in rrf([["a", "x", "b"], ["b", "y", "a"]])][:2] == ["a", "b"]
    # Same score from one place each: the earlier ranking wins, not the id.
    assert [i for i, _ in rrf([["z"], ["a"]])] == ["z", "a"]
    # Same score (k=0: 1/2 + 1/2 = 1/1), different best rank: 1st beats 2nd twice.
    fused = rrf([["q", "p"], ["x", "p"]], k=0)
    assert fused == [("q", 1.0), ("x", 1.0), ("p", 1.0)]


def test_a_duplicate_within_a_ranking_counts_once_at_its_best_place() -> None:
    assert dict(rrf([["a", "b", "a"]], k=0)) == {"a": 1.0, "b": 0.5}


def test_the_order_of_rankings_does_not_change_the_scores() -> None:
    lists = [["a", "b", "c", "d"], ["d", "c", "e"], ["e", "a"]]
    forward = dict(rrf(lists))
    backward = dict(rrf(list(reversed(lists))))
    assert forward == backward  # exactly: fsum rounds once


def test_nothing_in_nothing_out() -> None:
    assert rrf([]) == []
    assert rrf([[], []]) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"k": -1}, "k must not be negative"),
        ({"weights": [1.0]}, "one weight per ranking"),
        ({"weights": [1.0, -0.5]}, "finite and not negative"),
        ({"weights": [1.0, math.nan]}, "finite and not negative"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rrf([["a"], ["b"]], **kwargs)  # type: ignore[arg-type]


rankings = st.lists(st.lists(st.sampled_from("abcdefghij"), max_size=8), max_size=4)


@given(rankings)
def test_every_id_once_scores_by_the_formula_best_first(lists: list[list[str]]) -> None:
    fused = rrf(lists, k=60)
    ids = [item for item, _ in fused]
    assert sorted(ids) == sorted({item for ranking in lists for item in ranking})
    assert all(a[1] >= b[1] for a, b in itertools.pairwise(fused))
    for item, score in fused:
        expected = sum(1 / (60 + ranking.index(item) + 1) for ranking in lists if item in ranking)
        assert math.isclose(score, expected, rel_tol=1e-12)
    assert rrf(lists, k=60) == fused
