"""The entry screen (`mobile/views/entry.py`): the 'log a session' form, who it is for,
and what to ask before saving.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import flet as ft
from pydantic import ValidationError

from mobile import fmt
from mobile.i18n import DEFAULT_LANGUAGE, tr
from mobile.state.common import Snapshot
from models.clock import LONG_SESSION_MINUTES, OSLO, duration_minutes, ends_next_day, today_in_oslo
from models.flags import spans_overlap
from models.messages import validation_problems
from models.quota import PeriodUsage
from models.rules import Problem
from models.schemas import DecisionKind, EntryData


@dataclass(frozen=True)
class Target:
    """Who a session can be logged for: one individual vedtak, or a group."""

    key: str  # "d:<decision id>" or "g:<group id>"
    label: str
    decision_ids: tuple[str, ...]
    is_group: bool


def targets(snapshot: Snapshot, lang: str = DEFAULT_LANGUAGE) -> list[Target]:
    """Individual vedtak one by one; group vedtak gathered by their group id."""
    singles: list[Target] = []
    groups: dict[str, list[str]] = {}
    for decision in snapshot.decisions:
        if decision.kind is DecisionKind.group and decision.group_id:
            groups.setdefault(decision.group_id, []).append(decision.id)
        else:
            singles.append(
                Target(f"d:{decision.id}", snapshot.name_of(decision.id), (decision.id,), False)
            )
    grouped = []
    for group_id, ids in groups.items():
        names = sorted(snapshot.name_of(i) for i in ids)
        label = f"{tr('group', lang).capitalize()}: {', '.join(names)}"
        ids_by_name = tuple(sorted(ids, key=snapshot.name_of))
        grouped.append(Target(f"g:{group_id}", label, ids_by_name, True))
    singles.sort(key=lambda t: t.label.lower())
    return singles + grouped


@ft.observable
@dataclass
class TripDraft:
    km: str = ""
    from_: str = ""
    to: str = ""
    purpose: str = ""


@ft.observable
@dataclass
class ExpenseDraft:
    amount: str = ""
    category: str = "Annet"


def _clock_now(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(OSLO)
    return f"{moment:%H:%M}"


@ft.observable
@dataclass
class WhenHint:
    """The line under 'Fra'/'Til' that says a session ends the next day, as it is typed.

    Its own observable, so that typing re-renders only this line and never
    sends the text fields' values back while the user types.
    """

    text: str = ""

    def follow(self, day_text: str, start_text: str, end_text: str, lang: str) -> None:
        text = when_text(day_text, start_text, end_text, lang)
        if text != self.text:
            self.text = text


def when_text(day_text: str, start_text: str, end_text: str, lang: str = DEFAULT_LANGUAGE) -> str:
    """'16:00 til 15:00 neste dag · 23 t' when the end is on the next day, else ''."""
    start, end = fmt.parse_clock(start_text), fmt.parse_clock(end_text)
    if start is None or end is None or start == end or not ends_next_day(start, end):
        return ""
    day = fmt.parse_day(day_text) or today_in_oslo()
    length = fmt.duration(duration_minutes(day, start, end), lang)
    return tr("when_next_day", lang, start=start, end=end, length=length)


@ft.observable
@dataclass
class EntryDraft:
    """The 'log a session' form as the contact fills it in, as text."""

    entry_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    is_new: bool = True
    target: str = ""  # Target.key
    present: list[str] = field(default_factory=list)  # for a group: decisions present
    date_text: str = ""
    start_text: str = ""
    end_text: str = ""
    activities: list[str] = field(default_factory=list)
    other_activity: str = ""
    note: str = ""
    trips: list[TripDraft] = field(default_factory=list)
    expenses: list[ExpenseDraft] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False
    when: WhenHint = field(default_factory=WhenHint)

    # building ----------------------------------------------------------------------

    @classmethod
    def new(
        cls,
        *,
        today: date | None = None,
        target: Target | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> EntryDraft:
        draft = cls(date_text=fmt.day(today or today_in_oslo(), lang))
        if target is not None:
            draft.choose(target)
        return draft

    @classmethod
    def from_entry(
        cls, entry: EntryData, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE
    ) -> EntryDraft:
        ids = set(entry.decision_ids)
        target = next((t for t in options if ids <= set(t.decision_ids)), None)
        return cls(
            entry_id=entry.id,
            is_new=False,
            target=target.key if target else "",
            present=list(entry.decision_ids),
            date_text=fmt.day(entry.date, lang),
            start_text=entry.start,
            end_text=entry.end,
            activities=list(entry.activities),
            note=entry.note or "",
            trips=[
                TripDraft(
                    km=fmt.number(t.km, lang, places=1),
                    from_=t.from_,
                    to=t.to,
                    purpose=t.purpose,
                )
                for t in entry.trips
            ],
            expenses=[
                ExpenseDraft(amount=fmt.number(x.amount, lang, trim=False), category=x.category)
                for x in entry.expenses
            ],
        )

    # editing ---------------------------------------------------------------------------

    def choose(self, target: Target) -> None:
        self.target = target.key
        self.present = list(target.decision_ids)
        self.errors.pop("decision_ids", None)

    def toggle_present(self, decision_id: str) -> None:
        if decision_id in self.present:
            self.present.remove(decision_id)
        else:
            self.present.append(decision_id)

    def toggle_activity(self, activity: str) -> None:
        if activity in self.activities:
            self.activities.remove(activity)
        else:
            self.activities.append(activity)

    def add_trip(self) -> None:
        self.trips.append(TripDraft())

    def remove_trip(self, index: int) -> None:
        if 0 <= index < len(self.trips):
            del self.trips[index]
            self.errors = {}

    def add_expense(self) -> None:
        self.expenses.append(ExpenseDraft())

    def remove_expense(self, index: int) -> None:
        if 0 <= index < len(self.expenses):
            del self.expenses[index]
            self.errors = {}

    def set_day(self, day: date, lang: str = DEFAULT_LANGUAGE) -> None:
        self.date_text = fmt.day(day, lang)

    def start_timer(self, now: datetime | None = None) -> datetime:
        """Start a session now: fills 'from' and leaves 'to' for `stop_timer`."""
        moment = now or datetime.now(UTC)
        local = moment.astimezone(OSLO)
        self.date_text = fmt.day(local.date())
        self.start_text = _clock_now(moment)
        self.end_text = ""
        return moment

    def stop_timer(self, started: datetime, now: datetime | None = None) -> None:
        """Stop the running session: 'from' is when it started, 'to' is now."""
        self.date_text = fmt.day(started.astimezone(OSLO).date())
        self.start_text = _clock_now(started)
        self.end_text = _clock_now(now)

    # checking ---------------------------------------------------------------------------

    def decision_ids(self, options: Sequence[Target]) -> list[str]:
        target = next((t for t in options if t.key == self.target), None)
        if target is None:
            return []
        if target.is_group:
            return [i for i in target.decision_ids if i in self.present]
        return list(target.decision_ids)

    def payload(self, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
        """The `entry.upsert` data as far as the text can be read (unreadable fields → None)."""
        day = fmt.parse_day(self.date_text)
        activities = list(self.activities)
        extra = self.other_activity.strip()
        if extra and extra not in activities:
            activities.append(extra)
        return {
            "id": self.entry_id,
            "decision_ids": self.decision_ids(options),
            "date": day.isoformat() if day else None,
            "start": fmt.parse_clock(self.start_text),
            "end": fmt.parse_clock(self.end_text),
            "activities": activities,
            "note": self.note.strip() or None,
            "trips": [
                {
                    "km": _decimal_or_text(trip.km),
                    "from": trip.from_,
                    "to": trip.to,
                    "purpose": trip.purpose,
                }
                for trip in self.trips
            ],
            "expenses": [
                {"amount": _decimal_or_text(expense.amount), "category": expense.category}
                for expense in self.expenses
            ],
        }

    def build(
        self, options: Sequence[Target], lang: str = DEFAULT_LANGUAGE
    ) -> tuple[EntryData | None, dict[str, str]]:
        """The entry, or the plain-language problems by field (models' wording)."""
        errors: dict[str, str] = {}
        if not self.decision_ids(options):
            errors["decision_ids"] = tr("pick_person", lang)
        if fmt.parse_day(self.date_text) is None:
            errors["date"] = tr("bad_date", lang)
        for name, text in (("start", self.start_text), ("end", self.end_text)):
            if fmt.parse_clock(text) is None:
                errors[name] = tr("bad_clock", lang)
        for index, trip in enumerate(self.trips):
            if fmt.parse_decimal(trip.km) is None:
                errors[f"trips.{index}.km"] = tr("bad_number", lang)
        for index, expense in enumerate(self.expenses):
            if fmt.parse_decimal(expense.amount) is None:
                errors[f"expenses.{index}.amount"] = tr("bad_number", lang)
        if errors:
            return None, errors
        try:
            entry = EntryData.model_validate(self.payload(options, lang))
        except ValidationError as error:
            return None, problems_by_field(validation_problems(error))
        return entry, {}

    def show_problems(self, problems: Iterable[Problem]) -> None:
        self.errors = problems_by_field(problems)


def _decimal_or_text(text: str) -> object:
    value = fmt.parse_decimal(text)
    return str(value) if value is not None else text


def problems_by_field(problems: Iterable[Problem]) -> dict[str, str]:
    """Problems keyed by the form field that shows them; whole-entry problems go under 'time'."""
    shown: dict[str, str] = {}
    for problem in problems:
        key = problem.field
        if key in ("body", "", "__root__"):
            key = "time"  # the schema's whole-entry check is about start and end
        shown.setdefault(key, problem.message)
    return shown


def over_quota_text(
    snapshot: Snapshot, over: Sequence[tuple[str, PeriodUsage]], lang: str = DEFAULT_LANGUAGE
) -> str:
    """The warning before saving an entry that takes a vedtak over its quota."""
    lines = []
    for decision_id, usage in over:
        lines.append(
            tr(
                "over_body",
                lang,
                used=fmt.hours(usage.used_minutes, lang),
                quota=fmt.hours(usage.period.quota_minutes, lang),
                name=snapshot.name_of(decision_id),
                period=fmt.period(usage.period.key, lang),
                over=fmt.hours(usage.over_minutes, lang),
            )
        )
    return "\n\n".join(lines)


def entry_warnings(snapshot: Snapshot, entry: EntryData, lang: str = DEFAULT_LANGUAGE) -> list[str]:
    """What to ask about before saving (docs/rules.md §3): over 12 hours, or an overlap
    with another of the contact's own sessions (the rule of models.flags)."""
    warnings = []
    if entry.minutes > LONG_SESSION_MINUTES:
        next_day = f" {tr('next_day', lang)}" if ends_next_day(entry.start, entry.end) else ""
        warnings.append(
            tr(
                "long_body",
                lang,
                length=fmt.duration(entry.minutes, lang),
                start=entry.start,
                end=entry.end,
                next=next_day,
            )
        )
    others = [
        item.entry
        for item in snapshot.entries
        if item.id != entry.id and abs((item.entry.date - entry.date).days) <= 1
    ]
    overlapping = [other for other in others if spans_overlap(entry, other)]
    if overlapping:
        described = ", ".join(
            f"{', '.join(snapshot.name_of(d) for d in other.decision_ids)} "
            f"{fmt.day(other.date, lang)} {other.start}–{other.end}"
            for other in sorted(overlapping, key=lambda e: (e.date, e.start, e.id))
        )
        warnings.append(tr("overlap_body", lang, others=described))
    return warnings


def yesterday(today: date | None = None) -> date:
    return (today or today_in_oslo()) - timedelta(days=1)
