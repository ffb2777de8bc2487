"""/api/v1/settings: the firm's rates and percentages every calculation uses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from handwerkml.auth.deps import requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.company import service
from handwerkml.company.schemas import CompanySettingsRead, CompanySettingsUpdate
from handwerkml.kit.deps import SessionDep

router = APIRouter(prefix="/api/v1/settings", tags=["settings"])

Reader = Annotated[Principal, requires(Permission.settings_read)]
Writer = Annotated[Principal, requires(Permission.settings_write)]


@router.get("/current", response_model=CompanySettingsRead)
async def get_settings(principal: Reader, session: SessionDep) -> CompanySettingsRead:
    settings = await service.get_company_settings(session, principal.tenant_id)
    return CompanySettingsRead.model_validate(settings)


@router.put("/current", response_model=CompanySettingsRead)
@router.patch("/current", response_model=CompanySettingsRead)
async def update_settings(
    body: CompanySettingsUpdate, principal: Writer, session: SessionDep
) -> CompanySettingsRead:
    """Replace the fields sent; the others keep their values."""
    settings = await service.update_company_settings(
        session, principal.tenant_id, body.model_dump(exclude_unset=True)
    )
    return CompanySettingsRead.model_validate(settings)
