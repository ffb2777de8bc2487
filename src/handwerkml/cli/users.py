"""`handwerkml users …`: manage user accounts from the server's shell."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from pydantic import EmailStr, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.auth import service
from handwerkml.auth.permissions import Role
from handwerkml.auth.repository import TenantRepository
from handwerkml.cli._db import run_in_session
from handwerkml.cli._output import fail
from handwerkml.config import get_settings
from handwerkml.kit.errors import BadRequest

MIN_PASSWORD_LENGTH = 8  # the same rule as POST /api/v1/users

app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
_email = TypeAdapter(EmailStr)


def _stdin_is_interactive() -> bool:
    return sys.stdin.isatty()


def _read_password(given: str | None) -> str:
    if given is None:
        if not _stdin_is_interactive():
            fail("No --password given and no terminal to ask for one.")
        given = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if len(given) < MIN_PASSWORD_LENGTH:
        fail(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    return given


@app.command("create")
def create(
    email: Annotated[str, typer.Argument(help="Login email address of the new user.")],
    role: Annotated[Role, typer.Option(case_sensitive=False, help="What the user may do.")],
    tenant: Annotated[str, typer.Option(help="Slug of the tenant (business) the user joins.")],
    tenant_name: Annotated[
        str | None,
        typer.Option(help="Create the tenant with this name when the slug does not exist yet."),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            help="The password. Omit it to be asked (safer: it stays out of shell history)."
        ),
    ] = None,
    full_name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create a user, and its tenant when --tenant-name is given and the slug is new."""
    try:
        address = _email.validate_python(email)
    except ValidationError:
        fail(f"'{email}' is not a valid email address.")
    secret = _read_password(password)

    async def work(session: AsyncSession) -> tuple[str, bool]:
        found = await TenantRepository(session).get_by_slug(tenant)
        created = found is None
        if found is None:
            if tenant_name is None:
                raise BadRequest(
                    f"Unknown tenant '{tenant}'. Pass --tenant-name NAME to create it."
                )
            found = await service.create_tenant(session, name=tenant_name, slug=tenant)
        await service.create_user(
            session,
            tenant_id=found.id,
            email=address,
            role=role,
            password=secret,
            full_name=full_name,
        )
        return found.name, created

    name, created = run_in_session(get_settings(), work)
    if created:
        typer.echo(f"Created tenant '{name}' ({tenant}).")
    typer.echo(f"Created user {address.lower()} with role {role.value} in '{name}' ({tenant}).")
