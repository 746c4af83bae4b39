"""Serializing writers per decision.

On PostgreSQL every change that can move a decision's usage first locks that
decision's row (`SELECT … FOR UPDATE`, always in id order so two writers never
wait on each other crosswise). Two devices pushing for the same vedtak at the
same moment therefore run their quota checks one after the other, and neither
can miss the other's minutes. SQLite gets the same effect from `BEGIN
IMMEDIATE` (see server.db).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import String, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from server.tables import DecisionRow, EntryRow

# Built once: every entry change runs it.
_READ = (
    select(DecisionRow)
    .where(DecisionRow.id.in_(bindparam("ids", expanding=True)))
    .order_by(DecisionRow.id)
    .execution_options(populate_existing=True)
)
_LOCK = _READ.with_for_update()


def lock_decisions(db: Session, decision_ids: Iterable[str]) -> dict[str, DecisionRow]:
    """The existing decisions among `decision_ids`, locked until commit."""
    ids = sorted(set(decision_ids))
    if not ids:
        return {}
    stmt = _LOCK if db.get_bind().dialect.name == "postgresql" else _READ
    return {row.id: row for row in db.scalars(stmt, {"ids": ids})}


def lock_decisions_and_entries(
    db: Session, decision_ids: Iterable[str], entry_ids: Sequence[str], contact_id: str
) -> dict[str, DecisionRow]:
    """PostgreSQL: lock `decision_ids` and those the contact's stored `entry_ids` name,
    in id order, in one statement (the entries read first, then the locks, was two).

    The entries' decisions are those of the statement's snapshot: the caller
    reads the entries again once the locks are held (`reread_after_lock`).
    """
    named = (
        select(func.json_array_elements_text(EntryRow.decision_ids))
        .where(EntryRow.id == any_(bindparam("entry_ids", type_=ARRAY(String))))
        .where(EntryRow.contact_id == contact_id)
        .scalar_subquery()
    )
    stmt = (
        select(DecisionRow)
        .where(
            (DecisionRow.id == any_(bindparam("ids", type_=ARRAY(String))))
            | DecisionRow.id.in_(named)
        )
        .order_by(DecisionRow.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    params = {"ids": sorted(set(decision_ids)), "entry_ids": list(entry_ids)}
    return {row.id: row for row in db.scalars(stmt, params)}


def reread_after_lock(db: Session) -> bool:
    """Whether rows read before taking the locks must be read again.

    On SQLite the transaction held the write lock from its first statement,
    so nothing can have changed; on PostgreSQL another writer may have
    committed while we waited for the lock.
    """
    return db.get_bind().dialect.name == "postgresql"
