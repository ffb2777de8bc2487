"""How a tender item gets its suggested unit price: pure arithmetic, no database.

In this order, the first that applies wins (tenders/pricing.py gathers the inputs):

1. history: the firm's own past prices of items with (nearly) the same text and unit —
   for hourly items too, where "Geselle" and "Meister" had rates of their own;
2. hourly work without history: the firm's hourly rate with overhead and profit;
3. calculation: a catalog material whose name the item text names, with the same unit;
4. the price model (pricing/): an m² item whose category or short text names one of the
   firm's project types ("Fliesenarbeiten") gets the model's price of such a project
   of that area, per m² — only with an active model trained on enough projects;
5. nothing: the item is flagged "no basis" and gets no price. Nothing here ever invents one.

History: the matches (cosine ≥ tender_history_min_similarity, same normalized unit) are
brought to today with the yearly price index and to this item's quantity with a small
scale factor, then combined as a weighted median. Each weight is the cosine similarity
times (1 + the share of words the two texts have in common) / 2: embeddings of
small models rate "Mauerwerk aus Kalksandstein" and "… aus Porenbeton" 0.97 alike, the
words tell the material apart. Confidence says how alike the texts were (both measures)
and how well the past prices agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from handwerkml.company.calculation import calculate_cost_breakdown
from handwerkml.db.models import CompanySettings
from handwerkml.tenders.units import normalize_unit

# Bigger jobs cost less per unit: UP × (past qty / this qty) ** 0.05, bounded to ±10 %
# (ten times the quantity: about 11 % cheaper, capped at 10 %).
QTY_SCALE_EXPONENT = 0.05
QTY_SCALE_BOUNDS = (0.9, 1.1)
# One past price says nothing about agreement: its confidence is capped here.
SINGLE_MATCH_AGREEMENT = 0.8
# A catalog material price lacks the labour: a suggestion to check, never to trust.
CALCULATION_CONFIDENCE = 0.4
HOURLY_CONFIDENCE = 0.9
# The price model prices whole projects: its per-m² share of an item is a rough guess.
MODEL_CONFIDENCE_SHARE = 0.5
# Below this a suggestion is flagged for review.
LOW_CONFIDENCE = 0.5
# Material names shorter than this ("Holz" counts, "PE" does not) match too much.
MIN_MATERIAL_NAME = 4


class Source:
    history = "history"
    calculation = "calculation"
    model = "model"
    none = "none"


@dataclass(frozen=True, slots=True)
class PastPrice:
    """A priced item of the firm's history that the search found."""

    item_id: int
    tender_id: int
    similarity: float
    up: Decimal
    qty: Decimal | None
    priced_at: datetime
    oz: str
    short_text: str
    # Share of words the two item texts have in common (word_overlap), 0..1.
    overlap: float = 1.0

    @property
    def weight(self) -> float:
        return self.similarity * (1.0 + self.overlap) / 2


@dataclass(frozen=True, slots=True)
class Suggestion:
    source: str
    up: Decimal | None
    confidence: float | None
    basis: dict[str, Any] = field(default_factory=dict)
    flag_reason: str | None = None


@dataclass(frozen=True, slots=True)
class CatalogMaterial:
    id: int
    name: str
    unit: str
    unit_price: Decimal


def round_up(price: Decimal, frac_dig: int) -> Decimal:
    """A unit price to the bill's UPFracDig decimals, half up (as the X84 writer rounds)."""
    return price.quantize(Decimal(1).scaleb(-frac_dig), rounding=ROUND_HALF_UP)


def date_factor(priced_at: datetime, now: datetime, index_per_year: float) -> float:
    years = max(0.0, (now - priced_at).total_seconds() / (365.25 * 86_400))
    return float((1.0 + index_per_year) ** years)


def qty_factor(past_qty: Decimal | None, qty: Decimal | None, lump_sum: bool) -> float:
    if lump_sum or not past_qty or not qty or past_qty <= 0 or qty <= 0:
        return 1.0
    low, high = QTY_SCALE_BOUNDS
    scale = float(float(past_qty / qty) ** QTY_SCALE_EXPONENT)
    return min(high, max(low, scale))


def weighted_median(values: Sequence[float], weights: Sequence[float]) -> float:
    """The smallest value at which the sorted weights reach half of their sum."""
    pairs = sorted(zip(values, weights, strict=True))
    half = sum(weights) / 2
    running = 0.0
    for value, weight in pairs:
        running += weight
        if running >= half:
            return value
    return pairs[-1][0]


def from_history(
    matches: Sequence[PastPrice],
    *,
    qty: Decimal | None,
    lump_sum: bool,
    now: datetime,
    min_similarity: float,
    index_per_year: float,
    frac_dig: int,
) -> Suggestion | None:
    """The similarity-weighted median of the adjusted past prices; None without a match."""
    used = [m for m in matches if m.similarity >= min_similarity and m.up >= 0]
    if not used:
        return None
    adjusted = [
        float(m.up)
        * date_factor(m.priced_at, now, index_per_year)
        * qty_factor(m.qty, qty, lump_sum)
        for m in used
    ]
    weights = [m.weight for m in used]
    median = weighted_median(adjusted, weights)
    mean_similarity = sum(m.similarity for m in used) / len(used)
    mean_overlap = sum(m.overlap for m in used) / len(used)
    span = 1.0 - min_similarity
    closeness = 1.0 if span <= 0 else min(1.0, (mean_similarity - min_similarity) / span)
    closeness *= (1.0 + mean_overlap) / 2
    if len(used) == 1:
        agreement = SINGLE_MATCH_AGREEMENT
    else:
        deviations = [abs(value - median) for value in adjusted]
        spread = weighted_median(deviations, weights) / median if median > 0 else 1.0
        agreement = 1.0 / (1.0 + 4.0 * spread)
    confidence = round((0.5 + 0.5 * closeness) * agreement, 3)
    basis = {
        "matches": [
            {
                "item_id": m.item_id,
                "tender_id": m.tender_id,
                "oz": m.oz,
                "short_text": m.short_text[:200],
                "similarity": round(m.similarity, 4),
                "word_overlap": round(m.overlap, 3),
                "up": str(m.up),
                "qty": None if m.qty is None else str(m.qty),
                "priced_at": m.priced_at.date().isoformat(),
                "adjusted_up": round(value, 4),
            }
            for m, value in zip(used, adjusted, strict=True)
        ],
        "price_index_per_year": index_per_year,
        "qty_scale_exponent": 0.0 if lump_sum else QTY_SCALE_EXPONENT,
    }
    flag = None
    if confidence < LOW_CONFIDENCE:
        flag = "Ähnliche frühere Positionen weichen im Preis stark voneinander ab"
    return Suggestion(
        Source.history, round_up(Decimal(repr(median)), frac_dig), confidence, basis, flag
    )


def hourly(company: CompanySettings, frac_dig: int, *, labour: bool = True) -> Suggestion:
    """An hour of work at the firm's rate, with its overhead and profit. `labour`: the item
    is hourly work (Stundenlohnarbeiten); otherwise only its unit is hours (operating a
    machine, say), and the rate is an assumption to check."""
    breakdown = calculate_cost_breakdown(
        material_cost=Decimal(0), labor_hours=Decimal(1), settings=company
    )
    basis = {
        "labor_rate_per_hour": str(company.labor_rate_per_hour),
        "overhead_percentage": str(company.overhead_percentage),
        "profit_margin_percentage": str(company.profit_margin_percentage),
    }
    if labour:
        return Suggestion(
            Source.calculation, round_up(breakdown.net, frac_dig), HOURLY_CONFIDENCE, basis
        )
    return Suggestion(
        Source.calculation,
        round_up(breakdown.net, frac_dig),
        CALCULATION_CONFIDENCE,
        basis,
        "Stundensatz des Betriebs angenommen (Einheit Stunden, keine Stundenlohnarbeit)",
    )


def match_material(
    text: str, unit: str, materials: Sequence[CatalogMaterial]
) -> CatalogMaterial | None:
    """The catalog material the text clearly names, in the item's unit: the longest name
    found as whole words; None where none or two equally long different ones are found."""
    wanted = normalize_unit(unit)
    found = [m for m in materials if normalize_unit(m.unit) == wanted and names(text, m.name)]
    if not found:
        return None
    longest = max(len(_words(m.name)) for m in found)
    best = [m for m in found if len(_words(m.name)) == longest]
    if len({(m.unit_price, _words(m.name)) for m in best}) > 1:
        return None
    return best[0]


def names(text: str, name: str) -> bool:
    """Whether `text` names `name` as whole words (case and punctuation ignored)."""
    wanted = _words(name)
    return len(wanted) >= MIN_MATERIAL_NAME and f" {wanted} " in f" {_words(text)} "


def word_overlap(a: str, b: str) -> float:
    """The share of the shorter text's distinct words that the other has too (case and
    punctuation ignored): a short text against a long one is not penalized for the
    long one's extra words, a different material word is."""
    left, right = set(_words(a).split()), set(_words(b).split())
    if not left or not right:
        return 1.0 if left == right else 0.0
    return len(left & right) / min(len(left), len(right))


def _words(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.casefold()).split())


def from_catalog(material: CatalogMaterial, company: CompanySettings, frac_dig: int) -> Suggestion:
    """The material's price with the firm's markup, overhead and profit. No labour: no
    labour time per unit is known for a catalog material, and none is made up."""
    breakdown = calculate_cost_breakdown(
        material_cost=material.unit_price, labor_hours=Decimal(0), settings=company
    )
    basis = {
        "material_id": material.id,
        "material": material.name,
        "material_unit_price": str(material.unit_price),
        "material_markup_percentage": str(company.material_markup_percentage),
        "overhead_percentage": str(company.overhead_percentage),
        "profit_margin_percentage": str(company.profit_margin_percentage),
        "labor_hours_per_unit": None,
    }
    return Suggestion(
        Source.calculation,
        round_up(breakdown.net, frac_dig),
        CALCULATION_CONFIDENCE,
        basis,
        "Nur Materialpreis aus dem Katalog, ohne Lohnanteil: bitte prüfen",
    )


def from_model(
    *,
    version: int,
    project_type: str,
    qty: Decimal,
    price: Decimal,
    low: Decimal,
    high: Decimal,
    frac_dig: int,
) -> Suggestion:
    """The price model's price of a project of this type and area, per m²: a rough
    estimate (a project price, not an item's), so half its own confidence and flagged."""
    half_width = float(high - low) / (2 * float(price)) if price > 0 else 1.0
    confidence = round(max(0.0, min(1.0, 1 - half_width)) * MODEL_CONFIDENCE_SHARE, 3)
    basis = {
        "model_version": version,
        "project_type": project_type,
        "total_area_sqm": str(qty),
        "predicted_price": str(price),
        "interval": [str(low), str(high)],
    }
    return Suggestion(
        Source.model,
        round_up(price / qty, frac_dig),
        confidence,
        basis,
        "Schätzung des Preismodells aus Projektpreisen je m²: bitte prüfen",
    )


def no_basis(reason: str = "Keine Grundlage für einen Preis") -> Suggestion:
    return Suggestion(Source.none, None, None, {}, reason)
