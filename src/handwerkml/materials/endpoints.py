"""/api/v1/materials: the catalog, its categories and each material's price history."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.kit.deps import SessionDep
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath
from handwerkml.materials import service
from handwerkml.materials.repository import MaterialFilter, MaterialSort
from handwerkml.materials.schemas import (
    MaterialCreate,
    MaterialPriceCreate,
    MaterialPriceRead,
    MaterialRead,
    MaterialUpdate,
    PriceQuote,
)

router = APIRouter(prefix="/api/v1/materials", tags=["materials"])

Reader = Annotated[Principal, requires(Permission.materials_read)]
Writer = Annotated[Principal, requires(Permission.materials_write)]
MaterialId = IdPath
# PostgreSQL cannot take NUL in text; refuse it in query strings as kit.schemas does in bodies.
_NO_NUL = r"^[^\x00]*$"
SearchText = Annotated[
    str | None,
    Query(min_length=1, max_length=200, pattern=_NO_NUL, description="Part of the name, any case"),
]
RegionQuery = Annotated[
    str | None, Query(min_length=1, max_length=100, pattern=_NO_NUL, examples=["Bayern"])
]


@router.get("", response_model=list[MaterialRead])
async def list_materials(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    response: Response,
    category: Annotated[
        str | None, Query(max_length=100, pattern=_NO_NUL, description="Exact, any case")
    ] = None,
    q: SearchText = None,
    name: SearchText = None,
    supplier: Annotated[
        str | None, Query(max_length=200, pattern=_NO_NUL, description="Part of it")
    ] = None,
    sort: MaterialSort = "name",
) -> list[MaterialRead]:
    """Materials of the catalog, sorted by name unless `sort` says otherwise."""
    materials, total = await service.list_materials(
        session,
        principal.tenant_id,
        MaterialFilter(category=category, text=q or name, supplier=supplier),
        sort=sort,
        skip=page.skip,
        limit=page.limit,
    )
    set_total(response, total)
    return [MaterialRead.model_validate(material) for material in materials]


@router.get("/categories", response_model=list[str])
async def list_categories(principal: Reader, session: SessionDep) -> list[str]:
    """The distinct categories the tenant's materials use."""
    return list(await service.list_categories(session, principal.tenant_id))


@router.post("", response_model=MaterialRead, status_code=status.HTTP_201_CREATED)
async def create_material(
    body: MaterialCreate, principal: Writer, session: SessionDep
) -> MaterialRead:
    material = await service.create_material(session, principal.tenant_id, body)
    return MaterialRead.model_validate(material)


@router.get("/{material_id}", response_model=MaterialRead)
async def get_material(
    material_id: MaterialId, principal: Reader, session: SessionDep
) -> MaterialRead:
    material = await service.get_material(session, principal.tenant_id, material_id)
    return MaterialRead.model_validate(material)


@router.put("/{material_id}", response_model=MaterialRead)
@router.patch("/{material_id}", response_model=MaterialRead)
async def update_material(
    material_id: MaterialId, body: MaterialUpdate, principal: Writer, session: SessionDep
) -> MaterialRead:
    """Replace the fields sent; a new unit_price closes the open price row and opens one."""
    material = await service.update_material(session, principal.tenant_id, material_id, body)
    return MaterialRead.model_validate(material)


@router.delete("/{material_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_material(
    material_id: MaterialId, principal: Writer, session: SessionDep
) -> Response:
    """Delete a material no project uses (409 otherwise); its price history goes with it."""
    await service.delete_material(session, principal.tenant_id, material_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{material_id}/prices", response_model=list[MaterialPriceRead])
async def list_prices(
    material_id: MaterialId, principal: Reader, session: SessionDep, region: RegionQuery = None
) -> list[MaterialPriceRead]:
    """The price history, oldest first; with `region` only that region's rows."""
    rows = await service.list_prices(session, principal.tenant_id, material_id, region=region)
    return [MaterialPriceRead.model_validate(row) for row in rows]


@router.post(
    "/{material_id}/prices",
    response_model=MaterialPriceRead,
    status_code=status.HTTP_201_CREATED,
)
async def add_price(
    material_id: MaterialId, body: MaterialPriceCreate, principal: Writer, session: SessionDep
) -> MaterialPriceRead:
    """Record a national or regional price for a period; open-ended rows supersede older ones."""
    row = await service.add_price(session, principal.tenant_id, material_id, body)
    return MaterialPriceRead.model_validate(row)


@router.get("/{material_id}/price", response_model=PriceQuote)
async def price_on(
    material_id: MaterialId,
    principal: Reader,
    session: SessionDep,
    region: RegionQuery = None,
    on: Annotated[date | None, Query(description="Day of the price; today if left out")] = None,
) -> PriceQuote:
    """The price in force on a day: the region's own, else the national one, else unit_price."""
    quote = await service.price_on(session, principal.tenant_id, material_id, region=region, on=on)
    return PriceQuote.model_validate(quote)
