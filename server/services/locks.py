"""Serializing writers per decision.

On PostgreSQL every change that can move a decision's usage first locks that
decision's row (`SELECT … FOR UPDATE`, always in id order so two writers never
wait on each other crosswise). Two devices pushing for the same vedtak at the
same moment therefore run their quota checks one after the other, and neither
can miss the other's minutes. SQLite gets the same effect from `BEGIN
IMMEDIATE` (see server.db).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.tables import DecisionRow

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


def reread_after_lock(db: Session) -> bool:
    """Whether rows read before taking the locks must be read again.

    On SQLite the transaction held the write lock from its first statement,
    so nothing can have changed; on PostgreSQL another writer may have
    committed while we waited for the lock.
    """
    return db.get_bind().dialect.name == "postgresql"
