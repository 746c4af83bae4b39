"""Norwegian wording shared by flags, the server's messages and the app."""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def hours_text(minutes: int) -> str:
    """'2 t 30 min', '45 min', '3 t' — how the paper timesheet writes hours."""
    sign = "-" if minutes < 0 else ""
    hours, rest = divmod(abs(minutes), 60)
    if hours and rest:
        return f"{sign}{hours} t {rest} min"
    if hours:
        return f"{sign}{hours} t"
    return f"{sign}{rest} min"


def count_text(count: int, one: str, many: str) -> str:
    """'1 åpent avvik', '2 åpne avvik': the number with the right form of the noun phrase."""
    return f"{count} {one if count == 1 else many}"


def decimal_text(value: Decimal, places: int = 2) -> str:
    """A number with a decimal comma: Decimal('12.5') → '12,50'."""
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum):f}".replace(".", ",")


def date_text(day: date) -> str:
    """dd.mm.åååå."""
    return f"{day:%d.%m.%Y}"


def period_text(key: str) -> str:
    """A quota period key in words: '2026-W05' → 'uke 5 2026', '2026-03' → 'mars 2026'."""
    if "-W" in key:
        year, week = key.split("-W")
        return f"uke {int(week)} {year}"
    if len(key) == 7 and key[4] == "-":
        year, month = key.split("-")
        return f"{MONTHS[int(month) - 1]} {year}"
    if key == "period":
        return "hele vedtaksperioden"
    return key


MONTHS = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
