"""Timesheets: lists, one sheet, approval and rejection."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.payperiod import PERIOD_PATTERN
from models.schemas import TimesheetStatus
from server.deps import Coordinator, DbDep, TimesheetReader
from server.paging import PageDep, listed
from server.schemas import (
    ApproveRequest,
    RejectRequest,
    TimesheetDetail,
    TimesheetsPublic,
    TimesheetSummary,
)
from server.services import timesheets

router = APIRouter(prefix="/api/v1/timesheets", tags=["timesheets"])

PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN)]


@router.get("")
def list_timesheets(
    actor: TimesheetReader,
    db: DbDep,
    page: PageDep,
    period: PeriodQuery = None,
    status: TimesheetStatus | None = None,
    contact_id: str | None = None,
    decision_id: str | None = None,
) -> TimesheetsPublic:
    """Timesheets by period, a page at a time (a contact sees only their own). `q` looks in
    the contact's name and employee number, the case number, the period and, for the
    coordinator, the recipient's name; `count` is the number of all matches."""
    return listed(
        TimesheetsPublic,
        timesheets.list_timesheets(
            db,
            actor=actor,
            period=period,
            status=status,
            contact_id=contact_id,
            decision_id=decision_id,
            page=page,
        ),
    )


@router.get("/{timesheet_id}")
def get_timesheet(timesheet_id: str, actor: TimesheetReader, db: DbDep) -> TimesheetDetail:
    """One sheet with entries, signature and open flags; payroll gets no notes or activities."""
    return timesheets.detail(db, actor=actor, timesheet_id=timesheet_id)


@router.post("/{timesheet_id}/approve")
def approve(
    timesheet_id: str, body: ApproveRequest, actor: Coordinator, db: DbDep
) -> TimesheetSummary:
    """Approve; unsigned or flagged sheets need `override_reason` (else 409)."""
    row = timesheets.approve(
        db,
        actor=actor,
        timesheet_id=timesheet_id,
        note=body.note,
        override_reason=body.override_reason,
    )
    return timesheets.summaries(db, [row])[0]


@router.post("/{timesheet_id}/reject")
def reject(
    timesheet_id: str, body: RejectRequest, actor: Coordinator, db: DbDep
) -> TimesheetSummary:
    """Send back to the contact with a reason; the signature stops counting."""
    row = timesheets.reject(db, actor=actor, timesheet_id=timesheet_id, reason=body.reason)
    return timesheets.summaries(db, [row])[0]
