"""/api/v1/auth, /api/v1/users and /api/v1/api-keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from handwerkml.auth import service
from handwerkml.auth.deps import CurrentPrincipal, requires
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.auth.repository import TenantRepository, UserRepository
from handwerkml.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    LoginRequest,
    MeResponse,
    RefreshRequest,
    TenantRead,
    TokenResponse,
    UserCreate,
    UserRead,
    UserUpdate,
)
from handwerkml.kit.deps import SessionDep, SettingsDep
from handwerkml.kit.errors import NotFound, Unprocessable
from handwerkml.kit.pagination import PageDep, set_total
from handwerkml.kit.schemas import IdPath

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])
api_keys_router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])

UserManager = Annotated[Principal, requires(Permission.users_manage)]
KeyManager = Annotated[Principal, requires(Permission.apikeys_manage)]


async def _login_request(request: Request) -> LoginRequest:
    """JSON {email, password} for API clients, or the OAuth2 form the /docs button sends."""
    try:
        if request.headers.get("content-type", "").startswith("application/json"):
            return LoginRequest.model_validate(await request.json())
        form = await request.form()
        return LoginRequest(
            email=str(form.get("username") or form.get("email") or ""),
            password=str(form.get("password") or ""),
        )
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from exc
    except ValueError as exc:
        raise Unprocessable(
            "Body must be JSON {email, password} or an OAuth2 password form"
        ) from exc


@router.post(
    "/login",
    response_model=TokenResponse,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": LoginRequest.model_json_schema()},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "username": {"type": "string"},
                            "password": {"type": "string"},
                        },
                        "required": ["username", "password"],
                    }
                },
            },
            "required": True,
        }
    },
)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    """Exchange email and password for an access and a refresh token."""
    body = await _login_request(request)
    pair = await service.login(session, settings, body.email, body.password)
    return TokenResponse.model_validate(pair)


@router.post("/refresh", response_model=TokenResponse)
async def refresh(
    body: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    pair = await service.refresh(session, settings, body.refresh_token)
    return TokenResponse.model_validate(pair)


@router.get("/me", response_model=MeResponse)
async def me(principal: CurrentPrincipal, session: SessionDep) -> MeResponse:
    tenant = await TenantRepository(session).get(principal.tenant_id)
    if tenant is None:
        raise NotFound("Tenant", principal.tenant_id)
    user = await UserRepository(session).get(principal.user_id) if principal.user_id else None
    return MeResponse(
        user=UserRead.model_validate(user) if user else None,
        api_key_id=principal.api_key_id,
        tenant=TenantRead.model_validate(tenant),
        role=principal.role,
        permissions=sorted(principal.permissions),
    )


@users_router.get("", response_model=list[UserRead])
async def list_users(
    principal: UserManager, session: SessionDep, page: PageDep, response: Response
) -> list[UserRead]:
    users, total = await service.list_users(session, principal, skip=page.skip, limit=page.limit)
    set_total(response, total)
    return [UserRead.model_validate(user) for user in users]


@users_router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, principal: UserManager, session: SessionDep) -> UserRead:
    user = await service.create_user(
        session,
        tenant_id=principal.tenant_id,
        email=body.email,
        password=body.password,
        role=body.role,
        full_name=body.full_name,
    )
    return UserRead.model_validate(user)


@users_router.patch("/{user_id}", response_model=UserRead)
async def update_user(
    user_id: IdPath, body: UserUpdate, request: Request, principal: UserManager, session: SessionDep
) -> UserRead:
    user = await service.update_user(
        session, principal, user_id, **body.model_dump(exclude_unset=True)
    )
    # A demoted or deactivated user must lose access now, not when the cache expires.
    request.app.state.principal_cache.clear()
    return UserRead.model_validate(user)


@api_keys_router.get("", response_model=list[ApiKeyRead])
async def list_api_keys(principal: KeyManager, session: SessionDep) -> list[ApiKeyRead]:
    return [
        ApiKeyRead.model_validate(key) for key in await service.list_api_keys(session, principal)
    ]


@api_keys_router.post("", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED)
async def create_api_key(
    body: ApiKeyCreate, principal: KeyManager, session: SessionDep
) -> ApiKeyCreated:
    key, plaintext = await service.create_api_key(
        session, principal, name=body.name, role=body.role, expires_at=body.expires_at
    )
    return ApiKeyCreated.model_validate(
        {**ApiKeyRead.model_validate(key).model_dump(), "key": plaintext}
    )


@api_keys_router.delete("/{key_id}", response_model=ApiKeyRead)
async def revoke_api_key(
    key_id: IdPath, request: Request, principal: KeyManager, session: SessionDep
) -> ApiKeyRead:
    key = await service.revoke_api_key(session, principal, key_id)
    request.app.state.principal_cache.clear()
    return ApiKeyRead.model_validate(key)
