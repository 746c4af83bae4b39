"""The app's state classes and formatting, without a page or a browser."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mobile import fmt
from mobile.i18n import keys, tr
from mobile.state import AppState
from mobile.state.common import Snapshot, sync_chip
from mobile.state.entry import EntryDraft, targets
from mobile.state.home import Meter, current_meter, meter_level, person_cards
from mobile.state.login import LoginForm
from mobile.state.month import month_sheet, shift_period
from mobile.state.other import sync_message
from mobile.state.signing import SignatureDraft, StrokePad, handover_title
from models.canonical import content_hash
from models.quota import usage_by_period
from models.schemas import (
    Decision,
    DecisionKind,
    EntryData,
    QuotaPer,
    RecipientForContact,
    SignerRole,
    TimesheetPublic,
    TimesheetStatus,
)
from sync.client import SyncState, SyncStatus
from sync.store import EntryState, LocalEntry

TODAY = date(2026, 3, 18)


def decision(
    decision_id: str,
    recipient_id: str,
    *,
    hours: str = "10",
    per: QuotaPer = QuotaPer.month,
    group: str | None = None,
) -> Decision:
    return Decision(
        id=decision_id,
        recipient_id=recipient_id,
        kind=DecisionKind.group if group else DecisionKind.individual,
        group_id=group,
        hours=Decimal(hours),
        per=per,
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        contact_ids=["c1"],
    )


def entry(
    entry_id: str, decision_ids: list[str], day: date, start: str, end: str, **extra: object
) -> EntryData:
    return EntryData.model_validate(
        {
            "id": entry_id,
            "decision_ids": decision_ids,
            "date": day.isoformat(),
            "start": start,
            "end": end,
            **extra,
        }
    )


E1 = "00000000-0000-4000-8000-000000000001"
E2 = "00000000-0000-4000-8000-000000000002"


def snapshot_with(entries: list[EntryData], **overrides: object) -> Snapshot:
    decisions = (
        decision("d1", "r1"),
        decision("d2", "r2", hours="2", per=QuotaPer.week),
        decision("g1", "r3", group="tur"),
        decision("g2", "r4", group="tur"),
    )
    recipients = {
        "r1": RecipientForContact(id="r1", display_name="Ola N.", case_no="A1"),
        "r2": RecipientForContact(id="r2", display_name="Per H.", case_no="A2"),
        "r3": RecipientForContact(id="r3", display_name="Kari B.", case_no="A3"),
        "r4": RecipientForContact(id="r4", display_name="Anne S.", case_no="A4"),
    }
    usage = {d.id: tuple(usage_by_period(d.id, d, entries)) for d in decisions}
    values: dict[str, object] = {
        "decisions": decisions,
        "recipients": recipients,
        "usage": usage,
        "entries": tuple(LocalEntry(e, EntryState.synced) for e in entries),
        "contact_id": "c1",
    }
    values.update(overrides)
    return Snapshot(**values)  # type: ignore[arg-type]


# --- formatting ---------------------------------------------------------------------------


def test_bokmal_formats_use_decimal_comma_t_and_dd_mm_yyyy() -> None:
    assert fmt.hours(750) == "12,5 t"
    assert fmt.hours(600) == "10 t"
    assert fmt.hours(45) == "0,75 t"
    assert fmt.duration(150) == "2 t 30 min"
    assert fmt.day(date(2026, 3, 5)) == "05.03.2026"
    assert fmt.money(Decimal("150")) == "150,00 kr"
    assert fmt.km(Decimal("12.5")) == "12,5 km"
    assert fmt.period("2026-03") == "mars 2026"


def test_english_formats() -> None:
    assert fmt.hours(750, "en") == "12.5 h"
    assert fmt.day(date(2026, 3, 5), "en") == "05/03/2026"
    assert fmt.money(Decimal("150"), "en") == "NOK 150.00"
    assert fmt.period("2026-03", "en") == "March 2026"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9", "09:00"),
        ("930", "09:30"),
        ("9:30", "09:30"),
        ("09.30", "09:30"),
        ("24:00", None),
        ("", None),
        ("ab", None),
        ("12:61", None),
    ],
)
def test_clock_parsing_is_forgiving_but_exact(typed: str, expected: str | None) -> None:
    assert fmt.parse_clock(typed) == expected


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_dates_round_trip_in_both_languages(day: date) -> None:
    assert fmt.parse_day(fmt.day(day)) == day
    assert fmt.parse_day(fmt.day(day, "en")) == day


@given(st.integers(min_value=0, max_value=100_000))
def test_hours_text_reads_back_to_the_minute(minutes: int) -> None:
    text = fmt.hours(minutes).removesuffix(" t")
    value = Decimal(text.replace(",", "."))
    # Two decimals of an hour: never more than 18 s off.
    assert abs(value * 60 - minutes) <= Decimal("0.3")


def test_every_text_has_both_languages() -> None:
    for key in keys():
        assert tr(key, "nb")
        assert tr(key, "en")


# --- meters and the home screen --------------------------------------------------------------


def test_meter_levels_turn_amber_at_80_percent_and_red_over() -> None:
    assert meter_level(0, 600) == "ok"
    assert meter_level(479, 600) == "ok"
    assert meter_level(480, 600) == "near"
    assert meter_level(600, 600) == "near"
    assert meter_level(601, 600) == "over"


def test_meter_texts() -> None:
    meter = Meter(used_minutes=150, quota_minutes=600, period_key="2026-03", level="ok")
    assert meter.used_text() == "Brukt 2,5 t av 10 t"
    assert meter.left_text() == "7,5 t igjen"
    over = Meter(used_minutes=660, quota_minutes=600, period_key="2026-03", level="over")
    assert over.left_text() == "1 t over vedtaket"
    assert over.share == 1.0


def test_person_cards_show_the_current_period_and_change_with_entries() -> None:
    before = {c.decision_id: c for c in person_cards(snapshot_with([]), TODAY)}
    assert before["d1"].meter is not None
    assert before["d1"].meter.used_minutes == 0
    assert before["d1"].meter.quota_minutes == 600
    after_entries = [entry(E1, ["d1"], TODAY, "10:00", "12:30")]
    after = {c.decision_id: c for c in person_cards(snapshot_with(after_entries), TODAY)}
    assert after["d1"].meter is not None
    assert after["d1"].meter.used_minutes == 150
    assert "Brukt 2,5 t av 10 t" in after["d1"].label()
    # The weekly vedtak counts its own ISO week only.
    assert after["d2"].meter is not None
    assert after["d2"].meter.period_key == "2026-W12"


def test_a_card_says_when_its_vedtak_ends_within_thirty_days() -> None:
    # All four vedtak end 31.12.2026.
    far = {c.decision_id: c for c in person_cards(snapshot_with([]), TODAY)}
    assert far["d1"].expires_on is None
    assert "går ut" not in far["d1"].label()
    near = {c.decision_id: c for c in person_cards(snapshot_with([]), date(2026, 12, 1))}
    assert near["d1"].expires_on == date(2026, 12, 31)
    assert near["d1"].expiry_text() == "Vedtaket går ut 31.12.2026"
    assert "Vedtaket går ut 31.12.2026" in near["d1"].label()
    assert near["d1"].expiry_text("en") == "The decision ends 31/12/2026"
    assert person_cards(snapshot_with([]), date(2026, 11, 30))[0].expires_on is None
    assert person_cards(snapshot_with([]), date(2027, 1, 1))[0].expires_on is None


def test_current_meter_outside_the_vedtak_is_none() -> None:
    usage = usage_by_period("d1", decision("d1", "r1"), [])
    assert current_meter(usage, date(2027, 1, 5)) is None


# --- the sync chip -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "label", "tone"),
    [
        (SyncStatus(SyncState.synced), "Synkronisert", "ok"),
        (SyncStatus(SyncState.waiting, waiting=1), "1 venter", "busy"),
        (SyncStatus(SyncState.offline, waiting=1), "Frakoblet · 1 venter", "warn"),
        (SyncStatus(SyncState.offline), "Frakoblet", "warn"),
        (SyncStatus(SyncState.attention, rejected=2), "Må ses på", "error"),
        (SyncStatus(SyncState.login), "Logg inn igjen", "error"),
    ],
)
def test_sync_chip(status: SyncStatus, label: str, tone: str) -> None:
    chip = sync_chip(status)
    assert (chip.label, chip.tone) == (label, tone)


def test_app_state_notifies_views_and_forgets_on_sign_out() -> None:
    state = AppState()
    heard: list[str | None] = []

    def listener(_sender: object, name: str | None) -> None:
        heard.append(name)

    dispose = state.subscribe(listener)
    state.show("Lagret")
    assert "notice_serial" in heard
    state.snapshot = snapshot_with([])
    state.signed_out()
    assert state.snapshot == Snapshot()
    assert state.phase == "login"
    dispose()


def test_login_form_asks_for_every_field_and_a_web_address() -> None:
    form = LoginForm(server_url="http://x", username="kari", password="")
    assert form.problem() == "Fyll ut alle feltene."
    form.password = "hemmelig"
    assert form.problem() is None
    form.server_url = "x.no"
    assert form.problem() is not None


# --- the entry sheet ----------------------------------------------------------------------------


def test_targets_gather_group_vedtak() -> None:
    options = targets(snapshot_with([]))
    labels = [t.label for t in options]
    assert labels[:2] == ["Ola N.", "Per H."]
    group = options[-1]
    assert group.is_group
    assert set(group.decision_ids) == {"g1", "g2"}


def test_draft_builds_an_entry_with_trips_and_expenses() -> None:
    options = targets(snapshot_with([]))
    draft = EntryDraft.new(today=TODAY, target=options[0])
    draft.start_text, draft.end_text = "10", "1230"
    draft.toggle_activity("Tur")
    draft.other_activity = "Bading"
    draft.add_trip()
    draft.trips[0].km, draft.trips[0].from_, draft.trips[0].to = "12,5", "Hjem", "Sentrum"
    draft.add_expense()
    draft.expenses[0].amount = "150"
    built, errors = draft.build(options)
    assert errors == {}
    assert built is not None
    assert built.decision_ids == ["d1"]
    assert built.date == TODAY
    assert (built.start, built.end, built.minutes) == ("10:00", "12:30", 150)
    assert built.activities == ["Tur", "Bading"]
    assert built.total_km == Decimal("12.5")
    assert built.total_expenses == Decimal("150.00")


def test_draft_errors_are_plain_norwegian_by_field() -> None:
    options = targets(snapshot_with([]))
    draft = EntryDraft.new(today=TODAY)
    draft.date_text = "31.02.2026"
    draft.start_text = "25:00"
    draft.add_trip()
    draft.trips[0].km = "mange"
    built, errors = draft.build(options)
    assert built is None
    assert errors["decision_ids"] == "Velg hvem økten gjaldt."
    assert errors["date"].startswith("Skriv datoen")
    assert "start" in errors
    assert errors["trips.0.km"] == "Skriv et tall."


def test_draft_uses_models_rules_for_km_and_equal_times() -> None:
    options = targets(snapshot_with([]))
    draft = EntryDraft.new(today=TODAY, target=options[0])
    draft.start_text = draft.end_text = "10:00"
    draft.add_trip()
    draft.trips[0].km = "2500"
    built, errors = draft.build(options)
    assert built is None
    assert errors["trips.0.km"] == "En tur kan ikke være over 2000 km."
    draft.remove_trip(0)
    built, errors = draft.build(options)
    assert built is None
    # models/ puts the message on the field the contact should change
    assert list(errors.values()) == ["Start og slutt kan ikke være samme klokkeslett."]
    assert set(errors) <= {"end", "time"}


def test_group_draft_counts_only_those_present() -> None:
    options = targets(snapshot_with([]))
    group = options[-1]
    draft = EntryDraft.new(today=TODAY, target=group)
    draft.start_text, draft.end_text = "18:00", "20:00"
    draft.toggle_present(group.decision_ids[0])
    built, _ = draft.build(options)
    assert built is not None
    assert built.decision_ids == [group.decision_ids[1]]


def test_draft_from_entry_round_trips() -> None:
    original = entry(
        E1,
        ["d1"],
        TODAY,
        "22:00",
        "01:00",
        activities=["Kino"],
        trips=[{"km": "3.5", "from": "A", "to": "B"}],
        expenses=[{"amount": "99.90", "category": "Mat og drikke"}],
    )
    options = targets(snapshot_with([original]))
    draft = EntryDraft.from_entry(original, options)
    assert not draft.is_new
    rebuilt, errors = draft.build(options)
    assert errors == {}
    assert rebuilt == original


def test_timer_fills_from_and_to() -> None:
    draft = EntryDraft.new(today=TODAY)
    started = datetime(2026, 3, 18, 13, 5, tzinfo=UTC)  # 14:05 in Oslo
    draft.start_timer(started)
    assert (draft.start_text, draft.end_text) == ("14:05", "")
    draft.stop_timer(started, datetime(2026, 3, 18, 15, 35, tzinfo=UTC))
    assert (draft.date_text, draft.start_text, draft.end_text) == ("18.03.2026", "14:05", "16:35")


# --- month and signing ------------------------------------------------------------------------


def test_month_sheet_totals_and_status() -> None:
    entries = [
        entry(
            E1,
            ["d1"],
            date(2026, 3, 2),
            "10:00",
            "12:00",
            trips=[{"km": "10", "from": "A", "to": "B"}],
        ),
        entry(
            E2,
            ["d1"],
            date(2026, 3, 9),
            "10:00",
            "11:30",
            expenses=[{"amount": "50", "category": "Annet"}],
        ),
    ]
    sheet = month_sheet(snapshot_with(entries), "d1", "2026-03")
    assert [r.entry.id for r in sheet.rows] == [E1, E2]
    assert sheet.total_minutes == 210
    assert sheet.total_km == Decimal(10)
    assert sheet.total_expenses == Decimal("50.00")
    assert sheet.status is TimesheetStatus.open
    assert sheet.can_sign
    assert month_sheet(snapshot_with(entries), "d1", "2026-04").rows == ()

    rejected = TimesheetPublic(
        id="t1",
        contact_id="c1",
        decision_id="d1",
        period="2026-03",
        status=TimesheetStatus.rejected,
        content_hash="",
        total_hours=Decimal(0),
        total_km=Decimal(0),
        total_expenses=Decimal(0),
        reject_reason="Feil dato 9. mars",
    )
    sheet = month_sheet(snapshot_with(entries, timesheets=(rejected,)), "d1", "2026-03")
    assert sheet.status is TimesheetStatus.rejected
    assert sheet.reject_reason == "Feil dato 9. mars"
    assert sheet.can_sign


def test_shift_period_crosses_years() -> None:
    assert shift_period("2026-01", -1) == "2025-12"
    assert shift_period("2026-12", 1) == "2027-01"


def test_signature_draft_checks_and_builds_the_payload() -> None:
    draft = SignatureDraft()
    assert set(draft.problems()) == {"signer_name", "role", "signature"}
    draft.signer_name = "Ola Nordmann"
    draft.role = "verge"
    draft.pad.begin_stroke(10, 10)
    draft.pad.extend_stroke(20, 15.55)
    draft.pad.begin_stroke(30, 30)
    draft.feedback_kind = "complaint"
    draft.message = "For få timer."
    assert draft.problems() == {}
    digest = content_hash(contact_id="c1", decision_id="d1", period="2026-03", entries=[])
    signature = draft.to_signature(decision_id="d1", period="2026-03", content_hash=digest)
    assert signature.signer_role is SignerRole.guardian
    assert signature.signer_name == "Ola Nordmann (verge)"
    assert [[(p.x, p.y) for p in s] for s in signature.strokes] == [
        [(10, 10), (20, 15.6)],
        [(30, 30)],
    ]
    assert signature.message == "Klage: For få timer."


def test_stroke_pad_notifies_on_every_point_and_clears() -> None:
    pad = StrokePad()
    seen: list[object] = []

    def listener(_sender: object, _name: str | None) -> None:
        seen.append(1)

    dispose = pad.subscribe(listener)
    pad.extend_stroke(1, 1)  # no stroke yet: ignored
    assert pad.point_count == 0
    pad.begin_stroke(1, 1)
    pad.extend_stroke(2, 2)
    assert pad.point_count == 2
    assert len(seen) >= 2
    pad.clear()
    assert pad.strokes == []
    dispose()


def test_sync_details_speak_the_chosen_language() -> None:
    status = SyncStatus(SyncState.offline, waiting=2, message="Frakoblet. 2 endringer venter.")
    assert sync_message(status, "nb") == "Frakoblet. 2 endringer venter."
    assert sync_message(status, "en").startswith("Offline.")
    assert sync_message(None) == ""


def test_the_signing_title_names_the_month_and_the_contact() -> None:
    assert (
        handover_title("2026-03", "Kari Nordmann")
        == "Timeliste for mars 2026 · Støttekontakt: Kari Nordmann"
    )
    assert (
        handover_title("2026-03", "Kari Nordmann", "en")
        == "Timesheet for March 2026 · Support contact: Kari Nordmann"
    )
    # Before the first pull has told the phone the name: the month alone, no empty label.
    assert handover_title("2026-03", None) == "Timeliste for mars 2026"
    assert handover_title("2026-03", "  ") == "Timeliste for mars 2026"
