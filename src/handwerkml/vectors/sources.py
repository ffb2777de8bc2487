"""What can be embedded, by name: how to load the text of a "project", a "chunk".

A loader turns source ids into `Source` values (text to embed and the metadata
searches filter on). Writers use it to embed something new, and a model
migration uses it to embed everything again with another model, so the texts
never need a copy in the vector rows. Packages register their sources; see
similarity/projects.py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.vectors.index import Source

# (session, tenant_id, ids) -> the sources among `ids` that exist in that tenant.
SourceLoader = Callable[[AsyncSession, int, Sequence[int]], Awaitable[list[Source]]]

_LOADERS: dict[str, SourceLoader] = {}


def register_source(name: str) -> Callable[[SourceLoader], SourceLoader]:
    def register(loader: SourceLoader) -> SourceLoader:
        _LOADERS[name] = loader
        return loader

    return register


def get_loader(name: str) -> SourceLoader:
    try:
        return _LOADERS[name]
    except KeyError:
        raise LookupError(f"no embeddable source named {name!r}") from None


def source_names() -> list[str]:
    return sorted(_LOADERS)
