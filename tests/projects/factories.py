"""Projects and materials for tests, written straight to the database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.db.models import Customer, Material, Project, Tenant


async def create_project(
    session: AsyncSession,
    *,
    tenant: Tenant,
    name: str = "Eichentreppe",
    description: str = "",
    project_type: str = "Treppenbau",
    wood_type: str | None = "Eiche",
    complexity: int = 3,
    region: str | None = "Bayern",
    postal_code: str | None = "80331",
    total_area_sqm: Decimal = Decimal("10.000"),
    labor_hours: Decimal | None = None,
    final_price: Decimal | None = None,
    project_date: date | None = None,
    status: str = "Anfrage",
    customer_name: str | None = None,
) -> Project:
    customer = Customer(tenant_id=tenant.id, name=customer_name) if customer_name else None
    project = Project(
        tenant_id=tenant.id,
        name=name,
        description=description,
        project_type=project_type,
        wood_type=wood_type,
        complexity=complexity,
        region=region,
        postal_code=postal_code,
        total_area_sqm=total_area_sqm,
        labor_hours=labor_hours,
        final_price=final_price,
        project_date=project_date,
        status=status,
        customer=customer,
    )
    session.add(project)
    await session.commit()
    return project


async def create_material(
    session: AsyncSession,
    *,
    tenant: Tenant,
    name: str = "Eiche Leimholz 40mm",
    unit_price: Decimal = Decimal("19.99"),
    unit: str = "m²",
    category: str = "Holz",
) -> Material:
    material = Material(
        tenant_id=tenant.id, name=name, category=category, unit_price=unit_price, unit=unit
    )
    session.add(material)
    await session.commit()
    return material


def project_body(**overrides: object) -> dict[str, object]:
    """A valid create/PUT body, as a client would send it."""
    body: dict[str, object] = {
        "name": "Eichentreppe mit Podest",
        "description": "Viertelgewendelte Treppe aus Eiche, geölt, mit Podest und Handlauf",
        "project_type": "Treppenbau",
        "wood_type": "Eiche",
        "complexity": 4,
        "region": "Bayern",
        "postal_code": "80331",
        "total_area_sqm": 8.5,
        "labor_hours": 64,
        "final_price": 14850.00,
        "project_date": "2024-03-15",
        "status": "Auftrag",
        "customer": {
            "name": "Familie Huber",
            "street": "Lindenstraße 12",
            "postal_code": "80331",
            "city": "München",
            "email": "huber@example.de",
            "phone": "+49 89 1234567",
        },
    }
    body.update(overrides)
    return body


def dec(value: object) -> Decimal:
    """A JSON number as the Decimal it was written from, for exact comparisons."""
    return Decimal(str(value))
