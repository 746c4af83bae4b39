"""Collects what a transaction changed and stamps it with one change sequence number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.db import utcnow
from server.services.common import next_seq
from server.tables import DecisionRow, Tombstone


@dataclass
class Changes:
    rows: list[Any] = field(default_factory=list)
    usage: dict[str, DecisionRow] = field(default_factory=dict)
    tombstones: list[tuple[str, str, str]] = field(default_factory=list)
    seq: int | None = None
    now: datetime | None = None

    def reserve(self, db: Session) -> None:
        """On SQLite, take the sequence number now, so touched rows are written once.

        The transaction already holds SQLite's write lock (BEGIN IMMEDIATE), so
        taking the number early serializes nothing more; a row touched before
        it is flushed then goes out with its `seq` in the same INSERT or
        UPDATE instead of a second UPDATE at `stamp`. PostgreSQL keeps taking
        it last: there the number's row lock serializes commits.
        """
        if self.seq is None and db.get_bind().dialect.name == "sqlite":
            self.seq = next_seq(db)
            self.now = utcnow()

    def _mark(self, row: Any) -> None:
        if self.seq is not None:
            row.seq = self.seq
            if hasattr(row, "updated_at"):
                row.updated_at = self.now

    def touch(self, *rows: Any) -> None:
        """Rows a device may need to pull again."""
        self.rows.extend(rows)
        for row in rows:
            self._mark(row)

    def touch_usage(self, decision: DecisionRow) -> None:
        """A decision whose usage moved (an entry on it changed)."""
        self.usage[decision.id] = decision
        if self.seq is not None:
            decision.usage_seq = self.seq

    def tombstone(self, *, contact_id: str, kind: str, object_id: str) -> None:
        """Something a contact's device should drop."""
        self.tombstones.append((contact_id, kind, object_id))

    def stamp(self, db: Session) -> int | None:
        """Give every touched row this transaction's sequence number (taken last)."""
        if self.seq is not None:
            seq, now = self.seq, self.now
        elif not (self.rows or self.usage or self.tombstones):
            return None
        else:
            seq, now = next_seq(db), utcnow()
        for row in self.rows:
            row.seq = seq
            if hasattr(row, "updated_at"):
                row.updated_at = now
        for decision in self.usage.values():
            decision.usage_seq = seq
        for contact_id, kind, object_id in self.tombstones:
            db.add(Tombstone(seq=seq, contact_id=contact_id, kind=kind, object_id=object_id))
        return seq
