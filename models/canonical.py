"""The canonical content of a timesheet and its SHA-256 `content_hash`.

The signer signs what the phone shows; the server recomputes the hash from
what it stores and refuses a signature that does not match. Both sides call
`content_hash`, so the two can never disagree about spelling.

The canonical form is UTF-8 JSON with sorted keys and no spaces, of:

    {"v": 1, "contact_id", "decision_id", "period",
     "entries": [{"id", "date", "start", "end", "minutes",
                  "decision_ids": sorted, "activities": sorted,
                  "trips": [{"km", "from", "to", "purpose"}] sorted,
                  "expenses": [{"amount", "category", "description"}] sorted}],
     "totals": {"minutes", "km", "expenses"}}

Entries are ordered by (date, start, id), so the order they arrive in does not
matter. Amounts are strings with two decimals, km with one, dates ISO. The
note is not part of it: it is the contact's, not shown to the signer.

Trips and expenses are ordered by their own compact JSON text; every string
comparison is by Unicode code point (= UTF-8 bytes, not UTF-16 units). JSON
escapes only `"`, `\\` and U+0000–U+001F (`\\u00xx` in lower-case hex).

Test vectors (inputs, exact bytes and the rules above spelled out for other
languages: tests/models/VECTORS.md; pinned in tests/models/test_canonical.py):

    A  one session, æøå, a trip, an expense
       013280deadc67e01e529c8fded66111c2f03180bee7f00308e6fb6d8c574fcde
    B  autumn DST night (180 min), across midnight, escaping, out of order
       43c41800a9af90b09b57d91a33bed17e0d4219a06b4d0d4d1291b3a03430c39e
    C  group session on three decisions, empty lists
       284fe48f141a1d18e16a6a954cb10ed80e9f3de5e04e09e0804bf4086013d978

Changing any of these breaks every signature already given: bump
CANONICAL_VERSION instead of editing the form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from models.schemas import EntryData

CANONICAL_VERSION = 1


def _compact(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _km(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1')):f}"


def _nok(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _entry(entry: EntryData) -> dict[str, Any]:
    trips = sorted(
        ({"km": _km(t.km), "from": t.from_, "to": t.to, "purpose": t.purpose} for t in entry.trips),
        key=_compact,
    )
    expenses = sorted(
        (
            {"amount": _nok(x.amount), "category": x.category, "description": x.description}
            for x in entry.expenses
        ),
        key=_compact,
    )
    return {
        "id": entry.id,
        "date": entry.date.isoformat(),
        "start": entry.start,
        "end": entry.end,
        "minutes": entry.minutes,
        "decision_ids": sorted(entry.decision_ids),
        "activities": sorted(entry.activities),
        "trips": trips,
        "expenses": expenses,
    }


def canonical_content(
    *, contact_id: str, decision_id: str, period: str, entries: Iterable[EntryData]
) -> bytes:
    """The exact bytes that a timesheet's signature is a promise about."""
    ordered = sorted(entries, key=lambda e: (e.date, e.start, e.id))
    document = {
        "v": CANONICAL_VERSION,
        "contact_id": contact_id,
        "decision_id": decision_id,
        "period": period,
        "entries": [_entry(e) for e in ordered],
        "totals": {
            "minutes": sum(e.minutes for e in ordered),
            "km": _km(sum((e.total_km for e in ordered), Decimal(0))),
            "expenses": _nok(sum((e.total_expenses for e in ordered), Decimal(0))),
        },
    }
    return _compact(document).encode()


def content_hash(
    *, contact_id: str, decision_id: str, period: str, entries: Iterable[EntryData]
) -> str:
    """SHA-256 (hex) of the canonical content."""
    content = canonical_content(
        contact_id=contact_id, decision_id=decision_id, period=period, entries=entries
    )
    return hashlib.sha256(content).hexdigest()
