"""FastAPI dependencies: authenticate the caller, then check one permission per endpoint."""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request, WebSocket
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from handwerkml.auth import service
from handwerkml.auth.permissions import Permission
from handwerkml.auth.principal import Principal
from handwerkml.config import Settings
from handwerkml.kit.deps import SettingsDep
from handwerkml.kit.errors import NotAuthenticated, PermissionDenied

# auto_error=False: we raise our own 401 so the message and headers are the same everywhere.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/login", auto_error=False)
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


class PrincipalCache:
    """Resolved credentials, kept briefly so a request costs no database round trip.

    Bounded in size and in time: a revoked key or deactivated user is refused
    again after at most `ttl` seconds (HANDWERKML_PRINCIPAL_CACHE_SECONDS).
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()

    def get(self, credential: str) -> Principal | None:
        entry = self._entries.get(credential)
        if entry is None:
            return None
        principal, expires = entry
        if expires <= time.monotonic():
            del self._entries[credential]
            return None
        return principal

    def put(self, credential: str, principal: Principal, valid_until: datetime | None) -> None:
        if self.ttl <= 0:
            return
        expires = time.monotonic() + self.ttl
        if valid_until is not None:
            expires = min(expires, time.monotonic() + (valid_until.timestamp() - time.time()))
        self._entries[credential] = (principal, expires)
        if len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


async def get_principal(
    request: Request,
    settings: SettingsDep,
    bearer: Annotated[str | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
) -> Principal:
    principal = await _resolve(request.app, settings, bearer or api_key)
    request.state.principal = principal
    return principal


async def _resolve(app: Any, settings: Settings, credential: str | None) -> Principal:
    if not credential:
        raise NotAuthenticated()
    cache: PrincipalCache = app.state.principal_cache
    principal = cache.get(credential)
    if principal is None:
        # A short session of its own: resolving the caller must not hold the
        # request's transaction open or share its failures.
        async with app.state.database.read() as session:
            principal, valid_until = await service.resolve_principal(session, settings, credential)
        cache.put(credential, principal, valid_until)
    return principal


async def websocket_principal(websocket: WebSocket, permission: Permission) -> Principal:
    """The caller of a WebSocket: browsers cannot set headers there, so a `token`
    query parameter is accepted besides the Authorization and X-API-Key headers."""
    authorization = websocket.headers.get("authorization", "")
    scheme, _, bearer = authorization.partition(" ")
    credential = (
        (bearer if scheme.lower() == "bearer" else None)
        or websocket.headers.get("x-api-key")
        or websocket.query_params.get("token")
    )
    principal = await _resolve(websocket.app, websocket.app.state.settings, credential)
    if not principal.can(permission):
        raise PermissionDenied(f"Missing permission: {permission}")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


class PermissionCheck:
    """A dependency that admits callers holding one permission.

    Kept as a class so tests can find, for every route, the permission it declares.
    """

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if not principal.can(self.permission):
            raise PermissionDenied(f"Missing permission: {self.permission}")
        return principal


def requires(permission: Permission) -> Any:
    """Declare the permission an endpoint needs: `Annotated[Principal, requires(P.x)]`."""
    return Depends(PermissionCheck(permission))
