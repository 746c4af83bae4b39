"""Phones that go quiet (docs/rules.md §11 "Devices"): keep each device's latest report,
and list the contacts the office should look at.

The rule (how long is too long) lives in `models.devices`; this module keeps
the reports and gathers, per contact, what the rule needs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models.devices import DeviceAttentionPublic, DeviceReport, attention_reasons
from server.db import utcnow
from server.services.common import Actor, audit_read
from server.tables import ContactRow, DeviceMutation, DeviceState, TimesheetRow, User

UNCHANGED_WRITE_EVERY = timedelta(minutes=10)


def record(
    db: Session,
    *,
    actor: Actor,
    device_id: str,
    report: DeviceReport | None,
    commit: bool = True,
) -> None:
    """Keep what the device reported now (or that it synced, when it reported nothing).

    `commit`: in its own short transaction (a pull). A push passes False and
    keeps the report in its own transaction (one durable commit per push); a
    push that fails keeps no report, and the phone reports again next time.
    """
    if actor.contact_id is None:
        return
    now = utcnow()
    values: dict[str, Any] = {
        "user_id": actor.user_id,
        "device_id": device_id,
        "contact_id": actor.contact_id,
        "reported_at": now,
    }
    if report is not None:
        values["unsent"] = report.unsent
        values["oldest_unsent_at"] = report.oldest_unsent_at if report.unsent else None
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(DeviceState).values(unsent=values.pop("unsent", 0), **values)
    changed = {
        "reported_at": statement.excluded.reported_at,
        "contact_id": statement.excluded.contact_id,
    }
    # Nothing new, and the last sync time fresh enough for a limit counted in
    # days: the row is left alone, so a phone pulling every minute does not
    # write every minute. Decided by the statement itself (one round trip,
    # not a read and then a write).
    worth_writing = DeviceState.reported_at <= now - UNCHANGED_WRITE_EVERY
    if report is not None:
        changed["unsent"] = statement.excluded.unsent
        changed["oldest_unsent_at"] = statement.excluded.oldest_unsent_at
        worth_writing = or_(
            worth_writing,
            DeviceState.unsent.is_distinct_from(statement.excluded.unsent),
            DeviceState.oldest_unsent_at.is_distinct_from(statement.excluded.oldest_unsent_at),
        )
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "device_id"], set_=changed, where=worth_writing
        )
    )
    if commit:
        db.commit()


def attention(
    db: Session, *, actor: Actor, now: datetime, waiting_days: int, silent_days: int
) -> list[DeviceAttentionPublic]:
    """Contacts whose phones hold changes too long, or are silent while sheets are open."""
    unsent: dict[str, int] = defaultdict(int)
    oldest: dict[str, datetime] = {}
    last: dict[str, datetime] = {}
    devices: dict[str, int] = defaultdict(int)
    for contact_id, count, oldest_at, reported_at in db.execute(
        select(
            DeviceState.contact_id,
            DeviceState.unsent,
            DeviceState.oldest_unsent_at,
            DeviceState.reported_at,
        )
    ):
        devices[contact_id] += 1
        unsent[contact_id] += count
        if oldest_at is not None and (contact_id not in oldest or oldest_at < oldest[contact_id]):
            oldest[contact_id] = oldest_at
        if contact_id not in last or reported_at > last[contact_id]:
            last[contact_id] = reported_at
    # Pushes made before devices reported anything still show when a phone last synced.
    for pusher, pushed_at in db.execute(
        select(User.contact_id, func.max(DeviceMutation.created_at))
        .join(User, User.id == DeviceMutation.user_id)
        .where(User.contact_id.is_not(None))
        .group_by(User.contact_id)
    ):
        if pusher is None or pushed_at is None:
            continue
        if pusher not in last or pushed_at > last[pusher]:
            last[pusher] = pushed_at
    open_sheets = dict(
        db.execute(
            select(TimesheetRow.contact_id, func.count())
            .where(TimesheetRow.status == "open")
            .group_by(TimesheetRow.contact_id)
        ).all()
    )
    found = []
    for contact_id, name, employee_no in db.execute(
        select(ContactRow.id, ContactRow.name, ContactRow.employee_no)
    ):
        reasons = attention_reasons(
            oldest_unsent_at=oldest.get(contact_id),
            last_sync_at=last.get(contact_id),
            open_timesheets=open_sheets.get(contact_id, 0),
            now=now,
            waiting_days=waiting_days,
            silent_days=silent_days,
        )
        if reasons:
            found.append(
                DeviceAttentionPublic(
                    contact_id=contact_id,
                    name=name,
                    employee_no=employee_no,
                    reasons=reasons,
                    unsent=unsent.get(contact_id, 0),
                    oldest_unsent_at=oldest.get(contact_id),
                    last_sync_at=last.get(contact_id),
                    open_timesheets=open_sheets.get(contact_id, 0),
                    devices=devices.get(contact_id, 0),
                )
            )
    audit_read(db, actor, "devices_attention", None, count=len(found))
    db.commit()
    # The longest wait first: the oldest unsent change, else the longest silence.
    return sorted(
        found,
        key=lambda item: (
            item.oldest_unsent_at or item.last_sync_at or datetime.min.replace(tzinfo=now.tzinfo),
            item.name,
        ),
    )
