"""Deterministic demo data: the same seed and day give the same businesses, row for row.

Pure data, no database: `generate()` returns frozen dataclasses that the loader
writes. Two tenants are generated, each from its own random stream:

* "Schreinerei Holzwurm GmbH" (holzwurm, premium, home region Bayern): all twelve
  project types, weighted towards the wood trades, `projects` projects (default 600)
  and the whole master catalog (260 materials).
* "Fliesen & Bad Krause" (krause, free, home region Nordrhein-Westfalen): tiling,
  sanitary and painting work, a quarter as many projects (150 by default), its own
  60 materials, and a price level 1.35 times Holzwurm's.

Final prices follow a known rule, so a price model trained on them can be checked
against the truth. For a project of type T with area A m², complexity c (1–5), wood
W, region R, date d (t = (d − today) in years, ≤ 0) and tenant level L:

    labour_hours  = H[T] · A^0.85 · (1 + 0.25·(c − 3)) · LogNormal(0, 0.10), to 0.5 h, ≥ 1 h
    unit prices   = catalog price · 1.04^t                 (what the material cost then)
    material_cost = Σ quantity · unit price                (2–6 materials of fitting categories)
    base          = B[T] · A^0.9 · WOOD[W] · (1 + 0.18·(c − 3)) · REGION[R] · 1.04^t
    final_price   = (base + 1.3 · material_cost + 1.15 · 50 € · labour_hours)
                    · L · LogNormal(0, 0.08), rounded to cents

B (€/m²) and H (h/m²) per type live in handwerkml.demo.project_types.PROFILES,
WOOD in handwerkml.demo.catalog.WOOD_FACTORS (1.0 without wood), REGION in
handwerkml.demo.places.REGION_FACTORS. Enquiries (status Anfrage) have no price yet.
Projects are spread evenly over the last four years; those older than 120 days are
finished (abgeschlossen, 6 % storniert), younger ones may still be open.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from handwerkml.auth.permissions import Role
from handwerkml.demo.catalog import CATEGORIES, WOOD_FACTORS, MaterialSpec, build_catalog
from handwerkml.demo.places import REGION_FACTORS, CustomerSpec, fake_customer, pick_region
from handwerkml.demo.project_types import BY_NAME, TypeProfile

CENT = Decimal("0.01")
LABOUR_RATE = 50.0
LABOUR_OVERHEAD = 1.15
MATERIAL_MARKUP = 1.3
INFLATION = 1.04
PRICE_NOISE_SIGMA = 0.08
HISTORY_YEARS = 4
# Projects younger than this may still be open (enquiry, offer, order).
OPEN_WINDOW_DAYS = 120

CANCELLATION_REASONS = (
    "Kunde hat sich für ein anderes Angebot entschieden",
    "Bauvorhaben verschoben",
    "Finanzierung nicht zustande gekommen",
    "Budget des Kunden gekürzt",
)


@dataclass(frozen=True, slots=True)
class UserSpec:
    email: str
    role: Role
    full_name: str


@dataclass(frozen=True, slots=True)
class CompanySpec:
    company_name: str
    default_region: str
    labor_rate_per_hour: Decimal = Decimal("50.00")
    material_markup_percentage: Decimal = Decimal("30.00")
    overhead_percentage: Decimal = Decimal("15.00")
    profit_margin_percentage: Decimal = Decimal("25.00")
    tax_rate: Decimal = Decimal("0.1900")
    default_complexity: int = 3


@dataclass(frozen=True, slots=True)
class PriceRowSpec:
    material: int  # index into TenantData.materials
    price: Decimal
    region: str | None
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True, slots=True)
class ProjectMaterialSpec:
    material: int  # index into TenantData.materials
    quantity: Decimal
    unit_price: Decimal
    total: Decimal


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    name: str
    description: str
    project_type: str
    wood_type: str | None
    complexity: int
    region: str
    postal_code: str
    total_area_sqm: Decimal
    labor_hours: Decimal
    final_price: Decimal | None
    project_date: date
    status: str
    finalized_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    customer: CustomerSpec
    materials: tuple[ProjectMaterialSpec, ...]

    @property
    def material_cost(self) -> Decimal:
        return sum((item.total for item in self.materials), Decimal("0.00"))


@dataclass(frozen=True, slots=True)
class TenantData:
    name: str
    slug: str
    tier: str
    price_level: float
    company: CompanySpec
    users: tuple[UserSpec, ...]
    materials: tuple[MaterialSpec, ...]
    prices: tuple[PriceRowSpec, ...]
    projects: tuple[ProjectSpec, ...]


@dataclass(frozen=True, slots=True)
class DemoData:
    tenants: tuple[TenantData, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What distinguishes one demo business from the other."""

    name: str
    slug: str
    tier: str
    home_region: str
    home_share: float
    price_level: float
    type_weights: Mapping[str, int]
    categories: tuple[str, ...]
    material_limit: int | None
    supplier_index: int
    catalog_level: float


HOLZWURM_TYPES = {
    "Treppenbau": 14,
    "Möbel": 16,
    "Kücheneinrichtung": 12,
    "Spezialbau": 7,
    "Dachstuhl": 8,
    "Polsterei": 6,
    "Fliesenarbeiten": 7,
    "Malerarbeiten": 7,
    "Elektro": 5,
    "Sanitär": 5,
    "Bodenbeläge": 7,
    "Fenster und Türen": 6,
}
KRAUSE_TYPES = {"Fliesenarbeiten": 55, "Sanitär": 30, "Malerarbeiten": 15}
KRAUSE_CATEGORIES = (
    "Fliesen",
    "Kleber und Dichtstoffe",
    "Sanitär",
    "Farben und Lacke",
    "Dämmstoffe",
)


def rule_price(
    *,
    profile: TypeProfile,
    area: float,
    wood_type: str | None,
    complexity: int,
    region: str,
    years: float,
    material_cost: Decimal,
    labor_hours: Decimal,
    price_level: float = 1.0,
    noise: float = 1.0,
) -> Decimal:
    """The documented pricing rule (module docstring); `noise` is the lognormal factor."""
    base = (
        profile.base_per_sqm
        * area**0.9
        * WOOD_FACTORS.get(wood_type or "", 1.0)
        * (1 + 0.18 * (complexity - 3))
        * REGION_FACTORS[region]
        * INFLATION**years
    )
    costs = (
        float(material_cost) * MATERIAL_MARKUP + float(labor_hours) * LABOUR_RATE * LABOUR_OVERHEAD
    )
    return _cents((base + costs) * price_level * noise)


def _cents(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _quantity(rng: random.Random, unit: str, price: float, area: float, main: bool) -> Decimal:
    """How much of a material a project of this size plausibly uses."""
    if unit == "m²":
        amount = area * (rng.uniform(1.0, 1.15) if main else rng.uniform(0.2, 0.8))
    elif unit == "m³":
        amount = area * rng.uniform(0.02, 0.06)
    elif unit == "lfm":
        amount = area * rng.uniform(0.5, 2.5)
    elif unit in ("kg", "l"):
        per_sqm = rng.uniform(0.3, 3.0) if price <= 10 else rng.uniform(0.05, 0.3)
        amount = area * per_sqm
    elif unit == "psch":
        amount = 1
    elif main:  # Stk as the main material: stair treads, fittings by the piece
        amount = max(1, round(area * rng.uniform(1.5, 2.5)))
    elif price >= 100:  # Stk: a couple of expensive fittings, many cheap ones
        amount = rng.randint(1, 2)
    elif price >= 10:
        amount = max(1, round(math.sqrt(area) * rng.uniform(0.5, 2.0)))
    elif price >= 1:
        amount = max(1, round(area * rng.uniform(0.2, 1.0)))
    else:
        amount = max(10, round(area * rng.uniform(5, 20)))
    return Decimal(f"{max(amount, 0.01):.2f}")


def _pick_materials(
    rng: random.Random,
    profile: TypeProfile,
    wood: str | None,
    catalog: tuple[MaterialSpec, ...],
    by_category: dict[str, list[int]],
) -> list[int]:
    """The main material first (of the project's wood where it has one), then others."""

    def fits(index: int) -> bool:
        return catalog[index].wood in (None, wood)

    categories = [category for category in profile.categories if by_category.get(category)]
    main = [index for index in by_category[categories[0]] if fits(index)]
    named = [
        index
        for index in main
        if any(word in catalog[index].name for word in profile.main_materials)
    ]
    chosen = [rng.choice(named or main or by_category[categories[0]])]
    wanted = rng.randint(2, 6)
    for _ in range(wanted * 10):
        if len(chosen) == wanted:
            break
        index = rng.choice(by_category[rng.choice(categories)])
        if index not in chosen and fits(index):
            chosen.append(index)
    return chosen


def _status(
    rng: random.Random, project_date: date, today: date
) -> tuple[str, datetime | None, datetime | None, str | None]:
    """Old projects are finished (a few cancelled); recent ones may still be open."""
    if (today - project_date).days > OPEN_WINDOW_DAYS:
        status = "storniert" if rng.random() < 0.06 else "abgeschlossen"
    else:
        status = rng.choices(
            ("Anfrage", "Angebot", "Auftrag", "abgeschlossen", "storniert"),
            weights=(25, 30, 30, 10, 5),
        )[0]
    if status not in ("abgeschlossen", "storniert"):
        return status, None, None, None
    day = min(project_date + timedelta(days=rng.randint(5, 60)), today - timedelta(days=1))
    moment = datetime.combine(max(day, project_date), time(rng.randint(7, 17)), tzinfo=UTC)
    if status == "abgeschlossen":
        return status, moment, None, None
    return status, None, moment, rng.choice(CANCELLATION_REASONS)


def _project(
    rng: random.Random,
    plan: _Plan,
    profile: TypeProfile,
    catalog: tuple[MaterialSpec, ...],
    by_category: dict[str, list[int]],
    serial: int,
    today: date,
) -> ProjectSpec:
    region = pick_region(rng, plan.home_region, plan.home_share)
    customer = fake_customer(rng, region, serial)
    wood = rng.choice(profile.woods) if profile.woods else None
    complexity = rng.choices((1, 2, 3, 4, 5), weights=(1, 3, 4, 3, 1))[0]
    low, high = profile.area_range
    # Log-uniform: small jobs are more common than large ones.
    area = round(low * (high / low) ** rng.random(), 1)
    days_ago = rng.randint(1, HISTORY_YEARS * 365)
    project_date = today - timedelta(days=days_ago)
    years = -days_ago / 365.25
    hours = (
        profile.hours_per_sqm
        * area**0.85
        * (1 + 0.25 * (complexity - 3))
        * rng.lognormvariate(0, 0.10)
    )
    labor_hours = Decimal(max(1.0, round(hours * 2) / 2)).quantize(Decimal("0.1"))

    items = []
    for main, index in enumerate(_pick_materials(rng, profile, wood, catalog, by_category)):
        material = catalog[index]
        unit_price = max(_cents(float(material.unit_price) * INFLATION**years), CENT)
        quantity = _quantity(rng, material.unit, float(unit_price), area, main == 0)
        total = (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)
        items.append(ProjectMaterialSpec(index, quantity, unit_price, total))
    material_cost = sum((item.total for item in items), Decimal("0.00"))

    status, finalized_at, cancelled_at, reason = _status(rng, project_date, today)
    price = rule_price(
        profile=profile,
        area=area,
        wood_type=wood,
        complexity=complexity,
        region=region,
        years=years,
        material_cost=material_cost,
        labor_hours=labor_hours,
        price_level=plan.price_level,
        noise=rng.lognormvariate(0, PRICE_NOISE_SIGMA),
    )
    title, description = profile.describe(rng, wood, complexity, area)
    return ProjectSpec(
        name=f"{title} – {customer.name}",
        description=description,
        project_type=profile.name,
        wood_type=wood,
        complexity=complexity,
        region=region,
        postal_code=customer.postal_code,
        total_area_sqm=Decimal(f"{area:.1f}"),
        labor_hours=labor_hours,
        final_price=None if status == "Anfrage" else price,
        project_date=project_date,
        status=status,
        finalized_at=finalized_at,
        cancelled_at=cancelled_at,
        cancellation_reason=reason,
        customer=customer,
        materials=tuple(items),
    )


def _price_history(
    rng: random.Random, catalog: tuple[MaterialSpec, ...], today: date
) -> tuple[PriceRowSpec, ...]:
    """Every material has its current national price; a third changed price once, and a
    few have regional prices, as a wholesaler's price lists would show."""
    rows = []
    start = today - timedelta(days=HISTORY_YEARS * 365 + 30)
    for index, material in enumerate(catalog):
        if rng.random() < 0.35:
            changed = today - timedelta(days=rng.randint(30, 540))
            old = max(_cents(float(material.unit_price) / rng.uniform(1.04, 1.12)), CENT)
            rows.append(PriceRowSpec(index, old, None, start, changed - timedelta(days=1)))
            rows.append(PriceRowSpec(index, material.unit_price, None, changed, None))
            if rng.random() < 0.25:
                region = rng.choice(("Bayern", "Hamburg", "Baden-Württemberg", "Sachsen"))
                regional = _cents(float(material.unit_price) * REGION_FACTORS[region])
                rows.append(PriceRowSpec(index, regional, region, changed, None))
        else:
            listed = today - timedelta(days=rng.randint(30, 365))
            rows.append(PriceRowSpec(index, material.unit_price, None, listed, None))
    return tuple(rows)


def _users(plan: _Plan, admin_email: str) -> tuple[UserSpec, ...]:
    if plan.slug != "holzwurm":
        return (UserSpec(admin_email, Role.admin, "Katrin Krause"),)
    domain = admin_email.rpartition("@")[2]
    names = {
        Role.admin: "Anna Holzwurm",
        Role.manager: "Markus Brenner",
        Role.estimator: "Eva Kalkmann",
        Role.staff: "Stefan Hobel",
        Role.viewer: "Vera Blick",
    }
    others = [role for role in names if role is not Role.admin]
    return (
        UserSpec(admin_email, Role.admin, names[Role.admin]),
        *(UserSpec(f"{role.value}@{domain}", role, names[role]) for role in others),
    )


def _tenant(plan: _Plan, *, seed: int, projects: int, admin_email: str, today: date) -> TenantData:
    rng = random.Random(f"{seed}-{plan.slug}")
    catalog = tuple(
        build_catalog(
            rng,
            categories=plan.categories,
            limit=plan.material_limit,
            price_level=plan.catalog_level,
            supplier_index=plan.supplier_index,
        )
    )
    by_category: dict[str, list[int]] = {}
    for index, material in enumerate(catalog):
        by_category.setdefault(material.category, []).append(index)
    profiles = [BY_NAME[name] for name in plan.type_weights]
    weights = list(plan.type_weights.values())
    generated = []
    for serial in range(1, projects + 1):
        profile = rng.choices(profiles, weights=weights)[0]
        generated.append(_project(rng, plan, profile, catalog, by_category, serial, today))
    generated.sort(key=lambda project: project.project_date)
    return TenantData(
        name=plan.name,
        slug=plan.slug,
        tier=plan.tier,
        price_level=plan.price_level,
        company=CompanySpec(company_name=plan.name, default_region=plan.home_region),
        users=_users(plan, admin_email),
        materials=catalog,
        prices=_price_history(rng, catalog, today),
        projects=tuple(generated),
    )


HOLZWURM = _Plan(
    name="Schreinerei Holzwurm GmbH",
    slug="holzwurm",
    tier="premium",
    home_region="Bayern",
    home_share=0.4,
    price_level=1.0,
    type_weights=HOLZWURM_TYPES,
    categories=CATEGORIES,
    material_limit=None,
    supplier_index=0,
    catalog_level=1.0,
)
KRAUSE = _Plan(
    name="Fliesen & Bad Krause",
    slug="krause",
    tier="free",
    home_region="Nordrhein-Westfalen",
    home_share=0.5,
    price_level=1.35,
    type_weights=KRAUSE_TYPES,
    categories=KRAUSE_CATEGORIES,
    material_limit=60,
    supplier_index=1,
    # A small firm buys from another wholesaler, at somewhat higher prices.
    catalog_level=1.08,
)
KRAUSE_ADMIN_EMAIL = "admin@krause.example.de"


def generate(
    *,
    today: date,
    seed: int = 42,
    projects: int = 600,
    admin_email: str = "admin@demo.handwerkml.de",
) -> DemoData:
    """Both demo tenants; the second gets a quarter as many projects as the first."""
    if projects < 1:
        raise ValueError("projects must be at least 1")
    return DemoData(
        tenants=(
            _tenant(HOLZWURM, seed=seed, projects=projects, admin_email=admin_email, today=today),
            _tenant(
                KRAUSE,
                seed=seed,
                projects=max(projects // 4, 1),
                admin_email=KRAUSE_ADMIN_EMAIL,
                today=today,
            ),
        )
    )
