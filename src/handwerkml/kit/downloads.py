"""Headers of a response that the browser should save as a file."""

from __future__ import annotations

from urllib.parse import quote


def attachment(filename: str) -> str:
    """A Content-Disposition header value that saves the response as `filename`.

    Headers are Latin-1: an ASCII fallback name for old clients, and the real one
    per RFC 6266/5987 for everyone else.
    """
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
