"""Pay rules (docs/rules.md §8): what an approved entry is worth, to the øre.

Pure functions over plain data. The server gathers the approved, unpaid
entries of a batch as `PayItem`s, calls `pay_lines`, and hands the lines to
the export writers; nothing here knows about tables or files.

Rounding happens once per pay line, never per entry: a line's amount is its
exact quantity times its rate, rounded half up to the øre. Hours are summed in
whole minutes first, so 20 + 40 minutes pay exactly one hour.

Pay codes follow the contact's contract type and the tax rules (docs/rules.md
§8 "Pay codes by contract type" and "Km for tax"): an employee's hours go
under a code the payroll system treats as holiday-pay basis, a contractor's
under a fee code; the km allowance is paid as a tax-free line and a taxable
line whose amounts add up to km × rate exactly; a passenger add-on, when set,
is a tax-free line of its own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from models.schemas import ContractType, Schema
from models.types import Nok

ORE = Decimal("0.01")
TENTH = Decimal("0.1")
DIMENSIONS = 6  # Visma Lønn's Dim1..Dim6

CASE_NO_PLACEHOLDER = "{case_no}"
PERIOD_PLACEHOLDER = "{period}"


def to_ore(value: Decimal) -> Decimal:
    """Round half up to whole øre — the one rounding rule money follows."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def hours_from_minutes(minutes: int) -> Decimal:
    """Whole minutes as hours with two decimals (for the quantity column)."""
    return to_ore(Decimal(minutes) / 60)


def hourly_amount(minutes: int, rate: Decimal) -> Decimal:
    """Pay for `minutes` at `rate` kr per hour, rounded once to the øre.

    Multiply before dividing so that the only inexact step is the final one.
    """
    return to_ore(Decimal(minutes) * rate / 60)


# --- settings (kept as data; the admin edits them) ---------------------------------


class PayKind(StrEnum):
    """What a pay line pays; each kind a settings key has its own pay code.

    The order is the order of lines in the files. `hours` and `km` are the
    single hour and km lines of batches made before the split; frozen lines
    keep them, new batches never make them.
    """

    employee_hours = "employee_hours"  # feriepengegrunnlag in the payroll system
    contractor_fee = "contractor_fee"  # honorar, no holiday pay
    hours = "hours"
    km_tax_free = "km_tax_free"
    km_taxable = "km_taxable"  # reported as pay in the a-melding
    km = "km"
    passenger = "passenger"  # tax-free add-on per km per passenger
    expenses = "expenses"


LEGACY_KINDS = frozenset({PayKind.hours, PayKind.km})
HOUR_KINDS = frozenset({PayKind.employee_hours, PayKind.contractor_fee, PayKind.hours})
# The km driven is on the tax-free line (and on old single km lines); the
# taxable line repeats the same km, so counting it too would double the total.
KM_KINDS = frozenset({PayKind.km_tax_free, PayKind.km})
SETTING_KINDS = tuple(kind for kind in PayKind if kind not in LEGACY_KINDS)


class ExpenseCoverMode(StrEnum):
    as_logged = "as_logged"  # repay what was laid out
    per_hour = "per_hour"  # a fixed amount per hour worked, whatever was logged
    monthly_cap = "monthly_cap"  # repay as logged, at most a sum per contact per pay period


PayCodeText = Annotated[
    str, StringConstraints(min_length=1, max_length=10, pattern=r"^[0-9A-Za-z]+$")
]
AccountText = Annotated[str, StringConstraints(max_length=20, pattern=r"^[0-9A-Za-z.-]*$")]
DimensionText = Annotated[
    str, StringConstraints(max_length=20, pattern=r"^([0-9A-Za-z._/-]*|\{case_no\}|\{period\})$")
]


class PayCode(Schema):
    """A lønnsart and the accounts its lines are booked on."""

    code: PayCodeText
    account: AccountText = ""
    contra_account: AccountText = ""


class KmRate(Schema):
    """The km rate (kr per km) from a date on, until the next one takes over."""

    valid_from: date
    rate: Nok


class ExpenseCover(Schema):
    """How logged expenses are repaid."""

    mode: ExpenseCoverMode = ExpenseCoverMode.as_logged
    per_hour: Nok | None = None
    monthly_cap: Nok | None = None

    @model_validator(mode="after")
    def _complete(self) -> ExpenseCover:
        if self.mode is ExpenseCoverMode.per_hour and self.per_hour is None:
            raise ValueError("Sett beløpet per time når utlegg dekkes per time.")
        if self.mode is ExpenseCoverMode.monthly_cap and self.monthly_cap is None:
            raise ValueError("Sett månedstaket når utlegg dekkes opp til et tak.")
        return self


def _default_km_rates() -> list[KmRate]:
    # Statens sats for bilgodtgjørelse.
    return [
        KmRate(valid_from=date(2025, 1, 1), rate=Decimal("5.00")),
        KmRate(valid_from=date(2026, 1, 1), rate=Decimal("5.30")),
    ]


def _default_tax_free_km_rates() -> list[KmRate]:
    # Skattefri del av bilgodtgjørelsen: kr 3,50 in 2025 and in 2026.
    return [
        KmRate(valid_from=date(2025, 1, 1), rate=Decimal("3.50")),
        KmRate(valid_from=date(2026, 1, 1), rate=Decimal("3.50")),
    ]


def _default_pay_codes() -> dict[PayKind, PayCode]:
    # Placeholders a municipality replaces with its own lønnsarter; the fee
    # code keeps the old single hour code, since most contacts are contractors.
    return {
        PayKind.employee_hours: PayCode(code="1000"),
        PayKind.contractor_fee: PayCode(code="1100"),
        PayKind.km_tax_free: PayCode(code="7100"),
        PayKind.km_taxable: PayCode(code="7110"),
        PayKind.passenger: PayCode(code="7120"),
        PayKind.expenses: PayCode(code="7200"),
    }


RateList = Annotated[list[KmRate], Field(max_length=50)]


def _default_dimensions() -> list[str]:
    return ["", "", "", "", "", CASE_NO_PLACEHOLDER]


class PaySettings(Schema):
    """Every number and code payroll depends on, as data rather than code.

    `dimensions` are Dim1..Dim6 of the Visma file: a fixed code (ansvar,
    tjeneste, prosjekt …), `{case_no}` for the line's case number (or group
    id) or `{period}` for its pay period, or empty.
    """

    pay_codes: dict[PayKind, PayCode] = Field(default_factory=_default_pay_codes)
    default_hourly_rate: Nok = Decimal("250.00")
    km_rates: list[KmRate] = Field(default_factory=_default_km_rates, min_length=1, max_length=50)
    # The tax-free part of the km rate, by date; the rest of the rate is taxable.
    km_tax_free_rates: list[KmRate] = Field(
        default_factory=_default_tax_free_km_rates, min_length=1, max_length=50
    )
    # Kr per km per passenger, by date; none (or 0) means the add-on is off.
    passenger_rates: RateList = Field(default_factory=list)
    expense_cover: ExpenseCover = Field(default_factory=ExpenseCover)
    dimensions: list[DimensionText] = Field(
        default_factory=_default_dimensions, max_length=DIMENSIONS
    )

    @model_validator(mode="after")
    def _coherent(self) -> PaySettings:
        missing = [kind.value for kind in SETTING_KINDS if kind not in self.pay_codes]
        if missing:
            raise ValueError(f"Lønnsart mangler for: {', '.join(missing)}.")
        old = [kind.value for kind in LEGACY_KINDS if kind in self.pay_codes]
        if old:
            raise ValueError(
                f"Lønnsarten {', '.join(sorted(old))} er erstattet: timer har egne lønnsarter "
                "for ansatte og oppdragstakere, og kjøring en skattefri og en skattepliktig."
            )
        codes = [self.pay_codes[kind].code for kind in SETTING_KINDS]
        if len(set(codes)) != len(codes):
            # The payroll system tells holiday-pay basis and taxable pay apart
            # by code alone, so a shared code would merge what must stay apart.
            raise ValueError("Hver lønnsart kan bare brukes til én type linje.")
        for name, rates in (
            ("kilometersatser", self.km_rates),
            ("skattefrie kilometersatser", self.km_tax_free_rates),
            ("passasjertillegg", self.passenger_rates),
        ):
            days = [rate.valid_from for rate in rates]
            if len(set(days)) != len(days):
                raise ValueError(f"To {name} gjelder fra samme dato.")
        self.km_rates = sorted(self.km_rates, key=lambda rate: rate.valid_from)
        self.km_tax_free_rates = sorted(self.km_tax_free_rates, key=lambda rate: rate.valid_from)
        self.passenger_rates = sorted(self.passenger_rates, key=lambda rate: rate.valid_from)
        return self


def hourly_rate_for(contact_rate: Decimal | None, settings: PaySettings) -> Decimal:
    """A contact's own rate, or the municipality's default when they have none."""
    return contact_rate if contact_rate is not None else settings.default_hourly_rate


class NoKmRateError(ValueError):
    """No km rate covers the date: paying a guess would be worse than stopping."""


def _rate_on(day: date, rates: Sequence[KmRate]) -> Decimal | None:
    found: Decimal | None = None
    for rate in sorted(rates, key=lambda r: r.valid_from):
        if rate.valid_from <= day:
            found = rate.rate
    return found


def km_rate_on(day: date, rates: Sequence[KmRate]) -> Decimal:
    """The km rate in force on `day`: the latest one whose `valid_from` ≤ `day`."""
    found = _rate_on(day, rates)
    if found is None:
        raise NoKmRateError(f"Ingen kilometersats gjelder {day:%d.%m.%Y}.")
    return found


def tax_free_km_rate_on(day: date, settings: PaySettings) -> Decimal:
    """The tax-free part of the km rate on `day`, never more than the rate itself.

    When the municipality pays less than the tax-free limit, all of it is tax-free.
    """
    found = _rate_on(day, settings.km_tax_free_rates)
    if found is None:
        raise NoKmRateError(f"Ingen skattefri kilometersats gjelder {day:%d.%m.%Y}.")
    return min(found, km_rate_on(day, settings.km_rates))


def passenger_rate_on(day: date, settings: PaySettings) -> Decimal:
    """The passenger add-on per km per passenger on `day`; 0 when none is set (off)."""
    return _rate_on(day, settings.passenger_rates) or Decimal(0)


@dataclass(frozen=True, slots=True)
class KmSplit:
    """One km amount split for tax: the parts add up to `total` exactly."""

    total: Decimal
    tax_free: Decimal
    taxable: Decimal


def split_km(km: Decimal, rate: Decimal, tax_free_rate: Decimal) -> KmSplit:
    """Split km × rate into a tax-free and a taxable amount, to the øre.

    The whole is rounded once and the tax-free part once; the taxable part is
    what remains, so the two lines add up to km × rate whatever the rounding
    (it may differ by an øre from km × the taxable rate on its own).
    """
    total = to_ore(km * rate)
    tax_free = to_ore(km * min(tax_free_rate, rate))
    return KmSplit(total=total, tax_free=tax_free, taxable=total - tax_free)


# --- pay lines -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PayItem:
    """One approved entry as payroll sees it: no names, notes or activities.

    `case_no` is the recipient's case number, or the group id for a group
    entry, which is paid once however many people took part.
    """

    entry_id: str
    employee_no: str
    case_no: str
    period: str
    day: date
    minutes: int
    km: Decimal
    expenses: Decimal
    hourly_rate: Decimal
    contract_type: ContractType = ContractType.contractor
    # Σ km × passengers over the entry's trips, for the passenger add-on.
    passenger_km: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class PayLine:
    """One row of a payroll file: contact × case × pay code × period (× rate)."""

    employee_no: str
    case_no: str
    period: str
    kind: PayKind
    pay_code: str
    quantity: Decimal
    rate: Decimal
    amount: Decimal
    account: str = ""
    contra_account: str = ""
    dimensions: tuple[str, ...] = ("",) * DIMENSIONS


def _dimensions(settings: PaySettings, case_no: str, period: str) -> tuple[str, ...]:
    values = []
    for template in [*settings.dimensions, *[""] * DIMENSIONS][:DIMENSIONS]:
        if template == CASE_NO_PLACEHOLDER:
            values.append(case_no)
        elif template == PERIOD_PLACEHOLDER:
            values.append(period)
        else:
            values.append(template)
    return tuple(values)


def _line(
    settings: PaySettings,
    key: tuple[str, str, str],
    kind: PayKind,
    quantity: Decimal,
    rate: Decimal,
    amount: Decimal,
    dimensions: dict[tuple[str, str], tuple[str, ...]],
) -> PayLine:
    """One line; `dimensions` keeps each case × period's Visma dimensions, which
    all of its lines share (a batch has some ten lines per case and period)."""
    employee_no, case_no, period = key
    code = settings.pay_codes[kind]
    dims = dimensions.get((case_no, period))
    if dims is None:
        dims = dimensions[(case_no, period)] = _dimensions(settings, case_no, period)
    return PayLine(
        employee_no=employee_no,
        case_no=case_no,
        period=period,
        kind=kind,
        pay_code=code.code,
        quantity=quantity,
        rate=rate,
        amount=amount,
        account=code.account,
        contra_account=code.contra_account,
        dimensions=dims,
    )


def _capped(
    logged: Mapping[tuple[str, str, str], Decimal],
    cap: Decimal,
    already_paid: Mapping[tuple[str, str], Decimal],
) -> dict[tuple[str, str, str], Decimal]:
    """Share each contact's monthly cap over their cases, in case-number order.

    What earlier batches already repaid for the same contact and pay period
    counts against the cap, so a late approval cannot lift it.
    """
    left: dict[tuple[str, str], Decimal] = {}
    paid: dict[tuple[str, str, str], Decimal] = {}
    for key in sorted(logged):
        employee_no, _case, period = key
        room = left.setdefault(
            (employee_no, period), max(Decimal(0), cap - already_paid.get((employee_no, period), 0))
        )
        share = min(room, logged[key])
        left[(employee_no, period)] = room - share
        paid[key] = share
    return paid


# A line's place among its case and period's lines: PayKind's order.
_KIND_ORDER = {kind: number for number, kind in enumerate(PayKind)}


def pay_lines(
    items: Iterable[PayItem],
    settings: PaySettings,
    *,
    expenses_already_paid: Mapping[tuple[str, str], Decimal] | None = None,
) -> list[PayLine]:
    """The pay lines for a set of entries, in a stable order.

    `expenses_already_paid` maps (employee_no, period) to what earlier batches
    repaid; only the monthly cap needs it. Expense lines with nothing to pay
    are left out. A line's rate is part of its identity: a pay period that
    spans a rate change pays its km on lines per rate (a tax-free and a
    taxable line per km rate and tax-free rate in force).
    """
    minutes: dict[tuple[str, str, str, ContractType, Decimal], int] = defaultdict(int)
    km: dict[tuple[str, str, str, Decimal, Decimal], Decimal] = defaultdict(Decimal)
    riders: dict[tuple[str, str, str, Decimal], Decimal] = defaultdict(Decimal)
    logged: dict[tuple[str, str, str], Decimal] = defaultdict(Decimal)
    day_rates: dict[date, tuple[Decimal, Decimal]] = {}  # a batch has many entries per day
    for item in items:
        key = (item.employee_no, item.case_no, item.period)
        if item.minutes:
            minutes[(*key, item.contract_type, item.hourly_rate)] += item.minutes
        if item.km:
            rates = day_rates.get(item.day)
            if rates is None:
                rates = day_rates[item.day] = (
                    km_rate_on(item.day, settings.km_rates),
                    tax_free_km_rate_on(item.day, settings),
                )
            km[(*key, *rates)] += item.km
        if item.passenger_km:
            rider_rate = passenger_rate_on(item.day, settings)
            if rider_rate:
                riders[(*key, rider_rate)] += item.passenger_km
        if item.expenses:
            logged[key] += item.expenses

    lines: list[PayLine] = []
    dims: dict[tuple[str, str], tuple[str, ...]] = {}
    for (employee_no, case_no, period, contract, rate), total in minutes.items():
        key = (employee_no, case_no, period)
        kind = (
            PayKind.employee_hours if contract is ContractType.employee else PayKind.contractor_fee
        )
        lines.append(
            _line(
                settings,
                key,
                kind,
                hours_from_minutes(total),
                rate,
                hourly_amount(total, rate),
                dims,
            )
        )
    for (employee_no, case_no, period, rate, free_rate), distance in km.items():
        key = (employee_no, case_no, period)
        distance = distance.quantize(TENTH)
        split = split_km(distance, rate, free_rate)
        lines.append(
            _line(settings, key, PayKind.km_tax_free, distance, free_rate, split.tax_free, dims)
        )
        if rate > free_rate:
            lines.append(
                _line(
                    settings,
                    key,
                    PayKind.km_taxable,
                    distance,
                    rate - free_rate,
                    split.taxable,
                    dims,
                )
            )
    for (employee_no, case_no, period, rider_rate), distance in riders.items():
        key = (employee_no, case_no, period)
        distance = distance.quantize(TENTH)
        lines.append(
            _line(
                settings,
                key,
                PayKind.passenger,
                distance,
                rider_rate,
                to_ore(distance * rider_rate),
                dims,
            )
        )

    cover = settings.expense_cover
    if cover.mode is ExpenseCoverMode.per_hour:
        assert cover.per_hour is not None  # the settings validator guarantees it
        hours_by_key: dict[tuple[str, str, str], int] = defaultdict(int)
        for (employee_no, case_no, period, _contract, _rate), total in minutes.items():
            hours_by_key[(employee_no, case_no, period)] += total
        for key, total in hours_by_key.items():
            lines.append(
                _line(
                    settings,
                    key,
                    PayKind.expenses,
                    hours_from_minutes(total),
                    cover.per_hour,
                    hourly_amount(total, cover.per_hour),
                    dims,
                )
            )
    else:
        repaid: Mapping[tuple[str, str, str], Decimal] = logged
        if cover.mode is ExpenseCoverMode.monthly_cap:
            assert cover.monthly_cap is not None
            repaid = _capped(logged, cover.monthly_cap, expenses_already_paid or {})
        for key, amount in repaid.items():
            amount = to_ore(amount)
            lines.append(_line(settings, key, PayKind.expenses, Decimal(1), amount, amount, dims))

    return sorted(
        # Capped-away expenses leave nothing to pay; hours and km are kept even
        # at a rate of zero so that the payroll file still shows the work.
        (line for line in lines if line.amount > 0 or line.kind is not PayKind.expenses),
        key=lambda line: (
            line.employee_no,
            line.case_no,
            line.period,
            _KIND_ORDER[line.kind],
            line.rate,
        ),
    )


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of a set of pay lines, by kind."""

    hours: Decimal
    km: Decimal
    expenses: Decimal
    amount: Decimal

    def as_json(self) -> dict[str, str]:
        return {
            "hours": f"{self.hours:f}",
            "km": f"{self.km:f}",
            "expenses": f"{self.expenses:f}",
            "amount": f"{self.amount:f}",
        }


def totals(lines: Iterable[PayLine]) -> Totals:
    """Hours and km worked, expenses repaid, and the total amount of the lines.

    `expenses` is the amount repaid (what the expense lines pay), whatever
    the cover rule; `hours` counts only hour lines, `km` the km driven once
    (not again for its taxable line or the passenger add-on).
    """
    hours = km = expenses = amount = Decimal(0)
    for line in lines:
        amount += line.amount
        if line.kind in HOUR_KINDS:
            hours += line.quantity
        elif line.kind in KM_KINDS:
            km += line.quantity
        elif line.kind is PayKind.expenses:
            expenses += line.amount
    return Totals(
        hours=to_ore(hours), km=km.quantize(TENTH), expenses=to_ore(expenses), amount=to_ore(amount)
    )


def totals_by_contact(lines: Iterable[PayLine]) -> dict[str, Totals]:
    """Totals per employee number, for the xlsx totals sheet."""
    grouped: dict[str, list[PayLine]] = defaultdict(list)
    for line in lines:
        grouped[line.employee_no].append(line)
    return {employee_no: totals(grouped[employee_no]) for employee_no in sorted(grouped)}
