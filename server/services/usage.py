"""Kept usage: minutes per decision and day (server.tables.DecisionDayUsage).

Every change of the entries index (entry_decisions) passes its difference
here in the same transaction, so a quota period's usage is a sum over at most
a year of day rows, whatever the vedtak's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.quota import PeriodUsage, period_containing, quota_periods
from models.schemas import DecisionTerms
from server.tables import DecisionDayUsage, EntryDecision

Deltas = dict[tuple[str, date], int]


def count(deltas: Deltas, decision_ids: Iterable[str], day: date, minutes: int) -> None:
    """Add an entry version's minutes (negative: take them away) to `deltas`."""
    for decision_id in decision_ids:
        key = (decision_id, day)
        deltas[key] = deltas.get(key, 0) + minutes


def _upsert(db: Session) -> Any:
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(DecisionDayUsage)
    return stmt.on_conflict_do_update(
        index_elements=[DecisionDayUsage.decision_id, DecisionDayUsage.date],
        set_={"minutes": DecisionDayUsage.minutes + stmt.excluded.minutes},
    )


def apply(db: Session, deltas: Mapping[tuple[str, date], int]) -> None:
    """Move the kept minutes by `deltas` (one multi-row statement)."""
    rows = [
        {"decision_id": decision_id, "date": day, "minutes": minutes}
        for (decision_id, day), minutes in sorted(deltas.items())
        if minutes
    ]
    if rows:
        db.execute(_upsert(db), rows)


def forget_entries(db: Session, entry_ids: Iterable[str]) -> None:
    """Take the minutes of entries about to leave the index (retention) off the kept days."""
    ids = sorted(entry_ids)
    deltas: Deltas = {}
    for start in range(0, len(ids), 2000):
        for decision_id, day, minutes in db.execute(
            select(EntryDecision.decision_id, EntryDecision.date, EntryDecision.minutes).where(
                EntryDecision.entry_id.in_(ids[start : start + 2000])
            )
        ):
            count(deltas, [decision_id], day, -int(minutes))
    apply(db, deltas)


_BETWEEN = select(func.coalesce(func.sum(DecisionDayUsage.minutes), 0)).where(
    DecisionDayUsage.decision_id == bindparam("decision_id"),
    DecisionDayUsage.date >= bindparam("first"),
    DecisionDayUsage.date <= bindparam("last"),
)


def minutes_between(db: Session, decision_id: str, first: date, last: date) -> int:
    """Minutes of the live entries naming the decision, dated first..last."""
    params = {"decision_id": decision_id, "first": first, "last": last}
    return int(db.scalar(_BETWEEN, params) or 0)


def usage_by_period(db: Session, decision_id: str, terms: DecisionTerms) -> list[PeriodUsage]:
    """models.quota.usage_by_period, from the kept days instead of the entries.

    Days outside the vedtak's validity belong to no period and use no quota,
    as there.
    """
    periods = quota_periods(terms)
    used = dict.fromkeys((period.key for period in periods), 0)
    rows = db.execute(
        select(DecisionDayUsage.date, DecisionDayUsage.minutes).where(
            DecisionDayUsage.decision_id == decision_id,
            DecisionDayUsage.date >= terms.valid_from,
            DecisionDayUsage.date <= terms.valid_to,
        )
    )
    for day, minutes in rows:
        period = period_containing(terms, day)
        if period is not None:
            used[period.key] += int(minutes)
    return [PeriodUsage(period, used[period.key]) for period in periods]
