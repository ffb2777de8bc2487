"""The one error a GAEB file that cannot be read raises: a 422 that says why and where."""

from __future__ import annotations

from handwerkml.kit.errors import Unprocessable


class GaebError(Unprocessable):
    """The bytes are not a readable GAEB bill; `reason` says why, `where` where it failed
    (a line number, an XPath, or "" when the whole file is the problem).

    It is an `Unprocessable`, so an endpoint that lets it through answers 422 with
    the reason; `str(error)` is the same message for logs and the CLI.
    """

    def __init__(self, reason: str, where: str = "") -> None:
        self.reason = reason
        self.where = where
        message = f"{reason} ({where})" if where else reason
        super().__init__(message, loc=("body", "file"))
        self.message = message

    def __str__(self) -> str:
        return self.message
