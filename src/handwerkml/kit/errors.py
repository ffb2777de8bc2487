"""Domain errors that carry their HTTP status.

Services raise these and never import FastAPI; one handler in app.py renders
them in FastAPI's {"detail": ...} shape that existing clients read.
"""

from __future__ import annotations

from typing import Any


class HandwerkError(Exception):
    status_code = 400

    def __init__(self, detail: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class NotFound(HandwerkError):
    """Missing, or owned by another tenant: the two are indistinguishable on purpose."""

    status_code = 404

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class Conflict(HandwerkError):
    status_code = 409


class BadRequest(HandwerkError):
    status_code = 400


class PayloadTooLarge(HandwerkError):
    status_code = 413


class UnsupportedMediaType(HandwerkError):
    status_code = 415


class Unprocessable(HandwerkError):
    """A 422 in the shape FastAPI gives validation errors, so clients parse one format."""

    status_code = 422

    def __init__(self, msg: str, *, loc: tuple[str | int, ...] = ("body",)) -> None:
        super().__init__([{"type": "value_error", "loc": list(loc), "msg": msg, "input": None}])


class NotAuthenticated(HandwerkError):
    status_code = 401

    def __init__(self, detail: str = "Not authenticated") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class PermissionDenied(HandwerkError):
    status_code = 403


class TooManyRequests(HandwerkError):
    status_code = 429

    def __init__(self, detail: str, *, retry_after_seconds: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(retry_after_seconds, 1))})
