"""How the server's answers change the store's state: a push's results and a pull's page.

Both take the typed contract (models.contract), validated at the HTTP edge by
sync.client, and change the state (`Tables` of sync.documents) in place, one
document at a time, so that the store journals only what changed. The entry
records change through sync.records.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from models.contract import EntryPublic, MutationResult, PullResponse
from models.payperiod import pay_period_of
from models.schemas import EntryData, TimesheetStatus
from sync import records
from sync.projection import ENTRY_FIELDS, cutoff_day, is_locked, locked_keys, parse_entry
from sync.records import EntryState, Raw

__all__ = ["KEEP_EXPORTED_MONTHS", "apply_push_results", "merge_pull"]

Tables = dict[str, dict[str, Any]]

# Entries of sheets exported to payroll leave the phone once the sheet's pay
# period is more than this many months old; the server keeps them (least data
# on the device, and a store that does not grow without end).
KEEP_EXPORTED_MONTHS = 13


def _table(data: Tables, name: str) -> dict[str, Any]:
    table: dict[str, Any] = data.setdefault(name, {})
    return table


def _entry_json(entry: EntryPublic) -> Raw:
    # The phone keeps the entry's own fields; the server's (contact_id, minutes,
    # timestamps) are derived or not the phone's to keep.
    dumped = entry.model_dump(mode="json", by_alias=True)
    payload = {k: v for k, v in dumped.items() if k in ENTRY_FIELDS}
    return EntryData.model_validate(payload).model_dump(mode="json", by_alias=True)


# --- push ------------------------------------------------------------------------------------


def apply_push_results(data: Tables, results: Sequence[MutationResult]) -> None:
    """Record the server's answers (applied, duplicate or rejected) to pushed mutations."""
    outbox = _table(data, "outbox")
    flags = _table(data, "flags")
    for result in results:
        # The flags a save raised show on the phone at once, before the pull.
        for flag in result.flags or ():
            flags[flag.id] = flag.model_dump(mode="json")
        mutation = outbox.pop(str(result.mutation_id), None)
        if mutation is None:
            continue  # answered before (a retried batch)
        _settle(data, mutation, result)


def _settle(data: Tables, mutation: Raw, result: MutationResult) -> None:
    accepted = result.status in ("applied", "duplicate")
    errors = [error.model_dump(mode="json") for error in result.errors or ()]
    if mutation["type"] == "timesheet.sign":
        signatures = _table(data, "signatures")
        signature = signatures.get(mutation["key"])
        if signature is not None and signature["last_mutation"] == mutation["mutation_id"]:
            signatures[mutation["key"]] = {
                **signature,
                "state": EntryState.synced if accepted else EntryState.rejected,
                "errors": [] if accepted else errors,
            }
        return
    entries = _table(data, "entries")
    record = entries.get(mutation["key"])
    if record is None:
        return
    after = records.acknowledged(
        record,
        kind=mutation["type"],
        sent=mutation["data"],
        mutation_id=mutation["mutation_id"],
        accepted=accepted,
        errors=errors,
    )
    if after is None:
        del entries[mutation["key"]]
    elif after is not record:
        entries[mutation["key"]] = after


# --- pull ------------------------------------------------------------------------------------


def merge_pull(data: Tables, page: PullResponse, *, now: datetime, today: date) -> None:
    """Merge one pull page.

    The server wins for what the office decides (approval, rejection, flags,
    voided signatures); the phone's changes not yet pushed are kept.
    """
    meta = data["meta"]
    sync_meta = meta["sync"]
    sync_meta["pay_cutoff_day"] = page.pay_cutoff_day
    sync_meta["contact_id"] = page.contact_id
    if page.contact_name is not None:
        sync_meta["contact_name"] = page.contact_name
    account = meta.get("account")
    if account is not None:
        account["contact_id"] = page.contact_id
    for name, items in (
        ("decisions", page.decisions),
        ("recipients", page.recipients),
        ("timesheets", page.timesheets),
        ("flags", page.flags),
    ):
        table = _table(data, name)
        for item in items:
            table[item.id] = item.model_dump(mode="json")
    # A vedtak in the page comes with all its periods (its terms may have
    # moved them); any other with only the periods that changed: kept with
    # the ones the phone has.
    in_page = {decision.id for decision in page.decisions}
    usage_table = _table(data, "usage")
    for usage in page.usage:
        periods = {period.start.isoformat(): period.used_minutes for period in usage.periods}
        kept = {} if usage.decision_id in in_page else usage_table.get(usage.decision_id, {})
        usage_table[usage.decision_id] = {**kept, **periods}
    # A recipient the contact no longer serves leaves the phone with its
    # display name and case number: least data on the device.
    for name, gone in (
        ("decisions", page.deleted.decisions),
        ("recipients", page.deleted.recipients),
        ("timesheets", page.deleted.timesheets),
    ):
        table = _table(data, name)
        for key in gone:
            table.pop(key, None)
    waiting = {m["key"] for m in data.get("outbox", {}).values()}
    entries = _table(data, "entries")
    arrived: list[tuple[str, Raw | None]] = [(e.id, _entry_json(e)) for e in page.entries]
    arrived += [(gone, None) for gone in page.deleted.entries]
    for entry_id, server in arrived:
        after = records.pulled(entries.get(entry_id), server, waiting=entry_id in waiting)
        if after is None:
            entries.pop(entry_id, None)
        else:
            entries[entry_id] = after
    _rebase(data, waiting)
    _prune_exported(data, waiting, today)
    # Signatures the server has answered are now part of the pulled timesheets.
    signatures = _table(data, "signatures")
    for key in [k for k, r in signatures.items() if r["state"] == EntryState.synced]:
        del signatures[key]
    sync_meta["cursor"] = page.cursor or sync_meta["cursor"]
    sync_meta["last_synced_at"] = now.isoformat()


def _rebase(data: Tables, waiting: set[str]) -> None:
    """The pulled usage counts the server's versions: they become every record's basis.

    Iterating does not mark a record as changed (sync.documents): each one is
    taken by key only when it does change, so a pull that changes a few
    entries writes a few, however many the phone holds.
    """
    entries = _table(data, "entries")
    locked: set[tuple[str, str]] | None = None
    cutoff = cutoff_day(data)
    for entry_id, seen in list(entries.items()):
        signed_off = False
        server = records.versions(seen)[1]
        if seen["state"] == EntryState.rejected and server is not None:
            if locked is None:
                locked = locked_keys(data)
            signed_off = is_locked(parse_entry(server), locked, cutoff)
        after = records.rebased(seen, waiting=entry_id in waiting, signed_off=signed_off)
        if after is None:
            del entries[entry_id]
        elif after is not seen:
            entries[entry_id] = after


def _months_between(older: str, newer: str) -> int:
    old_year, old_month = (int(part) for part in older.split("-"))
    new_year, new_month = (int(part) for part in newer.split("-"))
    return (new_year - old_year) * 12 + new_month - old_month


def _prune_exported(data: Tables, waiting: set[str], today: date) -> None:
    """Entries whose every sheet was exported more than KEEP_EXPORTED_MONTHS ago leave."""
    cutoff = cutoff_day(data)
    now = pay_period_of(today, cutoff)
    old_exported = {
        (sheet["decision_id"], sheet["period"])
        for sheet in data.get("timesheets", {}).values()
        if sheet.get("status") == TimesheetStatus.exported
        and _months_between(sheet["period"], now) > KEEP_EXPORTED_MONTHS
    }
    if not old_exported:
        return
    entries = _table(data, "entries")
    still_shown: set[tuple[str, str]] = set()
    for entry_id, record in list(entries.items()):
        current, server, basis = records.versions(record)
        keys = {
            (decision_id, pay_period_of(date.fromisoformat(version["date"]), cutoff))
            for version in (current, server)
            if version is not None
            for decision_id in version["decision_ids"]
        }
        if (
            entry_id in waiting
            or record["state"] != EntryState.synced
            or current is None
            or current != server
            or basis != server
            or not keys <= old_exported
        ):
            still_shown |= keys  # the phone still has something to show or say about it
            continue
        del entries[entry_id]
    # The sheets go with their entries (the server keeps both); a sheet with
    # an entry still on the phone stays, so that the entry stays locked.
    timesheets = _table(data, "timesheets")
    for key, sheet in list(timesheets.items()):
        sheet_key = (sheet["decision_id"], sheet["period"])
        if sheet_key in old_exported and sheet_key not in still_shown:
            del timesheets[key]
