"""skip/limit paging as the seed system's clients send it; totals travel in X-Total-Count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response

from handwerkml.kit.schemas import MAX_ID

TOTAL_COUNT_HEADER = "X-Total-Count"


@dataclass(frozen=True, slots=True)
class Page:
    skip: int
    limit: int


async def _page(
    skip: Annotated[int, Query(ge=0, le=MAX_ID, description="Rows to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=500, description="Rows to return")] = 100,
) -> Page:
    return Page(skip=skip, limit=limit)


PageDep = Annotated[Page, Depends(_page)]


def set_total(response: Response, total: int) -> None:
    response.headers[TOTAL_COUNT_HEADER] = str(total)
