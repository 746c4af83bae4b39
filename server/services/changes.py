"""Collects what a transaction changed and stamps it with one change sequence number."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def touch(self, *rows: Any) -> None:
        """Rows a device may need to pull again."""
        self.rows.extend(rows)

    def touch_usage(self, decision: DecisionRow) -> None:
        """A decision whose usage moved (an entry on it changed)."""
        self.usage[decision.id] = decision

    def tombstone(self, *, contact_id: str, kind: str, object_id: str) -> None:
        """Something a contact's device should drop."""
        self.tombstones.append((contact_id, kind, object_id))

    def stamp(self, db: Session) -> int | None:
        """Give every touched row this transaction's sequence number (taken last)."""
        if not (self.rows or self.usage or self.tombstones):
            return None
        seq = next_seq(db)
        now = utcnow()
        for row in self.rows:
            row.seq = seq
            if hasattr(row, "updated_at"):
                row.updated_at = now
        for decision in self.usage.values():
            decision.usage_seq = seq
        for contact_id, kind, object_id in self.tombstones:
            db.add(Tombstone(seq=seq, contact_id=contact_id, kind=kind, object_id=object_id))
        return seq
