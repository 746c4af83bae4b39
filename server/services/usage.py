"""Kept usage: minutes per decision and day (server.tables.DecisionDayUsage).

Every change of the entries index (entry_decisions) passes its difference
here in the same transaction, so a quota period's usage is a sum over at most
a year of day rows, whatever the vedtak's history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
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


_DAYS: Table = DecisionDayUsage.__table__  # type: ignore[assignment]


def _upsert(db: Session, *, stamped: bool) -> Any:
    # On the Core table: the ORM's bulk path for a mapped class cost more than the statement.
    insert = postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(_DAYS)
    moved: dict[str, Any] = {"minutes": _DAYS.c.minutes + stmt.excluded.minutes}
    if stamped:
        moved["seq"] = stmt.excluded.seq
    return stmt.on_conflict_do_update(
        index_elements=[_DAYS.c.decision_id, _DAYS.c.date], set_=moved
    )


# For server.db.insert_tables: what _upsert does with a stamped day (PostgreSQL).
ADD_STAMPED = (
    "ON CONFLICT (decision_id, date) DO UPDATE SET "
    "minutes = decision_day_usage.minutes + excluded.minutes, seq = excluded.seq"
)


def day_rows(deltas: Mapping[tuple[str, date], int], seq: int | None) -> list[dict[str, Any]]:
    """The rows `apply` upserts for `deltas`."""
    return [
        {"decision_id": decision_id, "date": day, "minutes": minutes, "seq": seq or 0}
        for (decision_id, day), minutes in sorted(deltas.items())
        if minutes
    ]


def apply(db: Session, deltas: Mapping[tuple[str, date], int], *, seq: int | None = None) -> None:
    """Move the kept minutes by `deltas` (one multi-row statement).

    `seq`: the transaction's change sequence number, kept on each moved day
    (a pull sends the periods of the days moved since its cursor); None
    leaves the days' numbers as they are.
    """
    rows = day_rows(deltas, seq)
    if rows:
        db.execute(_upsert(db, stamped=seq is not None), rows)


_STAMP = (
    update(_DAYS)
    .where(_DAYS.c.decision_id == bindparam("b_decision"), _DAYS.c.date == bindparam("b_date"))
    .values(seq=bindparam("b_seq"))
)


def stamp(db: Session, days: Iterable[tuple[str, date]], seq: int) -> None:
    """Give days moved earlier in the transaction its sequence number (taken last)."""
    rows = [{"b_decision": d, "b_date": day, "b_seq": seq} for d, day in sorted(days)]
    if rows:
        db.execute(_STAMP, rows)


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


# One sum per span, each an index range of the (decision_id, date) key.
_IN_SPANS = text(
    "SELECT coalesce(sum(kept.minutes), 0) "
    "FROM unnest(CAST(:firsts AS date[]), CAST(:lasts AS date[])) WITH ORDINALITY "
    "AS span(first, last, n) "
    "LEFT JOIN decision_day_usage AS kept ON kept.decision_id = :decision_id "
    "AND kept.date BETWEEN span.first AND span.last "
    "GROUP BY span.n ORDER BY span.n"
)


def minutes_in_spans(
    db: Session, decision_id: str, spans: Sequence[tuple[date, date]]
) -> list[int]:
    """`minutes_between` for each span (first, last): on PostgreSQL in one statement.

    A push that touches a vedtak's days in several quota periods asks once,
    not once per period (SQLite has no round trips to save).
    """
    if len(spans) > 1 and db.get_bind().dialect.name == "postgresql":
        params = {
            "decision_id": decision_id,
            "firsts": [first for first, _ in spans],
            "lasts": [last for _, last in spans],
        }
        return [int(value) for value in db.scalars(_IN_SPANS, params)]
    return [minutes_between(db, decision_id, first, last) for first, last in spans]


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


def usage_of_changed(
    db: Session, decision_id: str, terms: DecisionTerms, after: int, upto: int
) -> list[PeriodUsage]:
    """The periods with a day moved by a transaction numbered after..upto, with their usage.

    What a pull sends for a vedtak whose terms the phone already has: the
    periods it holds otherwise stay as they are.
    """
    moved = db.scalars(
        select(DecisionDayUsage.date)
        .where(
            DecisionDayUsage.decision_id == decision_id,
            DecisionDayUsage.seq > after,
            DecisionDayUsage.seq <= upto,
        )
        .distinct()
    )
    periods = {
        period.key: period for day in moved if (period := period_containing(terms, day)) is not None
    }
    if not periods:
        return []
    used = dict.fromkeys(periods, 0)
    first = min(period.start for period in periods.values())
    last = max(period.end for period in periods.values())
    for day, minutes in db.execute(
        select(DecisionDayUsage.date, DecisionDayUsage.minutes).where(
            DecisionDayUsage.decision_id == decision_id,
            DecisionDayUsage.date >= first,
            DecisionDayUsage.date <= last,
        )
    ):
        period = period_containing(terms, day)
        if period is not None and period.key in used:
            used[period.key] += int(minutes)
    return [
        PeriodUsage(period, used[key])
        for key, period in sorted(periods.items(), key=lambda item: item[1].start)
    ]
