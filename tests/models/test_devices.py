"""When the office should look at a contact's phones (docs/rules.md §11 "Devices")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from models.devices import AttentionReason, attention_reasons

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
ages = st.one_of(st.none(), st.floats(min_value=0, max_value=400, allow_nan=False))


def _at(days: float | None) -> datetime | None:
    return None if days is None else NOW - timedelta(days=days)


@given(waiting=ages, silent=ages, open_sheets=st.integers(min_value=0, max_value=5))
def test_reasons_follow_the_two_limits(
    waiting: float | None, silent: float | None, open_sheets: int
) -> None:
    reasons = attention_reasons(
        oldest_unsent_at=_at(waiting),
        last_sync_at=_at(silent),
        open_timesheets=open_sheets,
        now=NOW,
    )
    assert (AttentionReason.waiting in reasons) == (waiting is not None and waiting > 5)
    assert (AttentionReason.silent in reasons) == (
        open_sheets > 0 and (silent is None or silent > 30)
    )


def test_the_limits_are_settings() -> None:
    assert attention_reasons(
        oldest_unsent_at=_at(2),
        last_sync_at=_at(2),
        open_timesheets=1,
        now=NOW,
        waiting_days=1,
        silent_days=1,
    ) == [AttentionReason.waiting, AttentionReason.silent]
