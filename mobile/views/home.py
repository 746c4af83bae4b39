# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Home: the people assigned to me with their quota meters, and the latest sessions."""

from __future__ import annotations

import flet as ft

from mobile.context import use_app
from mobile.i18n import tr
from mobile.state.common import entry_summary
from mobile.state.home import PersonCard, person_cards
from mobile.views.common import METER_COLORS, TOUCH, SyncChip, go, icon_button, screen
from sync.store import EntryState, LocalEntry

STATE_ICONS = {
    EntryState.pending: (ft.Icons.SCHEDULE_SEND, ft.Colors.BLUE_700),
    EntryState.synced: (ft.Icons.CHECK_CIRCLE_OUTLINE, ft.Colors.GREEN_700),
    EntryState.rejected: (ft.Icons.ERROR_OUTLINE, ft.Colors.RED_700),
}
STATE_WORDS = {
    EntryState.pending: ("venter", "waiting"),
    EntryState.synced: ("sendt", "sent"),
    EntryState.rejected: ("ikke godtatt", "not accepted"),
}


def target_slug(key: str) -> str:
    """A Target key as a URL segment: 'd:ID' → 'd-ID'."""
    return key.replace(":", "-", 1)


def person_card(card: PersonCard, lang: str) -> ft.Control:
    meter = card.meter
    lines: list[ft.Control] = [
        ft.Row(
            [
                ft.Text(card.name, size=20, weight=ft.FontWeight.BOLD, expand=True),
                ft.Text(tr("group", lang), size=13, italic=True)
                if card.kind == "group"
                else ft.Container(),
            ]
        )
    ]
    if meter is None:
        lines.append(ft.Text(tr("not_valid_today", lang), size=15))
    else:
        color = METER_COLORS[meter.level]
        lines += [
            ft.ProgressBar(
                value=meter.share,
                color=color,
                bgcolor=ft.Colors.GREY_300,
                bar_height=10,
                border_radius=5,
            ),
            ft.Row(
                [
                    ft.Text(meter.used_text(lang), size=15, expand=True),
                    ft.Text(
                        meter.left_text(lang),
                        size=15,
                        weight=ft.FontWeight.BOLD,
                        color=color if meter.level != "ok" else None,
                    ),
                ],
            ),
            ft.Text(_period(meter.period_key, lang), size=13, color=ft.Colors.ON_SURFACE_VARIANT),
        ]
    expiry = card.expiry_text(lang)
    if expiry:
        lines.append(
            ft.Row(
                [
                    ft.Icon(ft.Icons.EVENT_BUSY, size=18, color=ft.Colors.ORANGE_800),
                    ft.Text(expiry, size=15, weight=ft.FontWeight.W_600),
                ],
                spacing=6,
            )
        )
    lines.append(
        ft.Row(
            [
                # Short visible words; the accessible name says whose card it is,
                # since a screen reader lists every card's buttons together. (A
                # tooltip would not name the button, and it leaks into the card.)
                ft.FilledTonalButton(
                    ft.Text(
                        tr("log_session", lang),
                        semantics_label=tr("log_session_for", lang, name=card.name),
                    ),
                    icon=ft.Icons.ADD,
                    on_click=go(f"/okt/for/{target_slug('d:' + card.decision_id)}"),
                    height=TOUCH - 4,
                ),
                ft.TextButton(
                    ft.Text(
                        tr("timesheet", lang),
                        semantics_label=tr("open_month", lang, name=card.name),
                    ),
                    icon=ft.Icons.CALENDAR_MONTH,
                    on_click=go(f"/person/{card.decision_id}"),
                    height=TOUCH - 4,
                ),
            ],
            wrap=True,
        )
    )
    return ft.Card(
        content=ft.Container(ft.Column(lines, spacing=8), padding=16),
        elevation=1,
    )


def _period(key: str, lang: str) -> str:
    from mobile import fmt

    return fmt.period(key, lang)


def entry_tile(item: LocalEntry, name: str, lang: str) -> ft.Control:
    icon, color = STATE_ICONS[item.state]
    words = STATE_WORDS[item.state][1 if lang == "en" else 0]
    if item.locked and item.state is not EntryState.rejected:
        # A refused change says so, even when the sheet it aimed at is closed.
        icon, color = ft.Icons.LOCK_OUTLINE, ft.Colors.ON_SURFACE_VARIANT
        words = tr("status_signed", lang).lower()
    return ft.ListTile(
        leading=ft.Icon(icon, color=color),
        title=ft.Text(f"{name}: {entry_summary(item.entry, lang)}", size=15),
        subtitle=ft.Text(words, size=13),
        on_click=go(f"/okt/endre/{item.id}"),
        content_padding=ft.Padding.symmetric(horizontal=4),
    )


@ft.component
def HomeView() -> ft.View:
    app = use_app()
    lang = app.lang
    snapshot = app.snapshot
    cards = person_cards(snapshot)
    recent = list(snapshot.entries[:8])
    count = snapshot.message_count()
    body: list[ft.Control] = [
        ft.Text(tr("my_people", lang), size=18, weight=ft.FontWeight.W_600),
    ]
    if not cards:
        body.append(ft.Text(tr("no_people", lang), size=16))
    body += [person_card(card, lang) for card in cards]
    body.append(ft.Text(tr("recent", lang), size=18, weight=ft.FontWeight.W_600))
    if recent:
        names = {d.id: snapshot.name_of(d.id) for d in snapshot.decisions}
        body += [
            entry_tile(item, ", ".join(names.get(i, "?") for i in item.entry.decision_ids), lang)
            for item in recent
        ]
    else:
        body.append(ft.Text(tr("no_entries", lang), size=15))
    body.append(ft.Container(height=72))  # room above the floating button
    messages_label = tr("messages", lang) + (f" ({count})" if count else "")
    return screen(
        tr("app_title", lang),
        body,
        lang=lang,
        actions=[
            SyncChip(),
            icon_button(
                ft.Icons.MAIL_OUTLINE if not count else ft.Icons.MARK_EMAIL_UNREAD,
                messages_label,
                go("/meldinger"),
                badge=str(count) if count else None,
            ),
            icon_button(ft.Icons.SETTINGS, tr("settings", lang), go("/innstillinger")),
        ],
        fab=ft.FloatingActionButton(
            content=tr("new_session", lang),
            icon=ft.Icons.ADD,
            on_click=go("/okt"),
            tooltip=tr("new_session", lang),
        ),
    )
