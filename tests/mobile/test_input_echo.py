# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""A text field never sends the browser an older value than it holds (issue 10).

Flet writes a value from the browser into the field at once and runs its
change handler later. A screen drawn in between used to draw the field with
the value the app had so far, and flet sent it back: in the browser tests
'Fra' held '11:3012:00' after typing '12:00'. The entry form's own fields
(`mobile.views.entry`) are drawn here in a real flet session; the browser's
side of the protocol is played by `tests.support.flet_session`, on a loop of
its own (`run_apart`).
"""

from __future__ import annotations

from datetime import date

import flet as ft

from mobile.i18n import tr
from mobile.state.entry import EntryDraft, TripDraft
from mobile.views.entry import TripRow, _field, _setter
from tests.support.flet_session import BrowserSide
from tests.support.office import run_apart

DATE = tr("date", "nb")
KM_1 = f"{tr('km', 'nb')} (1)"


@ft.observable
class Screen:
    """Something else on the screen that changes (a sync ending, a list loading)."""

    drawn: int = 0


@ft.component
def DateForm(draft: EntryDraft, screen: Screen) -> ft.Control:
    return ft.Column(
        [
            ft.Text(f"tegnet {screen.drawn}"),
            _field(DATE, draft.date_text, _setter(draft, "date_text")),
        ]
    )


@ft.component
def Trips(draft: EntryDraft) -> ft.Control:
    return ft.Column(
        [TripRow(trip, index, draft, "nb", False) for index, trip in enumerate(draft.trips)]
    )


def test_a_screen_drawn_while_a_change_waits_sends_no_older_value() -> None:
    run_apart(_a_screen_drawn_while_a_change_waits_sends_no_older_value())


async def _a_screen_drawn_while_a_change_waits_sends_no_older_value() -> None:
    draft = EntryDraft(date_text="")
    screen = Screen()
    browser = BrowserSide(DateForm, draft, screen)
    await browser.settle()
    browser.forget_sent()

    field_id = browser.arrives(DATE, "05.")
    await browser.changed(field_id, "05.")
    browser.arrives(DATE, "05.12")  # typed on; its change event still waits
    screen.drawn += 1  # ... while the screen is drawn again
    await browser.settle()
    await browser.changed(field_id, "05.12")
    await browser.settle()

    assert browser.values_sent() == ["tegnet 1"]  # the text; no value of the field
    assert draft.date_text == "05.12"
    assert browser.field(DATE).value == "05.12"


def test_a_value_the_app_fills_in_is_sent_even_where_something_was_typed() -> None:
    run_apart(_a_value_the_app_fills_in_is_sent_even_where_something_was_typed())


async def _a_value_the_app_fills_in_is_sent_even_where_something_was_typed() -> None:
    draft = EntryDraft(date_text="")
    browser = BrowserSide(DateForm, draft, Screen())
    await browser.settle()
    field_id = browser.arrives(DATE, "04.12.2026")
    await browser.changed(field_id, "04.12.2026")
    browser.forget_sent()

    draft.set_day(date(2026, 12, 5))  # "I dag"
    await browser.settle()
    assert browser.values_sent() == ["05.12.2026"]

    # Back to what was typed before: the app changed it again, so it is sent again.
    draft.set_day(date(2026, 12, 4))
    await browser.settle()
    assert browser.values_sent() == ["05.12.2026", "04.12.2026"]
    assert browser.field(DATE).value == "04.12.2026"


def test_removing_a_trip_shows_the_next_trip_in_its_row() -> None:
    run_apart(_removing_a_trip_shows_the_next_trip_in_its_row())


async def _removing_a_trip_shows_the_next_trip_in_its_row() -> None:
    draft = EntryDraft(trips=[TripDraft(km="12"), TripDraft(km="30")])
    browser = BrowserSide(Trips, draft)
    await browser.settle()
    field_id = browser.arrives(KM_1, "125")
    await browser.changed(field_id, "125")
    browser.forget_sent()

    draft.remove_trip(0)
    await browser.settle()
    assert "30" in browser.values_sent()
    assert browser.field(KM_1).value == "30"
