"""The demo generator: deterministic, plausible, and priced by its documented rule."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

from handwerkml.auth.permissions import Role
from handwerkml.demo.catalog import CATEGORIES, WOOD_TYPES
from handwerkml.demo.generator import DemoData, ProjectSpec, TenantData, generate, rule_price
from handwerkml.demo.places import REGION_FACTORS
from handwerkml.demo.project_types import BY_NAME
from handwerkml.projects.catalog import SEED_PROJECT_TYPES

TODAY = date(2026, 1, 15)
UNITS = {"m²", "m³", "lfm", "Stk", "kg", "l", "h", "psch"}
CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def data() -> DemoData:
    return generate(today=TODAY, seed=42)


@pytest.fixture(scope="module")
def holzwurm(data: DemoData) -> TenantData:
    return data.tenants[0]


@pytest.fixture(scope="module")
def krause(data: DemoData) -> TenantData:
    return data.tenants[1]


def priced(tenant: TenantData, project_type: str | None = None) -> list[ProjectSpec]:
    return [
        p
        for p in tenant.projects
        if p.final_price is not None and project_type in (None, p.project_type)
    ]


def test_same_seed_gives_identical_data(data: DemoData) -> None:
    assert generate(today=TODAY, seed=42) == data


def test_another_seed_gives_other_data(data: DemoData) -> None:
    other = generate(today=TODAY, seed=43)
    assert other != data
    ours = [p.final_price for p in data.tenants[0].projects]
    theirs = [p.final_price for p in other.tenants[0].projects]
    assert sum(a == b for a, b in zip(ours, theirs, strict=True)) < 10


def test_tenants_users_and_counts(holzwurm: TenantData, krause: TenantData) -> None:
    assert (holzwurm.name, holzwurm.slug, holzwurm.tier) == (
        "Schreinerei Holzwurm GmbH",
        "holzwurm",
        "premium",
    )
    assert (krause.name, krause.slug, krause.tier) == ("Fliesen & Bad Krause", "krause", "free")
    assert len(holzwurm.projects) == 600
    assert len(krause.projects) == 150
    assert len(holzwurm.materials) >= 200
    assert 50 <= len(krause.materials) <= 70
    assert [(u.email, u.role) for u in holzwurm.users] == [
        ("admin@demo.handwerkml.de", Role.admin),
        ("manager@demo.handwerkml.de", Role.manager),
        ("estimator@demo.handwerkml.de", Role.estimator),
        ("staff@demo.handwerkml.de", Role.staff),
        ("viewer@demo.handwerkml.de", Role.viewer),
    ]
    assert [(u.email, u.role) for u in krause.users] == [("admin@krause.example.de", Role.admin)]
    assert {p.project_type for p in holzwurm.projects} <= {t.name for t in SEED_PROJECT_TYPES}
    assert {p.project_type for p in krause.projects} == {
        "Fliesenarbeiten",
        "Sanitär",
        "Malerarbeiten",
    }


def test_role_users_share_the_admin_domain() -> None:
    data = generate(today=TODAY, seed=1, projects=4, admin_email="chef@tischlerei.example.de")
    emails = [user.email for user in data.tenants[0].users]
    assert emails[0] == "chef@tischlerei.example.de"
    assert "viewer@tischlerei.example.de" in emails
    assert len(data.tenants[1].projects) == 1


def test_materials_look_like_a_catalog(holzwurm: TenantData, krause: TenantData) -> None:
    assert {m.category for m in holzwurm.materials} == set(CATEGORIES)
    assert {m.category for m in krause.materials} < set(CATEGORIES)
    for material in (*holzwurm.materials, *krause.materials):
        assert material.unit in UNITS
        assert material.unit_price > 0
        assert material.unit_price == material.unit_price.quantize(CENT)
        assert material.supplier
        assert material.article_number
    assert len({m.name for m in holzwurm.materials}) == len(holzwurm.materials)
    assert any(m.name == "Eiche Treppenstufe keilgezinkt 40 mm" for m in holzwurm.materials)


def test_price_history_has_closed_and_regional_rows(holzwurm: TenantData) -> None:
    prices = holzwurm.prices
    current = {row.material for row in prices if row.region is None and row.valid_to is None}
    assert current == set(range(len(holzwurm.materials)))
    closed = [row for row in prices if row.valid_to is not None]
    assert len(closed) >= 50
    assert all(row.valid_from <= row.valid_to for row in closed if row.valid_to)
    assert any(row.region is not None for row in prices)
    for row in closed:
        now = holzwurm.materials[row.material].unit_price
        assert row.price <= now


def test_projects_are_plausible(holzwurm: TenantData) -> None:
    for project in holzwurm.projects:
        profile = BY_NAME[project.project_type]
        assert 1 <= project.complexity <= 5
        assert project.region in REGION_FACTORS
        assert project.postal_code == project.customer.postal_code
        assert len(project.postal_code) == 5
        assert project.customer.email.endswith("@example.de")
        low, high = profile.area_range
        assert low <= project.total_area_sqm <= high
        assert project.labor_hours >= 1
        assert TODAY - timedelta(days=4 * 365) <= project.project_date < TODAY
        if profile.woods:
            assert project.wood_type in WOOD_TYPES
        else:
            assert project.wood_type is None
        assert 2 <= len(project.materials) <= 6
        for item in project.materials:
            assert item.total == (item.quantity * item.unit_price).quantize(CENT, ROUND_HALF_UP)
        assert (project.finalized_at is not None) == (project.status == "abgeschlossen")
        assert (project.cancelled_at is not None) == (project.status == "storniert")
        assert (project.final_price is None) == (project.status == "Anfrage")
    statuses = [p.status for p in holzwurm.projects]
    assert statuses.count("abgeschlossen") > len(statuses) * 0.75
    assert {"Anfrage", "Angebot", "Auftrag", "storniert"} <= set(statuses)
    assert len({p.description for p in holzwurm.projects}) > 550


def test_wood_projects_use_their_own_wood(holzwurm: TenantData) -> None:
    stairs = priced(holzwurm, "Treppenbau")
    for project in stairs:
        woods = {holzwurm.materials[item.material].wood for item in project.materials}
        assert project.wood_type is not None
        assert woods <= {None, project.wood_type}
        assert project.description.startswith(project.wood_type[:4])


def test_prices_are_positive_cents(data: DemoData) -> None:
    for tenant in data.tenants:
        for project in priced(tenant):
            assert project.final_price is not None
            assert project.final_price > 0
            assert project.final_price == project.final_price.quantize(CENT)


def test_prices_follow_the_documented_rule(data: DemoData) -> None:
    """Each price is the rule's price times lognormal noise of sigma 0.08."""
    log_noise = []
    for tenant in data.tenants:
        for project in priced(tenant):
            assert project.final_price is not None
            exact = rule_price(
                profile=BY_NAME[project.project_type],
                area=float(project.total_area_sqm),
                wood_type=project.wood_type,
                complexity=project.complexity,
                region=project.region,
                years=-(TODAY - project.project_date).days / 365.25,
                material_cost=project.material_cost,
                labor_hours=project.labor_hours,
                price_level=tenant.price_level,
            )
            log_noise.append(math.log(project.final_price / exact))
    assert max(abs(value) for value in log_noise) < 0.4
    assert abs(statistics.mean(log_noise)) < 0.02
    assert 0.06 < statistics.stdev(log_noise) < 0.10


def test_the_rule_responds_to_each_input() -> None:
    stairs = BY_NAME["Treppenbau"]

    def price(**changes: object) -> Decimal:
        inputs: dict[str, object] = {
            "profile": stairs,
            "area": 8.0,
            "wood_type": "Eiche",
            "complexity": 3,
            "region": "Hessen",
            "years": 0.0,
            "material_cost": Decimal("1000.00"),
            "labor_hours": Decimal("60.0"),
        }
        return rule_price(**(inputs | changes))  # type: ignore[arg-type]

    base = price()
    assert price(area=16.0) > base
    assert price(complexity=5) > base > price(complexity=1)
    assert price(wood_type="Nussbaum") > base > price(wood_type="Fichte")
    assert price(region="Bayern") > base > price(region="Sachsen-Anhalt")
    assert price(years=-2.0) < base
    assert price(material_cost=Decimal("2000.00")) - base == Decimal("1300.00")
    assert price(labor_hours=Decimal("70.0")) - base == Decimal("575.00")
    assert price(profile=BY_NAME["Malerarbeiten"]) < base


def test_price_per_sqm_rises_with_complexity(holzwurm: TenantData) -> None:
    def mean_per_sqm(levels: set[int]) -> float:
        projects = [p for p in priced(holzwurm) if p.complexity in levels]
        return statistics.mean(
            float(p.final_price or 0) / float(p.total_area_sqm) for p in projects
        )

    assert mean_per_sqm({1, 2}) < mean_per_sqm({3}) < mean_per_sqm({4, 5})


def test_larger_jobs_cost_more(holzwurm: TenantData) -> None:
    for project_type in ("Dachstuhl", "Malerarbeiten", "Fliesenarbeiten", "Treppenbau"):
        projects = sorted(priced(holzwurm, project_type), key=lambda p: p.total_area_sqm)
        half = len(projects) // 2
        small = statistics.mean(float(p.final_price or 0) for p in projects[:half])
        large = statistics.mean(float(p.final_price or 0) for p in projects[half:])
        assert large > 1.5 * small, project_type


def test_second_tenant_charges_more_for_the_same_work(
    holzwurm: TenantData, krause: TenantData
) -> None:
    def level(tenant: TenantData) -> float:
        projects = priced(tenant, "Fliesenarbeiten")
        return statistics.median(
            float(p.final_price or 0) / math.pow(float(p.total_area_sqm), 0.9) for p in projects
        )

    assert {p.project_type for p in krause.projects} == {
        "Fliesenarbeiten",
        "Sanitär",
        "Malerarbeiten",
    }
    assert level(krause) > 1.15 * level(holzwurm)
