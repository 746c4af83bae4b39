"""Schema validation and its Norwegian messages (docs/rules.md §6: malformed data)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from models.messages import validation_problems
from models.rules import Problem
from models.schemas import (
    DecisionCreate,
    DecisionKind,
    EntryData,
    Expense,
    SignatureCreate,
    Trip,
    display_name,
)
from tests.factories import entry_id, make_entry

UUID = entry_id(1)


def _problems(model: type[BaseModel], data: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return validation_problems(caught.value)


def _entry(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": UUID,
        "decision_ids": ["d1"],
        "date": "2026-03-10",
        "start": "10:00",
        "end": "12:00",
    }
    return {**data, **changes}


def test_a_good_entry_parses() -> None:
    entry = EntryData.model_validate(_entry(activities=["Kino", "Tur i skogen"]))
    assert entry.date == date(2026, 3, 10)
    assert entry.minutes == 120
    assert entry.total_km == 0
    assert entry.total_expenses == Decimal("0.00")


def test_km_over_2000_is_refused_in_norwegian() -> None:
    problems = _problems(
        EntryData, _entry(trips=[{"km": "2000.1", "from": "Hjem", "to": "Hytta", "purpose": ""}])
    )
    assert problems == [Problem("trips.0.km", "En tur kan ikke være over 2000 km.")]


def test_2000_km_is_allowed() -> None:
    trip = Trip.model_validate({"km": 2000, "from": "Tromsø", "to": "Oslo"})
    assert trip.km == Decimal("2000.0")


def test_zero_or_negative_km_is_refused() -> None:
    for km in ("0", "-5"):
        assert _problems(Trip, {"km": km, "from": "a", "to": "b"}) == [
            Problem("km", "Antall km må være større enn 0.")
        ]


def test_km_with_two_decimals_is_refused() -> None:
    assert _problems(Trip, {"km": "12.34", "from": "a", "to": "b"}) == [
        Problem("km", "Kilometer kan ha høyst én desimal.")
    ]


def test_negative_amount_is_refused() -> None:
    problems = _problems(EntryData, _entry(expenses=[{"amount": "-10", "category": "Kino"}]))
    assert problems == [Problem("expenses.0.amount", "Beløpet kan ikke være negativt.")]


def test_zero_amount_is_refused() -> None:
    assert _problems(Expense, {"amount": "0", "category": "Kino"}) == [
        Problem("amount", "Beløpet må være større enn 0 kr.")
    ]


def test_absurd_amount_is_refused() -> None:
    assert _problems(Expense, {"amount": "100000.01", "category": "Kino"}) == [
        Problem("amount", "Beløpet er urimelig stort (over 100 000 kr).")
    ]


def test_more_than_two_decimals_in_nok_is_refused() -> None:
    assert _problems(Expense, {"amount": "12.345", "category": "Kino"}) == [
        Problem("amount", "Beløp kan ha høyst to desimaler (øre).")
    ]


def test_trailing_zeros_are_not_extra_decimals() -> None:
    assert Expense.model_validate({"amount": "12.3400", "category": "Kino"}).amount == Decimal(
        "12.34"
    )


def test_float_point_one_becomes_exactly_ten_ore() -> None:
    amount = Expense.model_validate({"amount": 0.1, "category": "Kino"}).amount
    assert amount == Decimal("0.10")
    assert str(amount) == "0.10"
    assert amount.as_tuple() == Decimal("0.10").as_tuple()


def test_float_sum_noise_is_refused_not_rounded() -> None:
    # 0.1 + 0.2 is 0.30000000000000004 in binary: not an amount anyone meant.
    assert _problems(Expense, {"amount": 0.1 + 0.2, "category": "Kino"}) == [
        Problem("amount", "Beløp kan ha høyst to desimaler (øre).")
    ]


def test_text_amount_is_refused() -> None:
    assert _problems(Expense, {"amount": "ti kroner", "category": "Kino"}) == [
        Problem("amount", "Skriv et tall.")
    ]


@pytest.mark.parametrize("clock", ["9:30", "24:00", "12:60", "1230", "12.30", "", "12:3"])
def test_bad_clock_time_is_refused(clock: str) -> None:
    assert _problems(EntryData, _entry(start=clock)) == [
        Problem("start", "Klokkeslett må skrives TT:MM, for eksempel 09:30.")
    ]


def test_start_equal_to_end_is_refused_on_the_end_field() -> None:
    assert _problems(EntryData, _entry(start="10:00", end="10:00")) == [
        Problem("end", "Start og slutt kan ikke være samme klokkeslett.")
    ]


def test_entry_22_to_01_is_three_hours() -> None:
    assert make_entry(start="22:00", end="01:00").minutes == 180


def test_bad_date_missing_field_and_unknown_field() -> None:
    data = _entry(date="10.03.2026", frobnicate=True)
    del data["end"]
    problems = _problems(EntryData, data)
    assert set(problems) == {
        Problem("date", "Datoen må skrives åååå-mm-dd."),
        Problem("end", "Feltet må fylles ut."),
        Problem("frobnicate", "Ukjent felt."),
    }


def test_entry_needs_a_decision_and_a_uuid() -> None:
    assert _problems(EntryData, _entry(id="abc", decision_ids=[])) == [
        Problem("id", "Id-en må være en UUID laget på enheten."),
        Problem("decision_ids", "Velg hvem økten gjaldt."),
    ]


def test_same_decision_twice_is_refused() -> None:
    assert _problems(EntryData, _entry(decision_ids=["d1", "d1"])) == [
        Problem("decision_ids", "Samme vedtak er ført to ganger i økten.")
    ]


def test_uuid_is_normalised() -> None:
    entry = EntryData.model_validate(_entry(id=UUID.upper()))
    assert entry.id == UUID


def test_trip_from_alias_round_trips() -> None:
    trip = Trip.model_validate({"km": "3.5", "from": "Skolen", "to": "Hjem"})
    assert trip.from_ == "Skolen"
    assert trip.model_dump()["from"] == "Skolen"


def _decision(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "recipient_id": "r1",
        "kind": "individual",
        "hours": "10",
        "per": "month",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "contact_ids": ["c1"],
    }
    return {**data, **changes}


def test_decision_dates_must_be_in_order() -> None:
    assert _problems(DecisionCreate, _decision(valid_to="2025-12-31")) == [
        Problem("body", "Vedtaket må slutte samme dag som eller etter at det begynner.")
    ]


def test_group_decision_needs_group_id_and_individual_has_none() -> None:
    assert _problems(DecisionCreate, _decision(kind="group")) == [
        Problem("body", "Et gruppevedtak må ha en gruppe-id (group_id).")
    ]
    assert _problems(DecisionCreate, _decision(group_id="g1")) == [
        Problem("body", "Et individuelt vedtak kan ikke ha en gruppe-id.")
    ]
    group = DecisionCreate.model_validate(_decision(kind="group", group_id="g1"))
    assert group.kind is DecisionKind.group


def test_unknown_quota_period_is_refused() -> None:
    assert _problems(DecisionCreate, _decision(per="fortnight")) == [
        Problem("per", "Ugyldig valg.")
    ]


def test_signature_needs_a_drawing_and_a_sha256() -> None:
    data = {
        "decision_id": "d1",
        "period": "2026-03",
        "content_hash": "0" * 64,
        "signer_name": "Kari Nordmann",
        "signer_role": "guardian",
        "strokes": [[{"x": 1, "y": 1}]],
        "signed_at": "2026-03-31T18:00:00+02:00",
    }
    assert _problems(SignatureCreate, data) == [
        Problem("strokes", "Signaturen mangler: tegn navnet ditt i feltet.")
    ]
    drawn = {**data, "strokes": [[{"x": 1, "y": 1}, {"x": 2, "y": 3}]]}
    assert SignatureCreate.model_validate(drawn).period == "2026-03"
    assert _problems(SignatureCreate, {**drawn, "content_hash": "XYZ"})[0].field == "content_hash"
    assert _problems(SignatureCreate, {**drawn, "period": "2026-13"})[0].field == "period"


@pytest.mark.parametrize(
    ("full", "shown"),
    [
        ("Kari Nordmann", "Kari N."),
        ("Ola Per Hansen", "Ola H."),
        ("  Åse   Ødegård  ", "Åse Ø."),
        ("Anne-Lise Ærø-Berg", "Anne-Lise Æ."),
        ("Kari", "Kari"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_display_name(full: str, shown: str) -> None:
    assert display_name(full) == shown


def test_absurd_dates_are_refused_not_crashed_on() -> None:
    # 9999-12-31 + one day would overflow in the duration arithmetic.
    assert _problems(EntryData, _entry(date="9999-12-31", start="22:00", end="01:00")) == [
        Problem("date", "Datoen må ligge mellom 01.01.2000 og 31.12.2100.")
    ]
    assert _problems(DecisionCreate, _decision(valid_to="9999-12-31")) == [
        Problem("valid_to", "Datoen må ligge mellom 01.01.2000 og 31.12.2100.")
    ]
    assert _problems(DecisionCreate, _decision(valid_from="1999-12-31")) == [
        Problem("valid_from", "Datoen må ligge mellom 01.01.2000 og 31.12.2100.")
    ]


def test_the_last_plausible_day_still_computes() -> None:
    entry = EntryData.model_validate(_entry(date="2100-12-31", start="22:00", end="01:00"))
    assert entry.minutes == 180
    decision = DecisionCreate.model_validate(_decision(per="week", valid_to="2100-12-31"))
    assert decision.valid_to == date(2100, 12, 31)


def test_unlisted_pydantic_errors_still_speak_norwegian() -> None:
    # A lone surrogate cannot be stored or hashed; pydantic refuses it with a
    # type our table does not list, which must not leak English to the user.
    problems = _problems(Expense, {"amount": "1", "category": "\ud800"})
    assert problems == [Problem("category", "Ugyldig verdi.")]
