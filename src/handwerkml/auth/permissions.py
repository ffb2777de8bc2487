"""Roles and the permissions each one grants.

Endpoints name the permission they need, never a role, so changing what a role
may do is an edit to this table alone.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    estimator = "estimator"
    staff = "staff"
    viewer = "viewer"


class Permission(StrEnum):
    projects_read = "projects:read"
    projects_write = "projects:write"
    materials_read = "materials:read"
    materials_write = "materials:write"
    settings_read = "settings:read"
    settings_write = "settings:write"
    users_manage = "users:manage"
    apikeys_manage = "apikeys:manage"
    documents_read = "documents:read"
    documents_write = "documents:write"
    jobs_read = "jobs:read"
    jobs_manage = "jobs:manage"
    predictions_run = "predictions:run"
    # Train price models and choose the active version.
    predictions_manage = "predictions:manage"
    audit_read = "audit:read"
    gdpr_manage = "gdpr:manage"
    # Installation-wide: the embedding model every tenant's vectors use.
    embeddings_manage = "embeddings:manage"


P = Permission
_READ = {P.projects_read, P.materials_read, P.settings_read, P.documents_read, P.jobs_read}
_STAFF = _READ | {P.projects_write, P.documents_write}
_ESTIMATOR = _STAFF | {P.predictions_run}
_MANAGER = _ESTIMATOR | {
    P.materials_write,
    P.settings_write,
    P.jobs_manage,
    P.predictions_manage,
    P.apikeys_manage,
    P.audit_read,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(Permission),
    Role.manager: frozenset(_MANAGER),
    Role.estimator: frozenset(_ESTIMATOR),
    Role.staff: frozenset(_STAFF),
    Role.viewer: frozenset(_READ),
}


_BY_NAME = {role.value: permissions for role, permissions in ROLE_PERMISSIONS.items()}


def permissions_for(role: str) -> frozenset[Permission]:
    return _BY_NAME.get(role, frozenset())
