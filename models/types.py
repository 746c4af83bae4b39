"""Constrained types shared by every schema, so a rule is stated once.

Money is `Decimal` with øre precision and time is whole minutes: floats never
touch either, because a timesheet must add up to the øre and the minute.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints

OSLO = ZoneInfo("Europe/Oslo")
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


# Unicode's categories Cc (C0, DEL, C1) and Cs (surrogates), as one character
# class: a character-by-character category lookup cost more than the rest of
# validating an entry (tests/models/test_types.py checks every code point).
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _no_control(value: str) -> str:
    # NUL is refused by PostgreSQL and kept by SQLite; other control characters
    # break exports and screens. Lone surrogates cannot be stored at all.
    # Refused alike everywhere, with a message (docs/rules.md §6 "Limits").
    if CONTROL.search(value):
        raise ValueError("Teksten inneholder kontrolltegn (for eksempel NUL). Fjern dem.")
    return value


def _no_control_multiline(value: str) -> str:
    _no_control(value.replace("\n", "").replace("\r", "").replace("\t", ""))
    return value


def _date_not_number(value: object) -> object:
    # pydantic reads a number as seconds since 1970 ("0" is 1970-01-01): a date
    # must be written as a date.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError("Datoen må skrives åååå-mm-dd.")
    return value


_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
INSTANT_SPELLING = "Skriv tidspunktet med dato, klokkeslett og tidssone (ISO 8601)."


def _instant_not_number(value: object) -> object:
    # pydantic reads a number, or a string of digits, as seconds since 1970: an
    # instant must be written out (a query parameter always arrives as a string).
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(INSTANT_SPELLING)
    if isinstance(value, str) and _NUMBER.match(value):
        raise ValueError(INSTANT_SPELLING)
    return value


def _not_future(value: date) -> date:
    # Today as the office sees it (Oslo), whatever zone the server runs in.
    if value > datetime.now(OSLO).date():
        raise ValueError("Datoen kan ikke være fram i tid.")
    return value


def _after_1900(value: date) -> date:
    if value < date(1900, 1, 1):
        raise ValueError("Datoen er for langt tilbake i tid.")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("Tallet må være endelig.")
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


def _hundredths(value: Decimal) -> Decimal:
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("Timer kan ha høyst to desimaler.")
    return value


ClockTime = Annotated[str, AfterValidator(_check_clock)]
"""A local wall-clock time in Europe/Oslo, written HH:MM."""

Day = Annotated[date, BeforeValidator(_date_not_number), AfterValidator(_plausible_day)]
"""A calendar date the rules compute with (entry dates, vedtak validity)."""

PastDay = Annotated[
    date,
    BeforeValidator(_date_not_number),
    AfterValidator(_after_1900),
    AfterValidator(_not_future),
]
"""A date that has happened: a birth date, a politiattest's date."""

Instant = Annotated[AwareDatetime, BeforeValidator(_instant_not_number)]
"""A moment a device reports, written out with its zone: 2026-03-10T09:30:00+01:00."""

FiniteFloat = Annotated[float, AfterValidator(_finite)]
"""A coordinate: NaN and infinities are refused."""

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

Hours = Annotated[
    Decimal, BeforeValidator(_exact_decimal), Field(gt=0, le=10_000), AfterValidator(_hundredths)
]
"""Awarded hours on a decision."""

EntityId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, strip_whitespace=True),
    AfterValidator(_no_control),
]
"""Ids are strings everywhere in the contract."""

CaseNo = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9/._-]+$")
]
"""Saksnummer: letters, digits and / . _ - only, so it is safe in every export format."""

ShortText = Annotated[
    str,
    StringConstraints(max_length=200, strip_whitespace=True),
    AfterValidator(_no_control_multiline),
]
LongText = Annotated[
    str,
    StringConstraints(max_length=2000, strip_whitespace=True),
    AfterValidator(_no_control_multiline),
]
"""Free text over several lines (a note): line breaks and tabs are kept."""
Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=120, strip_whitespace=True),
    AfterValidator(_no_control),
]


no_control = _no_control
"""The one-line check, for types declared elsewhere (a device id, a login name)."""

no_control_in_text = _no_control_multiline
"""The free-text check (line breaks and tabs allowed), for types declared elsewhere."""

RequiredLongText = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000, strip_whitespace=True),
    AfterValidator(_no_control_multiline),
]
"""A reason or note that must be given (a rejection, a flag's resolution)."""


def parse_clock(value: str) -> time:
    """HH:MM as a `time`; the caller has validated the spelling."""
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))
