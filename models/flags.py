"""Flag detection (docs/rules.md §7) as pure functions.

Each finding carries a `scope`: the one thing it is about (a decision-period,
an entry, a pair of entries). The server keeps at most one open flag per
scope, recomputes only the scopes an edited entry touches, and resolves a
flag by itself when its scope no longer yields a finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from models.clock import entry_span
from models.quota import QuotaPeriod
from models.schemas import DecisionKind, DecisionTerms, EntryData, FlagKind, TimeEntry
from models.text import date_text, decimal_text, hours_text, period_text


@dataclass(frozen=True, slots=True)
class Finding:
    """Something the coordinator should look at."""

    kind: FlagKind
    scope: str
    detail: str
    entry_ids: tuple[str, ...]
    decision_id: str | None = None
    period: str | None = None
    contact_id: str | None = None


E = TypeVar("E", bound=EntryData)


def chronological(entries: Iterable[E]) -> list[E]:
    """Entries in the order the rules read them: date, start, then id for ties."""
    return sorted(entries, key=lambda entry: (entry.date, entry.start, entry.id))


def overuse_scope(decision_id: str, period_key: str) -> str:
    return f"overuse:{decision_id}:{period_key}"


def overuse(decision_id: str, period: QuotaPeriod, entries: Iterable[EntryData]) -> Finding | None:
    """Usage in the period over its quota, naming the entries from the crossing one on.

    `entries` may hold anything: only those naming the decision and dated in
    the period count. Reaching the quota exactly is not overuse.
    """
    relevant = chronological(
        e for e in entries if decision_id in e.decision_ids and period.contains(e.date)
    )
    used = sum(entry.minutes for entry in relevant)
    return overuse_from_latest(
        decision_id, period, used, ((e.id, e.minutes) for e in reversed(relevant))
    )


def overuse_from_latest(
    decision_id: str, period: QuotaPeriod, used: int, latest_first: Iterable[tuple[str, int]]
) -> Finding | None:
    """The overuse rule read from the period's end: `used` is the period's total,
    `latest_first` its entries as (id, minutes), in reverse chronological order.

    Takes from `latest_first` only the entries the finding names, so a server
    that keeps each period's total reads the flagged tail, not the whole
    period. The crossing entry is the one before which the period was still
    within its quota: counting back from the end, the first whose earlier
    entries use at most the quota.
    """
    if used <= period.quota_minutes:
        return None
    named: list[str] = []
    later = 0  # minutes of the entries after the one being looked at
    for entry_id, minutes in latest_first:
        named.append(entry_id)
        if used - later - minutes <= period.quota_minutes:
            break
        later += minutes
    excess = used - period.quota_minutes
    detail = (
        f"Overforbruk {period_text(period.key)}: brukt {hours_text(used)} av "
        f"{hours_text(period.quota_minutes)}, {hours_text(excess)} over vedtaket."
    )
    return Finding(
        kind=FlagKind.overuse,
        scope=overuse_scope(decision_id, period.key),
        detail=detail,
        entry_ids=tuple(reversed(named)),
        decision_id=decision_id,
        period=period.key,
    )


def outside_decision(decision_id: str, terms: DecisionTerms, entry: EntryData) -> Finding | None:
    """An entry dated outside the vedtak's validity."""
    if terms.valid_from <= entry.date <= terms.valid_to:
        return None
    detail = (
        f"Økten {date_text(entry.date)} ligger utenfor vedtakets gyldighet "
        f"({date_text(terms.valid_from)}–{date_text(terms.valid_to)})."
    )
    return Finding(
        kind=FlagKind.outside_decision,
        scope=f"outside_decision:{decision_id}:{entry.id}",
        detail=detail,
        entry_ids=(entry.id,),
        decision_id=decision_id,
    )


def spans_overlap(a: EntryData, b: EntryData) -> bool:
    """True when the two sessions share at least one minute of real time."""
    a_start, a_end = entry_span(a.date, a.start, a.end)
    b_start, b_end = entry_span(b.date, b.start, b.end)
    return a_start < b_end and b_start < a_end


def _pair_scope(kind: FlagKind, first: str, second: str) -> str:
    low, high = sorted((first, second))
    return f"{kind.value}:{low}:{high}"


def overlaps(entry: TimeEntry, others: Iterable[TimeEntry]) -> list[Finding]:
    """The same contact's other entries whose times overlap `entry`.

    Pass the contact's entries dated the day before to the day after: no
    session is longer than a day, so none further away can overlap.
    """
    findings = []
    for other in chronological(others):
        if other.id == entry.id or other.contact_id != entry.contact_id:
            continue
        if spans_overlap(entry, other):
            first, second = chronological([entry, other])
            findings.append(
                Finding(
                    kind=FlagKind.overlap,
                    scope=_pair_scope(FlagKind.overlap, entry.id, other.id),
                    detail=(
                        f"To økter overlapper: {date_text(first.date)} {first.start}–{first.end} "
                        f"og {date_text(second.date)} {second.start}–{second.end}."
                    ),
                    entry_ids=(first.id, second.id),
                    contact_id=entry.contact_id,
                )
            )
    return findings


def double_coverage(
    entry: TimeEntry, individual_decisions: Iterable[str], others: Iterable[TimeEntry]
) -> list[Finding]:
    """Other contacts' entries on the same individual decision at overlapping times."""
    individual = set(individual_decisions) & set(entry.decision_ids)
    findings = []
    for other in chronological(others):
        if other.id == entry.id or other.contact_id == entry.contact_id:
            continue
        shared = sorted(individual & set(other.decision_ids))
        if shared and spans_overlap(entry, other):
            first, second = chronological([entry, other])
            findings.append(
                Finding(
                    kind=FlagKind.double_coverage,
                    scope=_pair_scope(FlagKind.double_coverage, entry.id, other.id),
                    detail=(
                        f"To støttekontakter har ført samme tid på samme vedtak "
                        f"{date_text(first.date)}: {first.start}–{first.end} og "
                        f"{second.start}–{second.end}."
                    ),
                    entry_ids=(first.id, second.id),
                    decision_id=shared[0],
                )
            )
    return findings


def km_scope(decision_id: str, month: str) -> str:
    return f"km_over_allowance:{decision_id}:{month}"


def km_over_allowance(
    decision_id: str, terms: DecisionTerms, month: date, entries: Iterable[EntryData]
) -> Finding | None:
    """Km driven in a calendar month over the vedtak's monthly allowance."""
    if terms.km_per_month is None:
        return None
    relevant = chronological(
        e
        for e in entries
        if decision_id in e.decision_ids
        and (e.date.year, e.date.month) == (month.year, month.month)
        and e.trips
    )
    driven = sum((e.total_km for e in relevant), Decimal(0))
    if driven <= terms.km_per_month:
        return None
    key = f"{month:%Y-%m}"
    return Finding(
        kind=FlagKind.km_over_allowance,
        scope=km_scope(decision_id, key),
        detail=(
            f"Kjøring {period_text(key)}: {decimal_text(driven, 1)} km av "
            f"{decimal_text(terms.km_per_month, 1)} km tillatt."
        ),
        entry_ids=tuple(e.id for e in relevant),
        decision_id=decision_id,
        period=key,
    )


def individual_ids(decisions: Sequence[tuple[str, DecisionTerms]]) -> list[str]:
    """Ids of the individual decisions among (id, terms) pairs."""
    return [did for did, terms in decisions if terms.kind is DecisionKind.individual]
