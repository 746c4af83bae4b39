"""Constrained types shared by every schema, so a rule is stated once.

Money is `Decimal` with øre precision and time is whole minutes: floats never
touch either, because a timesheet must add up to the øre and the minute.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

MAX_KM_PER_TRIP = Decimal(2000)
MAX_EXPENSE_NOK = Decimal(100_000)
MINUTES_PER_DAY = 24 * 60
# Far enough for any real vedtak ("inntil videre" is often typed 9999-12-31),
# near enough that date arithmetic never overflows and periods stay few.
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _check_clock(value: str) -> str:
    if not isinstance(value, str) or not _CLOCK.match(value):
        raise ValueError("Klokkeslett må skrives TT:MM, for eksempel 09:30.")
    return value


def _exact_decimal(value: object) -> object:
    # A float such as 0.1 would carry binary noise into the money; accept it
    # only through its shortest decimal spelling, never its binary value.
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _plausible_day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError("Datoen må ligge mellom 01.01.2000 og 31.12.2100.")
    return value


def _two_places(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Beløp kan ha høyst to desimaler (øre).")
    return value.quantize(Decimal("0.01"))


def _one_place(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.1")):
        raise ValueError("Kilometer kan ha høyst én desimal.")
    return value.quantize(Decimal("0.1"))


ClockTime = Annotated[str, AfterValidator(_check_clock)]
"""A local wall-clock time in Europe/Oslo, written HH:MM."""

Day = Annotated[date, AfterValidator(_plausible_day)]
"""A calendar date the rules compute with (entry dates, vedtak validity)."""

Minutes = Annotated[int, Field(gt=0, le=MINUTES_PER_DAY)]
"""A duration in whole minutes: more than zero, at most a day."""

Nok = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    Field(ge=0, le=MAX_EXPENSE_NOK),
    AfterValidator(_two_places),
]
"""An amount in Norwegian kroner, exact to the øre."""

Km = Annotated[
    Decimal,
    BeforeValidator(_exact_decimal),
    Field(gt=0, le=MAX_KM_PER_TRIP),
    AfterValidator(_one_place),
]
"""Kilometres driven on one trip, to one decimal."""

Hours = Annotated[Decimal, BeforeValidator(_exact_decimal), Field(gt=0, le=10_000)]
"""Awarded hours on a decision."""

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
"""Ids are strings everywhere in the contract."""

CaseNo = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9/._-]+$")
]
"""Saksnummer: letters, digits and / . _ - only, so it is safe in every export format."""

ShortText = Annotated[str, StringConstraints(max_length=200, strip_whitespace=True)]
LongText = Annotated[str, StringConstraints(max_length=2000, strip_whitespace=True)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120, strip_whitespace=True)]


def parse_clock(value: str) -> time:
    """HH:MM as a `time`; the caller has validated the spelling."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
