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
    hours_from_minutes,
    km_rate_on,
    passenger_rate_on,
    pay_lines,
    split_km,
    tax_free_km_rate_on,
    to_ore,
    totals,
    totals_by_contact,
)
from models.schemas import ContractType

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
    assert line.kind is PayKind.contractor_fee
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
def test_a_pay_period_across_new_year_pays_km_on_a_pair_of_lines_per_rate(
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
        (PayKind.km_tax_free, Decimal("3.50")),
        (PayKind.km_tax_free, Decimal("3.50")),
        (PayKind.km_taxable, Decimal("1.50")),
        (PayKind.km_taxable, Decimal("1.80")),
    ]
    free_old, free_new, taxed_old, taxed_new = lines
    assert free_old.quantity == taxed_old.quantity == sum(before)
    assert free_new.quantity == taxed_new.quantity == sum(after)
    assert free_old.amount + taxed_old.amount == exact_ore(Fraction(sum(before)) * 5)
    assert free_new.amount + taxed_new.amount == exact_ore(Fraction(sum(after)) * Fraction("5.30"))
    assert free_new.amount == exact_ore(Fraction(sum(after)) * Fraction("3.50"))


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
                "employee_hours": {"code": "100"},
                "contractor_fee": {"code": "110", "account": "5000", "contra_account": "2930"},
                "km_tax_free": {"code": "710"},
                "km_taxable": {"code": "711"},
                "passenger": {"code": "712"},
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
        ("1001", "2026/17", "710", Decimal("12.5"), Decimal("43.75")),
        ("1001", "2026/17", "711", Decimal("12.5"), Decimal("22.50")),
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
        PaySettings.model_validate({"pay_codes": {"contractor_fee": {"code": "1"}}})
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


# --- pay codes by contract type, km split for tax, passenger add-on (docs/rules.md §8) -------

km_any = st.decimals(min_value=Decimal("0.1"), max_value=Decimal("100000"), places=1)
any_day = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))


@given(km=km_any, day=any_day)
def test_the_two_km_lines_add_up_to_km_times_the_rate_to_the_ore(km: Decimal, day: date) -> None:
    settings = PaySettings()
    lines = pay_lines([item(minutes=0, km=km, day=day)], settings)
    rate = km_rate_on(day, settings.km_rates)
    assert [line.kind for line in lines] == [PayKind.km_tax_free, PayKind.km_taxable]
    free, taxed = lines
    assert free.amount + taxed.amount == exact_ore(Fraction(km) * Fraction(rate))
    assert free.amount == exact_ore(Fraction(km) * Fraction("3.50"))
    assert free.rate + taxed.rate == rate
    assert free.quantity == taxed.quantity == km
    # Rounding the whole once leaves the taxable part within an øre of its own product.
    assert abs(Fraction(taxed.amount) - Fraction(km) * Fraction(taxed.rate)) <= Fraction(1, 100)
    assert totals(lines).km == km


@given(
    km=km_any,
    rate=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("20"), places=2),
    free=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("20"), places=2),
)
def test_split_km_never_goes_negative_and_always_adds_up(
    km: Decimal, rate: Decimal, free: Decimal
) -> None:
    split = split_km(km, rate, free)
    assert split.tax_free + split.taxable == split.total == exact_ore(Fraction(km) * Fraction(rate))
    assert split.tax_free >= 0
    assert split.taxable >= 0


def test_the_tax_free_part_follows_the_date_and_never_exceeds_the_rate() -> None:
    settings = PaySettings(
        km_rates=[KmRate(valid_from=date(2025, 1, 1), rate=Decimal("3.00"))],
        km_tax_free_rates=[KmRate(valid_from=date(2025, 1, 1), rate=Decimal("3.50"))],
    )
    (line,) = pay_lines([item(minutes=0, km=Decimal("10.0"))], settings)
    # All of a rate below the tax-free limit is tax-free: no taxable line.
    assert (line.kind, line.rate, line.amount) == (
        PayKind.km_tax_free,
        Decimal("3.00"),
        Decimal("30.00"),
    )
    assert tax_free_km_rate_on(date(2026, 6, 1), PaySettings()) == Decimal("3.50")
    with pytest.raises(NoKmRateError):
        tax_free_km_rate_on(date(2024, 12, 31), PaySettings())


def test_a_change_of_the_tax_free_rate_mid_period_splits_the_lines() -> None:
    settings = PaySettings(
        km_tax_free_rates=[
            KmRate(valid_from=date(2025, 1, 1), rate=Decimal("3.50")),
            KmRate(valid_from=date(2026, 3, 15), rate=Decimal("4.00")),
        ]
    )
    items = [
        item(entry_id="a", minutes=0, km=Decimal("10.0"), day=date(2026, 3, 14)),
        item(entry_id="b", minutes=0, km=Decimal("20.0"), day=date(2026, 3, 15)),
    ]
    lines = pay_lines(items, settings)
    assert [(ln.kind, ln.quantity, ln.rate, ln.amount) for ln in lines] == [
        (PayKind.km_tax_free, Decimal("10.0"), Decimal("3.50"), Decimal("35.00")),
        (PayKind.km_tax_free, Decimal("20.0"), Decimal("4.00"), Decimal("80.00")),
        (PayKind.km_taxable, Decimal("20.0"), Decimal("1.30"), Decimal("26.00")),
        (PayKind.km_taxable, Decimal("10.0"), Decimal("1.80"), Decimal("18.00")),
    ]


@given(
    parts=st.lists(st.tuples(minutes, st.sampled_from(list(ContractType))), min_size=1),
)
def test_hours_go_under_the_code_of_the_contract_type(
    parts: list[tuple[int, ContractType]],
) -> None:
    settings = PaySettings()
    items = [
        item(entry_id=f"e{i}", employee_no=f"{contract.value}", minutes=m, contract_type=contract)
        for i, (m, contract) in enumerate(parts)
    ]
    lines = pay_lines(items, settings)
    for line in lines:
        expected = (
            PayKind.employee_hours if line.employee_no == "employee" else PayKind.contractor_fee
        )
        assert line.kind is expected
        assert line.pay_code == settings.pay_codes[expected].code
    for contract in ContractType:
        worked = sum(m for m, c in parts if c is contract)
        paid = sum(
            (line.quantity for line in lines if line.employee_no == contract.value), Decimal(0)
        )
        assert paid == (hours_from_minutes(worked) if worked else 0)


def test_the_passenger_add_on_is_off_by_default_and_paid_tax_free_when_set() -> None:
    riding = item(minutes=0, km=Decimal("20.0"), passenger_km=Decimal("40.0"))
    assert {line.kind for line in pay_lines([riding], PaySettings())} == {
        PayKind.km_tax_free,
        PayKind.km_taxable,
    }
    settings = PaySettings(
        passenger_rates=[
            KmRate(valid_from=date(2025, 1, 1), rate=Decimal("1.00")),
            KmRate(valid_from=date(2026, 3, 10), rate=Decimal("0.00")),
        ]
    )
    lines = pay_lines(
        [riding, item(entry_id="late", day=date(2026, 3, 10), passenger_km=Decimal(9))], settings
    )
    (rider,) = [line for line in lines if line.kind is PayKind.passenger]
    assert (rider.pay_code, rider.quantity, rider.rate, rider.amount) == (
        "7120",
        Decimal("40.0"),
        Decimal("1.00"),
        Decimal("40.00"),
    )
    # The passenger km are not km driven.
    assert totals(lines).km == Decimal("20.0")
    assert passenger_rate_on(date(2024, 1, 1), settings) == 0


def test_settings_refuse_old_codes_shared_codes_and_duplicate_tax_free_dates() -> None:
    with pytest.raises(ValidationError, match="erstattet"):
        PaySettings.model_validate(
            {
                "pay_codes": {
                    **PaySettings().model_dump(mode="json")["pay_codes"],
                    "km": {"code": "9"},
                }
            }
        )
    shared = PaySettings().model_dump(mode="json")
    shared["pay_codes"]["employee_hours"]["code"] = shared["pay_codes"]["contractor_fee"]["code"]
    with pytest.raises(ValidationError, match="bare brukes til én"):
        PaySettings.model_validate(shared)
    with pytest.raises(ValidationError):
        PaySettings(
            km_tax_free_rates=[
                KmRate(valid_from=date(2026, 1, 1), rate=Decimal("3.50")),
                KmRate(valid_from=date(2026, 1, 1), rate=Decimal("3.00")),
            ]
        )
