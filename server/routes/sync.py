"""Device sync: push mutations, pull changes (contacts only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from models.devices import MAX_UNSENT, DeviceReport
from models.types import Instant
from server.deps import ContactUser, DbDep, SettingsDep
from server.schemas import PullResponse, PushRequest, PushResponse
from server.services import devices, sync

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])


@router.post("/push")
def push(body: PushRequest, actor: ContactUser, db: DbDep, settings: SettingsDep) -> PushResponse:
    """Apply the device's mutations in order, each in its own transaction.

    Per mutation: `applied` (with the open `flags` it raised or touched),
    `duplicate` (this device already sent this mutation_id; nothing done), or
    `rejected` with `errors: [{field, message, code}]` (nothing stored; do not
    retry). Types: `entry.upsert` (EntryData), `entry.delete` (`{id}`),
    `timesheet.sign` (SignatureCreate). Bad data never fails the whole push.
    """
    devices.record(db, actor=actor, device_id=body.device_id, report=body.device)
    return sync.push(db, settings=settings, actor=actor, request=body)


@router.get("/pull")
def pull(
    actor: ContactUser,
    db: DbDep,
    settings: SettingsDep,
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 5000,
    device_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    unsent: Annotated[int | None, Query(ge=0, le=MAX_UNSENT)] = None,
    oldest_unsent_at: Annotated[Instant | None, Query()] = None,
) -> PullResponse:
    """Everything that changed after `cursor` (0: all the contact may see).

    Answer: `cursor` (send it next time), `decisions`, `recipients`
    (display name and case number only), `entries` (own, live), `timesheets`
    (own, with `entry_ids`), `flags`, `usage` (per decision whose usage
    changed: all quota periods), `deleted: {entries, decisions, timesheets}`,
    `contact_id`, `pay_cutoff_day` (null: calendar months),
    `has_more` (pull again with the new cursor: a page holds about `limit` entries).

    `device_id`, `unsent` and `oldest_unsent_at`: the device's outbox as it
    stands (docs/rules.md §11 "Devices"); the server keeps the latest per device.
    """
    if device_id is not None:
        report = (
            None
            if unsent is None
            else DeviceReport(unsent=unsent, oldest_unsent_at=oldest_unsent_at)
        )
        devices.record(db, actor=actor, device_id=device_id, report=report)
    return sync.pull(db, settings=settings, actor=actor, cursor=cursor, limit=limit)
