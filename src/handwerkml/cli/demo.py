"""`handwerkml demo`: load the demo tenants, users, materials and projects."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from handwerkml.cli._db import run_in_session
from handwerkml.config import Settings, get_settings
from handwerkml.demo.loader import DemoSummary, database_is_empty, load_demo


def demo(
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing when any tenant exists already.")
    ] = False,
    projects: Annotated[
        int,
        typer.Option(
            min=1, max=100_000, help="Projects of the first tenant; the second gets a quarter."
        ),
    ] = 600,
    seed: Annotated[
        int | None,
        typer.Option(
            help="Random seed; the same seed gives the same data.",
            show_default="HANDWERKML_DEMO_SEED or 42",
        ),
    ] = None,
) -> None:
    """Load two demo businesses: a joinery with a user per role, and a tiler.

    The admin logs in as HANDWERKML_DEMO_ADMIN_EMAIL with HANDWERKML_DEMO_ADMIN_PASSWORD.
    Without that password one is generated and printed once.
    All demo users share the admin's password.
    """
    settings = get_settings()

    async def work(session: AsyncSession) -> DemoSummary | None:
        if if_empty and not await database_is_empty(session):
            return None
        return await load_demo(
            session,
            settings,
            projects=projects,
            seed=settings.demo_seed if seed is None else seed,
        )

    started = time.perf_counter()
    summary = run_in_session(settings, work)
    if summary is None:
        typer.echo("The database already holds tenants: demo data not loaded (--if-empty).")
        return
    _report(summary, settings, time.perf_counter() - started)


def _report(summary: DemoSummary, settings: Settings, seconds: float) -> None:
    typer.echo(f"Demo data loaded in {seconds:.1f} s:")
    for tenant in summary.tenants:
        typer.echo(
            f"  {tenant.name} ({tenant.slug}): {tenant.projects} projects, "
            f"{tenant.materials} materials, {len(tenant.users)} user(s)"
        )
    typer.echo("")
    typer.secho("Demo login", bold=True)
    typer.echo(f"  email:    {summary.admin_email}")
    if summary.password_generated:
        typer.echo(f"  password: {summary.admin_password}")
        typer.secho(
            "  The password was generated: save it now, it is not shown again.\n"
            "  (Set HANDWERKML_DEMO_ADMIN_PASSWORD before loading to choose one.)",
            fg=typer.colors.YELLOW,
        )
    else:
        typer.echo("  password: the value of HANDWERKML_DEMO_ADMIN_PASSWORD")
    typer.echo("  Every demo user has the same password, to try each role:")
    for tenant in summary.tenants:
        for email, role in tenant.users:
            if email != summary.admin_email:
                typer.echo(f"    {email:<36} {role} ({tenant.name})")
    typer.echo(f"  Log in at http://{settings.host}:{settings.port}/docs (Authorize).")
