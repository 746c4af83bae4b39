"""When approval needs a written override (docs/rules.md §5 "Approval")."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from models.approval import override_reasons
from models.schemas import TimesheetStatus


def test_a_signed_sheet_without_open_flags_is_approved_as_it_is() -> None:
    assert override_reasons(TimesheetStatus.signed, 0) == []


def test_unsigned_and_flagged_each_give_a_reason() -> None:
    assert override_reasons("open", 2) == [
        "timelisten er ikke signert",
        "timelisten har 2 åpne avvik",
    ]


@given(st.sampled_from(list(TimesheetStatus)), st.integers(min_value=0, max_value=50))
def test_an_override_is_needed_exactly_when_unsigned_or_flagged(
    status: TimesheetStatus, open_flags: int
) -> None:
    needed = status is not TimesheetStatus.signed or open_flags > 0
    assert bool(override_reasons(status, open_flags)) is needed
