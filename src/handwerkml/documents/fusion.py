"""Reciprocal rank fusion: one ranking out of several (vector hits, keyword hits).

RRF (Cormack, Clarke, Büttcher 2009) scores an id by Σ weight / (k + rank) over
the rankings it appears in. It needs only ranks, never scores, so a cosine
similarity and a BM25 value, which live on unrelated scales, fuse without any
calibration.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

DEFAULT_K = 60


def rrf(
    rankings: Sequence[Sequence[str]],
    k: int = DEFAULT_K,
    weights: Sequence[float] | None = None,
) -> list[tuple[str, float]]:
    """Ids of all rankings, best first, with their fused score.

    Ranks are 1-based. An id listed twice in one ranking counts at its first
    (best) place only. Equal scores are ordered by the best rank the id reached
    in any ranking, then by the earliest ranking it appears in, then by id, so
    the same input always gives the same order.
    """
    if k < 0:
        raise ValueError("k must not be negative")
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    if any(not math.isfinite(w) or w < 0 for w in weights):
        raise ValueError("weights must be finite and not negative")

    contributions: dict[str, list[float]] = {}
    best_rank: dict[str, int] = {}
    first_list: dict[str, int] = {}
    for list_index, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        seen: set[str] = set()
        for rank, item in enumerate(ranking, start=1):
            if item in seen:
                continue
            seen.add(item)
            contributions.setdefault(item, []).append(weight / (k + rank))
            best_rank[item] = min(best_rank.get(item, rank), rank)
            first_list.setdefault(item, list_index)
    # fsum is exactly rounded, so the score does not depend on the order the
    # rankings came in, and equal sums compare equal.
    scores = {item: math.fsum(parts) for item, parts in contributions.items()}
    order = sorted(scores, key=lambda i: (-scores[i], best_rank[i], first_list[i], i))
    return [(item, scores[item]) for item in order]
