"""The caller of a request, as every service sees it."""

from __future__ import annotations

from dataclasses import dataclass

from handwerkml.auth.permissions import Permission, permissions_for


@dataclass(frozen=True, slots=True)
class Principal:
    tenant_id: int
    role: str
    user_id: int | None = None
    api_key_id: int | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return permissions_for(self.role)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions
