"""The per-tenant catalog of known project types: seed, suggestions and normalisation.

project_type stays free text (the seed system's clients send anything); the
catalog only makes spellings agree, so "treppenbau " is stored as "Treppenbau"
and filters and statistics see one type instead of two.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import ProjectType
from handwerkml.kit.errors import Conflict
from handwerkml.projects.repository import ProjectTypeRepository


@dataclass(frozen=True, slots=True)
class SeedType:
    name: str
    trade: str
    description: str


SEED_PROJECT_TYPES: tuple[SeedType, ...] = (
    SeedType("Treppenbau", "Tischlerei", "Treppen, Podeste, Geländer und Handläufe"),
    SeedType("Möbel", "Tischlerei", "Einzelmöbel und Einbaumöbel nach Maß"),
    SeedType("Kücheneinrichtung", "Tischlerei", "Küchen planen, fertigen und montieren"),
    SeedType("Spezialbau", "Tischlerei", "Sonderanfertigungen, Ladenbau, Messebau"),
    SeedType("Dachstuhl", "Zimmerei", "Dachstühle, Gauben und Holzkonstruktionen"),
    SeedType("Polsterei", "Polsterei", "Polstern und Beziehen von Möbeln"),
    SeedType("Fliesenarbeiten", "Fliesenleger", "Wand- und Bodenfliesen, Naturstein"),
    SeedType("Malerarbeiten", "Maler", "Anstrich, Tapezieren, Lackieren"),
    SeedType("Elektro", "Elektro", "Elektroinstallation und Beleuchtung"),
    SeedType("Sanitär", "Sanitär", "Bad, Wasser- und Abwasserinstallation"),
    SeedType("Bodenbeläge", "Bodenleger", "Parkett, Dielen, Laminat, Vinyl"),
    SeedType("Fenster und Türen", "Tischlerei", "Fenster, Haus- und Innentüren"),
)


def catalog_key(name: str) -> str:
    """What two spellings of one type have in common: case and spacing don't count."""
    return " ".join(name.split()).casefold()


def match_catalog(value: str, names: Iterable[str]) -> str | None:
    key = catalog_key(value)
    return next((name for name in names if catalog_key(name) == key), None)


async def seed_project_types(session: AsyncSession, tenant_id: int) -> Sequence[ProjectType]:
    """Add the seed types the tenant lacks; safe to call any number of times."""
    repository = ProjectTypeRepository(session)
    existing = {catalog_key(t.name) for t in await repository.list(tenant_id)}
    missing = [
        asdict(seed) for seed in SEED_PROJECT_TYPES if catalog_key(seed.name) not in existing
    ]
    await repository.insert_missing(tenant_id, missing)
    return await repository.list(tenant_id)


async def project_types(session: AsyncSession, tenant_id: int) -> Sequence[ProjectType]:
    """The tenant's catalog; seeded when the tenant is created (auth.service.create_tenant)."""
    return await ProjectTypeRepository(session).list(tenant_id)


async def normalise_project_type(session: AsyncSession, tenant_id: int, value: str) -> str:
    """The catalog's spelling of `value`, or `value` itself when the catalog lacks it."""
    value = value.strip()
    names = [t.name for t in await project_types(session, tenant_id)]
    return match_catalog(value, names) or value


async def suggest_project_types(
    session: AsyncSession, tenant_id: int, prefix: str | None = None
) -> list[ProjectType]:
    types = await project_types(session, tenant_id)
    # In Python rather than SQL: the catalog is small, and casefold() knows umlauts.
    wanted = catalog_key(prefix or "")
    found = [t for t in types if catalog_key(t.name).startswith(wanted)]
    return sorted(found, key=lambda t: catalog_key(t.name))


async def create_project_type(
    session: AsyncSession, tenant_id: int, *, name: str, trade: str = "", description: str = ""
) -> ProjectType:
    existing = match_catalog(name, [t.name for t in await project_types(session, tenant_id)])
    if existing is not None:
        raise Conflict(f"Project type '{existing}' already exists")
    return await ProjectTypeRepository(session).add(
        ProjectType(
            tenant_id=tenant_id, name=" ".join(name.split()), trade=trade, description=description
        )
    )
