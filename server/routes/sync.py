"""Device sync: push mutations, pull changes (contacts only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from models.devices import MAX_UNSENT, DeviceReport
from models.types import Instant
from server.deps import ContactUser, DbDep, SettingsDep
from server.schemas import PullResponse, PushRequest, PushResponse
from server.services import devices, sync

router = APIRouter(prefix="/api/v1/sync", tags=["sync"])


@router.post("/push", response_model=PushResponse)
def push(body: PushRequest, actor: ContactUser, db: DbDep, settings: SettingsDep) -> Response:
    """Apply the device's mutations in order, in one transaction committed before the answer.

    Per mutation: `applied` (with the open `flags` it raised or touched),
    `duplicate` (this device already sent this mutation_id; nothing done), or
    `rejected` with `errors: [{field, message, code}]` (nothing stored; do not
    retry). Types: `entry.upsert` (EntryData), `entry.delete` (`{id}`),
    `timesheet.sign` (SignatureCreate). Bad data never fails the whole push.
    """
    answer = sync.push(db, settings=settings, actor=actor, request=body)
    # Serialized once here: FastAPI would validate the answer's hundreds of
    # results again on the way out.
    return Response(answer.model_dump_json(), media_type="application/json")


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
    changed: every quota period for a decision in `decisions`, otherwise only
    the periods changed since `cursor`; keep the others),
    `deleted: {entries, decisions, timesheets}`,
    `contact_id`, `contact_name`, `pay_cutoff_day` (null: calendar months),
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
