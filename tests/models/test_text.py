"""Norwegian wording helpers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.text import date_text, decimal_text, hours_text, period_text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0, "0 min"),
        (45, "45 min"),
        (60, "1 t"),
        (150, "2 t 30 min"),
        (1440, "24 t"),
        (-90, "-1 t 30 min"),
    ],
)
def test_hours_text(minutes: int, text: str) -> None:
    assert hours_text(minutes) == text


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("12.5"), 2, "12,50"),
        (Decimal("0"), 2, "0,00"),
        (Decimal("1234.567"), 2, "1234,57"),
        (Decimal("100.04"), 1, "100,0"),
        (Decimal("-3.1"), 2, "-3,10"),
        (Decimal("7"), 0, "7"),
    ],
)
def test_decimal_text(value: Decimal, places: int, text: str) -> None:
    assert decimal_text(value, places) == text


def test_date_text() -> None:
    assert date_text(date(2026, 3, 9)) == "09.03.2026"


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("2026-W05", "uke 5 2026"),
        ("2026-W53", "uke 53 2026"),
        ("2026-01", "januar 2026"),
        ("2026-12", "desember 2026"),
        ("2026", "2026"),
        ("period", "hele vedtaksperioden"),
    ],
)
def test_period_text(key: str, text: str) -> None:
    assert period_text(key) == text
