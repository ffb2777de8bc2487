"""The pricing arithmetic and the totals, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from handwerkml.db.models import CompanySettings, TenderItem
from handwerkml.tenders import suggest
from handwerkml.tenders.suggest import CatalogMaterial, PastPrice
from handwerkml.tenders.totals import totals
from handwerkml.tenders.units import normalize_unit

NOW = datetime(2026, 11, 25, tzinfo=UTC)


def _past(up: str, similarity: float = 0.99, *, years: float = 0, qty: int = 10) -> PastPrice:
    priced = datetime.fromtimestamp(NOW.timestamp() - years * 365.25 * 86_400, tz=UTC)
    return PastPrice(1, 1, similarity, Decimal(up), Decimal(qty), priced, "01.0010", "Putz")


def _history(*matches: PastPrice, qty: int = 10) -> suggest.Suggestion | None:
    return suggest.from_history(
        matches,
        qty=Decimal(qty),
        lump_sum=False,
        now=NOW,
        min_similarity=0.93,
        index_per_year=0.03,
        frac_dig=2,
    )


@pytest.mark.parametrize(
    ("spellings", "unit"),
    [
        (["m2", "m²", "qm", " M2 "], "m2"),
        (["Stk", "St", "Stück", "stk."], "stk"),
        (["psch", "Pauschal", "PSCH"], "psch"),
        (["m", "lfm", "lfd. m"], "m"),
        (["h", "Std", "Stunden"], "h"),
    ],
)
def test_unit_spellings_become_one(spellings: list[str], unit: str) -> None:
    assert {normalize_unit(spelling) for spelling in spellings} == {unit}


def test_an_unknown_unit_only_matches_itself() -> None:
    assert normalize_unit("Rolle") == "rolle"
    assert normalize_unit("Rolle") != normalize_unit("m")


def test_the_weighted_median_follows_the_weights() -> None:
    assert suggest.weighted_median([10, 20, 30], [1, 1, 1]) == 20
    assert suggest.weighted_median([10, 20, 30], [5, 1, 1]) == 10
    assert suggest.weighted_median([10, 20, 30], [1, 1, 5]) == 30


def test_history_brings_old_prices_to_today_and_agreeing_prices_are_confident() -> None:
    found = _history(_past("10.00", years=2), _past("10.00", years=2), _past("10.00", years=2))
    assert found is not None
    assert found.source == "history"
    assert found.up == Decimal("10.61")  # 10 × 1.03² = 10.609
    assert found.confidence is not None
    assert found.confidence > 0.9
    assert found.flag_reason is None
    assert [m["up"] for m in found.basis["matches"]] == ["10.00"] * 3


def test_history_disagreement_lowers_confidence_and_flags() -> None:
    spread = _history(_past("5.00"), _past("10.00"), _past("30.00"))
    single = _history(_past("10.00"))
    assert spread is not None
    assert single is not None
    assert spread.up == Decimal("10.00")  # the median, not the mean (15)
    assert spread.confidence is not None
    assert spread.confidence < suggest.LOW_CONFIDENCE
    assert spread.flag_reason is not None
    assert single.confidence == pytest.approx(0.8 * (0.5 + 0.5 * (0.06 / 0.07)), abs=1e-3)


def test_history_ignores_matches_below_the_threshold() -> None:
    assert _history(_past("10.00", similarity=0.92)) is None


def test_more_quantity_lowers_the_price_within_bounds() -> None:
    bigger = _history(_past("10.00", qty=10), qty=50)
    huge = _history(_past("10.00", qty=1), qty=1_000_000)
    assert bigger is not None
    assert huge is not None
    assert bigger.up == Decimal("9.23")  # (10/50) ** 0.05 = 0.9227
    assert huge.up == Decimal("9.00")  # bounded at -10 %
    assert suggest.qty_factor(Decimal(1), Decimal(1000), lump_sum=True) == 1.0


def test_words_tell_materials_apart() -> None:
    same = suggest.word_overlap(
        "Mauerwerk aus Kalksandstein 24 cm", "Mauerwerk, aus KALKSANDSTEIN 24 cm"
    )
    other = suggest.word_overlap(
        "Mauerwerk aus Kalksandstein 24 cm", "Mauerwerk aus Porenbeton 24 cm"
    )
    assert same == 1.0
    assert other == pytest.approx(4 / 5)
    # A short text inside a long one counts fully; nothing in common is nothing.
    assert suggest.word_overlap("Oberboden abtragen", "Oberboden abtragen und lagern, 20 cm") == 1
    assert suggest.word_overlap("Oberboden abtragen", "Estrich einbauen") == 0


def _company() -> CompanySettings:
    return CompanySettings(
        labor_rate_per_hour=Decimal("50.00"),
        material_markup_percentage=Decimal("30.00"),
        overhead_percentage=Decimal("15.00"),
        profit_margin_percentage=Decimal("25.00"),
        tax_rate=Decimal("0.1900"),
    )


def test_a_catalog_material_matches_only_by_whole_name_and_unit() -> None:
    catalog = [
        CatalogMaterial(1, "Fliesenkleber", "kg", Decimal("10.00")),
        CatalogMaterial(2, "Fliesenkleber flexibel", "kg", Decimal("14.00")),
        CatalogMaterial(3, "Fliesen", "m²", Decimal("30.00")),
    ]
    found = suggest.match_material("Fliesenkleber flexibel liefern", "kg", catalog)
    assert found is not None
    assert found.id == 2  # the longest name that is there
    assert suggest.match_material("Fliesen verlegen", "kg", catalog) is None  # unit differs
    assert suggest.match_material("Fliesenkleberei", "kg", catalog) is None  # not a whole word
    priced = suggest.from_catalog(catalog[0], _company(), 2)
    assert priced.up == Decimal("18.69")
    assert priced.basis["labor_hours_per_unit"] is None
    assert priced.flag_reason is not None


def test_hourly_work_costs_the_firms_rate_with_overhead_and_profit() -> None:
    assert suggest.hourly(_company(), 2).up == Decimal("71.88")


def _item(oz: str, qty: str, up: str | None, kind: str = "normal", rno: str = "01") -> TenderItem:
    return TenderItem(
        oz=oz.replace(".", ""),
        oz_dotted=oz,
        category_rno=rno,
        category_path=["Rohbau", "Mauerwerk"][: rno.count(".") + 1],
        qty=Decimal(qty),
        kind=kind,
        suggested_up=None if up is None else Decimal(up),
        final_up=None,
        decision="pending",
        flagged=False,
    )


def test_totals_count_what_counts_and_round_each_item() -> None:
    items = [
        _item("01.01.0010", "3.333", "1.005", rno="01.01"),  # 3.333 × 1.01 = 3.36633 → 3.37
        _item("01.01.0020", "2", "10.00", kind="optional", rno="01.01"),  # priced, not counted
        _item("01.02.0010", "1", "100.00", kind="lump_sum", rno="01.02"),
        _item("01.02.0020", "1", None, rno="01.02"),
        _item("01.02.0030", "1", None, kind="surcharge", rno="01.02"),  # needs no price
    ]
    result = totals(items, 2, Decimal("0.19"))
    assert result.net == Decimal("103.37")
    assert result.vat == Decimal("19.64")
    assert result.gross == Decimal("123.01")
    assert {c.rno: c.net for c in result.categories} == {
        "01": Decimal("103.37"),
        "01.01": Decimal("3.37"),
        "01.02": Decimal("100.00"),
    }
    assert result.missing == ["01.02.0020"]
    assert result.priced == 3
