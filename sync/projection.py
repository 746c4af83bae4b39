"""What the phone shows from its state without asking the server: locks, sheets, usage.

Pure functions over the store's tables (`Tables`, as sync.store keeps them);
the rules themselves live in models/ (models.timesheets for which entries are
on a sheet and which statuses close it, models.quota for usage).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from models.payperiod import pay_period_of
from models.quota import PeriodUsage, usage_by_period
from models.schemas import Decision, EntryData
from models.timesheets import CLOSED_TO_CONTACT, sheet_entries
from sync.records import EntryState, Raw, effective, versions

__all__ = [
    "ENTRY_FIELDS",
    "cutoff_day",
    "entries_in",
    "is_locked",
    "known",
    "locked_keys",
    "open_flags_by_entry",
    "parse_entry",
    "sheet_of",
    "usage",
]

Tables = dict[str, dict[str, Any]]
ENTRY_FIELDS = frozenset(field.alias or name for name, field in EntryData.model_fields.items())
_M = TypeVar("_M", bound=BaseModel)


def parse_entry(raw: Raw, *, stored: bool = False) -> EntryData:
    """`stored`: `raw` is a version the store wrote itself (EntryData.from_stored)."""
    # The server adds fields of its own (contact_id, timestamps): keep the payload's.
    payload = {k: v for k, v in raw.items() if k in ENTRY_FIELDS}
    return EntryData.from_stored(payload) if stored else EntryData.model_validate(payload)


def known(model: type[_M], raw: Raw) -> _M:
    """`model` from a stored item, ignoring the fields the server adds (case_no, entry_ids…)."""
    names = {field.alias or name for name, field in model.model_fields.items()}
    return model.model_validate({k: v for k, v in raw.items() if k in names})


def cutoff_day(data: Tables) -> int | None:
    value = data.get("meta", {}).get("sync", {}).get("pay_cutoff_day")
    return int(value) if value is not None else None


# --- locks ---------------------------------------------------------------------------------


def locked_keys(data: Tables) -> set[tuple[str, str]]:
    """(decision id, pay period) of every sheet closed to the contact, or signed here."""
    keys = {
        (sheet["decision_id"], sheet["period"])
        for sheet in data.get("timesheets", {}).values()
        if sheet.get("status") in CLOSED_TO_CONTACT
    }
    for key, record in data.get("signatures", {}).items():
        if record["state"] != EntryState.rejected:
            decision_id, period = key.split("|", 1)
            keys.add((decision_id, period))
    return keys


def is_locked(entry: EntryData, locked: set[tuple[str, str]], cutoff: int | None) -> bool:
    if not locked:
        return False
    period = pay_period_of(entry.date, cutoff)
    return any((decision_id, period) in locked for decision_id in entry.decision_ids)


def open_flags_by_entry(data: Tables) -> dict[str, list[str]]:
    by_entry: dict[str, list[str]] = {}
    for flag_id, flag in data.get("flags", {}).items():
        if flag.get("status") == "open":
            for entry_id in flag.get("entry_ids", ()):
                by_entry.setdefault(entry_id, []).append(flag_id)
    return by_entry


# --- sheets ----------------------------------------------------------------------------------


def sheet_of(
    data: Tables, decision_id: str, period: str, parse: Callable[[Raw], EntryData]
) -> list[EntryData]:
    """The entries on a sheet as the server will have them once the outbox is through.

    A refused change is not on the sheet the signer sees (nor on the server's).
    The app's month view picks the same versions (LocalEntry.sheet_version)
    through the same models.timesheets.sheet_entries. `parse` parses (and may cache).
    """
    chosen = []
    for record in data.get("entries", {}).values():
        raw = effective(record)
        if raw is not None and decision_id in raw["decision_ids"]:
            chosen.append(parse(raw))
    return sheet_entries(chosen, decision_id, period, cutoff_day(data))


# --- usage -----------------------------------------------------------------------------------


def usage(
    data: Tables,
    decision_id: str,
    extra: EntryData | None,
    parse: Callable[[Raw], EntryData] = parse_entry,
) -> list[PeriodUsage]:
    """Usage in every quota period of the decision, projected offline.

    The last pulled server figure, plus what the phone's unacknowledged
    changes add, minus what they replace (the version the figure counted);
    `extra` is an entry as it would be after saving it. models.quota counts
    both sides, so the quota rule stays in one place.
    """
    raw_decision = data.get("decisions", {}).get(decision_id)
    if raw_decision is None:
        return []
    terms = known(Decision, raw_decision)
    now: list[EntryData] = []
    counted: list[EntryData] = []
    for entry_id, record in data.get("entries", {}).items():
        will_count = None if extra is not None and entry_id == extra.id else effective(record)
        basis = versions(record)[2]
        if will_count == basis:
            continue  # the server's figure already holds this version
        if will_count is not None and decision_id in will_count["decision_ids"]:
            now.append(parse(will_count))
        if basis is not None and decision_id in basis["decision_ids"]:
            counted.append(parse(basis))
    if extra is not None and decision_id in extra.decision_ids:
        now.append(extra)
    server = data.get("usage", {}).get(decision_id, {})
    added = usage_by_period(decision_id, terms, now)
    removed = usage_by_period(decision_id, terms, counted)
    projected = []
    for plus, minus in zip(added, removed, strict=True):
        base = int(server.get(plus.period.start.isoformat(), 0))
        used = max(0, base + plus.used_minutes - minus.used_minutes)
        projected.append(PeriodUsage(plus.period, used))
    return projected


def entries_in(
    data: Tables, records: Iterable[Raw], decision_id: str | None, period: str | None
) -> Iterable[Raw]:
    """The records shown (not deleted here) for a decision and/or pay period."""
    cutoff = cutoff_day(data)
    for record in records:
        raw = record["data"]
        if raw is None:
            continue
        if decision_id is not None and decision_id not in raw["decision_ids"]:
            continue
        if period is not None and pay_period_of(date.fromisoformat(raw["date"]), cutoff) != period:
            continue
        yield record
