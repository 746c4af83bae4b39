"""Pay rules: øre exactness, km rate by date, expense cover, line grouping."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from models.payroll import (
    ExpenseCover,
    ExpenseCoverMode,
    KmRate,
    NoKmRateError,
    PayItem,
    PayKind,
    PaySettings,
    hourly_amount,
    hourly_rate_for,
    km_rate_on,
    pay_lines,
    to_ore,
    totals,
    totals_by_contact,
)

NEW_YEAR_2026 = date(2026, 1, 1)

rates = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("2000"), places=2)
minutes = st.integers(min_value=1, max_value=24 * 60)
km_values = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("2000"), places=1)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2)
days = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


def exact_ore(value: Fraction) -> Decimal:
    """Half-up rounding to øre done with fractions, independent of Decimal."""
    hundredths = value * 100
    whole = int(hundredths)
    if hundredths - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


def item(**overrides: object) -> PayItem:
    values: dict[str, object] = {
        "entry_id": "e1",
        "employee_no": "1001",
        "case_no": "2026/17",
        "period": "2026-03",
        "day": date(2026, 3, 5),
        "minutes": 90,
        "km": Decimal(0),
        "expenses": Decimal(0),
        "hourly_rate": Decimal("250.00"),
    }
    values.update(overrides)
    return PayItem(**values)  # type: ignore[arg-type]


@given(minutes=minutes, rate=rates)
def test_hourly_amount_is_exact_to_the_ore(minutes: int, rate: Decimal) -> None:
    assert hourly_amount(minutes, rate) == exact_ore(Fraction(minutes) * Fraction(rate) / 60)


@given(parts=st.lists(minutes, min_size=1, max_size=30), rate=rates)
def test_hours_are_summed_before_rounding(parts: list[int], rate: Decimal) -> None:
    items = [item(entry_id=f"e{i}", minutes=m, hourly_rate=rate) for i, m in enumerate(parts)]
    (line,) = pay_lines(items, PaySettings())
    assert line.kind is PayKind.hours
    assert line.amount == exact_ore(Fraction(sum(parts)) * Fraction(rate) / 60)
    assert line.quantity == exact_ore(Fraction(sum(parts), 60))


def test_twenty_and_forty_minutes_pay_exactly_one_hour() -> None:
    lines = pay_lines(
        [item(entry_id="a", minutes=20), item(entry_id="b", minutes=40)], PaySettings()
    )
    assert [(line.quantity, line.rate, line.amount) for line in lines] == [
        (Decimal("1.00"), Decimal("250.00"), Decimal("250.00"))
    ]


@given(day=days)
def test_km_rate_changes_exactly_at_new_year_2026(day: date) -> None:
    expected = Decimal("5.30") if day >= NEW_YEAR_2026 else Decimal("5.00")
    assert km_rate_on(day, PaySettings().km_rates) == expected


def test_km_rate_on_the_boundary_days() -> None:
    settings = PaySettings()
    assert km_rate_on(date(2025, 12, 31), settings.km_rates) == Decimal("5.00")
    assert km_rate_on(date(2026, 1, 1), settings.km_rates) == Decimal("5.30")


def test_km_before_any_rate_is_refused_not_guessed() -> None:
    with pytest.raises(NoKmRateError):
        km_rate_on(date(2024, 12, 31), PaySettings().km_rates)


@given(
    before=st.lists(km_values, min_size=1, max_size=5),
    after=st.lists(km_values, min_size=1, max_size=5),
)
def test_a_pay_period_across_new_year_pays_km_on_one_line_per_rate(
    before: list[Decimal], after: list[Decimal]
) -> None:
    items = [
        item(entry_id=f"b{i}", day=date(2025, 12, 22) + timedelta(days=i), km=k, minutes=0)
        for i, k in enumerate(before)
    ] + [
        item(entry_id=f"a{i}", day=date(2026, 1, 2) + timedelta(days=i), km=k, minutes=0)
        for i, k in enumerate(after)
    ]
    lines = pay_lines(items, PaySettings())
    assert [(line.kind, line.rate) for line in lines] == [
        (PayKind.km, Decimal("5.00")),
        (PayKind.km, Decimal("5.30")),
    ]
    old, new = lines
    assert old.quantity == sum(before)
    assert new.quantity == sum(after)
    assert old.amount == exact_ore(Fraction(sum(before)) * 5)
    assert new.amount == exact_ore(Fraction(sum(after)) * Fraction("5.30"))


@given(spent=st.lists(amounts, min_size=1, max_size=10))
def test_expenses_are_repaid_as_logged_by_default(spent: list[Decimal]) -> None:
    items = [item(entry_id=f"e{i}", expenses=a, minutes=0) for i, a in enumerate(spent)]
    (line,) = pay_lines(items, PaySettings())
    assert line.kind is PayKind.expenses
    assert line.amount == sum(spent)
    assert line.quantity * line.rate == line.amount


@given(
    spent=st.lists(st.tuples(st.sampled_from(["A/1", "B/2", "C/3"]), amounts), max_size=12),
    cap=amounts,
    earlier=st.decimals(min_value=Decimal(0), max_value=Decimal("6000"), places=2),
)
def test_monthly_cap_holds_across_cases_and_earlier_batches(
    spent: list[tuple[str, Decimal]], cap: Decimal, earlier: Decimal
) -> None:
    settings = PaySettings(
        expense_cover=ExpenseCover(mode=ExpenseCoverMode.monthly_cap, monthly_cap=cap)
    )
    items = [
        item(entry_id=f"e{i}", case_no=case, expenses=a, minutes=0)
        for i, (case, a) in enumerate(spent)
    ]
    lines = pay_lines(items, settings, expenses_already_paid={("1001", "2026-03"): earlier})
    repaid = sum((line.amount for line in lines), Decimal(0))
    logged = sum((a for _case, a in spent), Decimal(0))
    assert repaid == min(logged, max(Decimal(0), cap - earlier))


@given(parts=st.lists(minutes, min_size=1, max_size=10), per_hour=rates)
def test_expenses_per_hour_pay_a_fixed_sum_per_hour_worked(
    parts: list[int], per_hour: Decimal
) -> None:
    settings = PaySettings(
        expense_cover=ExpenseCover(mode=ExpenseCoverMode.per_hour, per_hour=per_hour)
    )
    items = [
        item(entry_id=f"e{i}", minutes=m, expenses=Decimal("99.00")) for i, m in enumerate(parts)
    ]
    repaid = sum(
        (line.amount for line in pay_lines(items, settings) if line.kind is PayKind.expenses),
        Decimal(0),
    )
    assert repaid == exact_ore(Fraction(sum(parts)) * Fraction(per_hour) / 60)


def test_cover_modes_need_their_number() -> None:
    with pytest.raises(ValidationError):
        ExpenseCover(mode=ExpenseCoverMode.per_hour)
    with pytest.raises(ValidationError):
        ExpenseCover(mode=ExpenseCoverMode.monthly_cap)


def test_lines_group_by_contact_case_period_and_carry_codes_and_dimensions() -> None:
    settings = PaySettings.model_validate(
        {
            "pay_codes": {
                "hours": {"code": "110", "account": "5000", "contra_account": "2930"},
                "km": {"code": "710"},
                "expenses": {"code": "720"},
            },
            "dimensions": ["1234", "", "{period}", "", "", "{case_no}"],
        }
    )
    items = [
        item(entry_id="a", minutes=60, km=Decimal("12.5")),
        item(entry_id="b", minutes=30, expenses=Decimal("45.50")),
        item(entry_id="c", case_no="G-7", minutes=120),
        item(entry_id="d", employee_no="1002", minutes=15, hourly_rate=Decimal("300.00")),
    ]
    lines = pay_lines(items, settings)
    summary = [(ln.employee_no, ln.case_no, ln.pay_code, ln.quantity, ln.amount) for ln in lines]
    assert summary == [
        ("1001", "2026/17", "110", Decimal("1.50"), Decimal("375.00")),
        ("1001", "2026/17", "710", Decimal("12.5"), Decimal("66.25")),
        ("1001", "2026/17", "720", Decimal(1), Decimal("45.50")),
        ("1001", "G-7", "110", Decimal("2.00"), Decimal("500.00")),
        ("1002", "2026/17", "110", Decimal("0.25"), Decimal("75.00")),
    ]
    assert lines[0].account == "5000"
    assert lines[0].contra_account == "2930"
    assert lines[0].dimensions == ("1234", "", "2026-03", "", "", "2026/17")
    assert totals(lines).amount == Decimal("1061.75")
    assert totals_by_contact(lines)["1002"].hours == Decimal("0.25")


@given(
    entries=st.lists(
        st.tuples(minutes, st.sampled_from([Decimal(0), Decimal("7.5")]), days), max_size=20
    )
)
def test_totals_are_the_sum_of_the_lines(entries: list[tuple[int, Decimal, date]]) -> None:
    items = [item(entry_id=f"e{i}", minutes=m, km=k, day=d) for i, (m, k, d) in enumerate(entries)]
    lines = pay_lines(items, PaySettings())
    assert totals(lines).amount == sum((line.amount for line in lines), Decimal(0))
    assert all(line.amount == to_ore(line.amount) >= 0 for line in lines)


def test_default_rate_applies_when_the_contact_has_none() -> None:
    settings = PaySettings(default_hourly_rate=Decimal("231.40"))
    assert hourly_rate_for(None, settings) == Decimal("231.40")
    assert hourly_rate_for(Decimal("300.00"), settings) == Decimal("300.00")


def test_settings_refuse_a_missing_pay_code_and_duplicate_km_dates() -> None:
    with pytest.raises(ValidationError):
        PaySettings.model_validate({"pay_codes": {"hours": {"code": "1"}}})
    with pytest.raises(ValidationError):
        PaySettings(
            km_rates=[
                KmRate(valid_from=date(2026, 1, 1), rate=Decimal("5.30")),
                KmRate(valid_from=date(2026, 1, 1), rate=Decimal("5.00")),
            ]
        )
    with pytest.raises(ValidationError):
        PaySettings.model_validate({"dimensions": ["{name}"]})


def test_settings_round_trip_through_json() -> None:
    settings = PaySettings()
    again = PaySettings.model_validate_json(settings.model_dump_json())
    assert again == settings
