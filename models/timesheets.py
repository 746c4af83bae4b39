"""What is on a timesheet and when it is closed to changes: one definition for phone and server.

A timesheet is contact × vedtak × pay period. Its entries are the contact's
entries for that vedtak whose date falls in the period; the phone lists them,
and hashes them for signing (models.canonical), in the order of
`sheet_entries`. Which version of an entry counts is the caller's to give:
the phone passes what the server will hold once its outbox is through
(a change the server refused is not on the sheet, its last accepted version is).
"""

from __future__ import annotations

from collections.abc import Iterable

from models.payperiod import pay_period_of
from models.schemas import EntryData, TimesheetStatus

__all__ = ["CLOSED_TO_CONTACT", "SIGNED_OFF", "sheet_entries", "sheet_status"]

# The office has signed the sheet off: nobody changes its entries any more,
# and it can be neither signed again nor sent back.
SIGNED_OFF: frozenset[TimesheetStatus] = frozenset(
    {TimesheetStatus.approved, TimesheetStatus.exported}
)
# Closed to the contact: once signed (and until the office sends it back) the
# contact's phone shows its entries read-only, and it takes no second signature.
CLOSED_TO_CONTACT: frozenset[TimesheetStatus] = SIGNED_OFF | {TimesheetStatus.signed}


def sheet_entries(
    entries: Iterable[EntryData], decision_id: str, period: str, cutoff_day: int | None
) -> list[EntryData]:
    """The entries on the sheet of `decision_id` × `period`, by date, start and id."""
    chosen = [
        entry
        for entry in entries
        if decision_id in entry.decision_ids and pay_period_of(entry.date, cutoff_day) == period
    ]
    return sorted(chosen, key=lambda entry: (entry.date, entry.start, entry.id))


def sheet_status(pulled: TimesheetStatus | None, *, signed_here: bool) -> TimesheetStatus:
    """The status the phone shows: the last pulled one, or signed once signed on this phone.

    A signature the server has not yet answered counts as signed (the sheet
    closes at once), unless the office has already signed the sheet off.
    """
    status = pulled if pulled is not None else TimesheetStatus.open
    if signed_here and status not in CLOSED_TO_CONTACT:
        return TimesheetStatus.signed
    return status
