# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Messages (what the office refused or flagged), sync details and settings."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile import fmt
from mobile.context import use_app, use_controller
from mobile.hooks import use_state_from
from mobile.i18n import LANGUAGES, flag_kind, tr
from mobile.office.security import RequireSecondFactor
from mobile.state.common import entry_summary
from mobile.state.other import sync_message
from mobile.views.common import (
    TONE_COLORS,
    big_button,
    go,
    placeholder,
    screen,
    use_ready,
)
from mobile.views.login import password_and_code
from models.schemas import TimesheetStatus
from sync.client import SyncState
from sync.store import EntryState


def _card(title: str, body: list[ft.Control], color: str) -> ft.Control:
    return ft.Card(
        content=ft.Container(
            ft.Column(
                [ft.Text(title, size=17, weight=ft.FontWeight.BOLD, color=color), *body],
                spacing=6,
            ),
            padding=14,
        )
    )


@ft.component
def MessagesView() -> ft.View:
    ready = use_ready()
    app = use_app()
    controller = use_controller()
    if not ready:
        return placeholder()
    lang = app.lang
    snapshot = app.snapshot
    cards: list[ft.Control] = []
    for item in snapshot.rejected:
        name = ", ".join(snapshot.name_of(i) for i in item.entry.decision_ids)

        async def discard(*_: Any, entry_id: str = item.id) -> None:
            await controller.discard(entry_id)

        cards.append(
            _card(
                tr("rejected_entry", lang),
                [
                    ft.Text(f"{name}: {entry_summary(item.entry, lang)}", size=15),
                    *[ft.Text(p.message, size=15) for p in item.errors],
                    ft.Row(
                        [
                            ft.FilledButton(tr("fix", lang), on_click=go(f"/okt/endre/{item.id}")),
                            ft.TextButton(tr("discard", lang), on_click=discard),
                        ],
                        wrap=True,
                    ),
                ],
                ft.Colors.RED_700,
            )
        )
    for signature in snapshot.signatures:
        if signature.state is not EntryState.rejected:
            continue
        sig = signature.signature
        cards.append(
            _card(
                tr("rejected_signature", lang),
                [
                    ft.Text(
                        f"{snapshot.name_of(sig.decision_id)}, {fmt.period(sig.period, lang)}",
                        size=15,
                    ),
                    *[ft.Text(p.message, size=15) for p in signature.errors],
                    ft.FilledButton(
                        tr("open_sheet", lang),
                        on_click=go(f"/person/{sig.decision_id}/maaned/{sig.period}"),
                    ),
                ],
                ft.Colors.RED_700,
            )
        )
    for sheet in snapshot.timesheets:
        if sheet.status is not TimesheetStatus.rejected:
            continue
        cards.append(
            _card(
                tr("rejected_sheet", lang),
                [
                    ft.Text(
                        f"{snapshot.name_of(sheet.decision_id)}, {fmt.period(sheet.period, lang)}",
                        size=15,
                    ),
                    ft.Text(
                        tr("rejected_reason", lang, reason=sheet.reject_reason or "—"), size=15
                    ),
                    ft.FilledButton(
                        tr("open_sheet", lang),
                        on_click=go(f"/person/{sheet.decision_id}/maaned/{sheet.period}"),
                    ),
                ],
                ft.Colors.RED_700,
            )
        )
    for flag in snapshot.open_flags():
        cards.append(
            _card(
                f"{tr('flag', lang)}: {flag_kind(flag.kind, lang)}",
                [ft.Text(flag.detail, size=15)],
                ft.Colors.AMBER_900,
            )
        )
    if not cards:
        cards.append(ft.Text(tr("no_messages", lang), size=16))
    return screen(tr("messages", lang), cards, back="/", lang=lang)


@ft.component
def SyncView() -> ft.View:
    ready = use_ready()
    app = use_app()
    controller = use_controller()
    if not ready:
        return placeholder()
    lang = app.lang
    status = app.sync
    chip = app.chip()
    busy, set_busy = ft.use_state(False)

    async def sync_now(*_: Any) -> None:
        set_busy(True)
        try:
            await controller.sync_now()
        finally:
            set_busy(False)

    when = (
        tr(
            "last_synced",
            lang,
            when=f"{fmt.day(status.last_synced_at.date(), lang)} "
            f"{fmt.clock_of(status.last_synced_at)}",
        )
        if status is not None and status.last_synced_at is not None
        else tr("never_synced", lang)
    )
    controls: list[ft.Control] = [
        ft.Text(chip.label, size=22, weight=ft.FontWeight.BOLD, color=TONE_COLORS[chip.tone]),
        ft.Text(sync_message(status, lang), size=16),
        ft.Text(when, size=15),
        ft.Text(tr("waiting_count", lang, n=app.snapshot.pending), size=15),
        ft.Text(tr("rejected_count", lang, n=app.snapshot.attention), size=15),
        ft.Text(tr("offline_calm", lang), size=15, italic=True),
        big_button(tr("sync_now", lang), sync_now, icon=ft.Icons.SYNC, disabled=busy),
    ]
    if status is not None and status.state is SyncState.login:
        controls.append(SignInAgain(lang))
    if app.snapshot.attention:
        controls.append(big_button(tr("messages", lang), go("/meldinger"), primary=False))
    return screen(tr("sync_details", lang), controls, back="/", lang=lang)


@ft.component
def SignInAgain(lang: str) -> ft.Control:
    """The password (and the code, when the server asks) for an expired sign-in.

    The account stays on the phone with every entry not yet sent; only its
    token is renewed (`Controller.relogin`).
    """
    controller = use_controller()
    form, _ = use_state_from(controller.relogin_form)

    async def submit(*_: Any) -> None:
        await controller.relogin(form)

    return ft.Column(
        password_and_code(form, submit, lang),
        spacing=16,
        horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
    )


@ft.component
def SettingsView() -> ft.View:
    ready = use_ready()
    app = use_app()
    controller = use_controller()
    if not ready:
        return placeholder()
    lang = app.lang
    page = ft.context.page
    account = app.account

    async def choose(e: ft.Event[ft.RadioGroup]) -> None:
        await controller.set_language(e.control.value or "nb")

    async def logout(*_: Any) -> None:
        async def confirm(*_: Any) -> None:
            page.pop_dialog()
            await controller.logout()
            await page.push_route("/")

        pending = app.snapshot.pending
        body = tr("logout_body", lang)
        if pending:
            body += " " + (
                tr("logout_pending_one", lang)
                if pending == 1
                else tr("logout_pending", lang, n=pending)
            )
        page.show_dialog(
            ft.AlertDialog(
                modal=True,
                title=ft.Text(tr("logout_confirm", lang)),
                content=ft.Text(body, size=16),
                actions=[
                    ft.TextButton(tr("cancel", lang), on_click=lambda: page.pop_dialog()),
                    ft.FilledButton(
                        tr("logout", lang), on_click=confirm, bgcolor=ft.Colors.RED_700
                    ),
                ],
            )
        )

    controls: list[ft.Control] = [
        ft.Text(tr("language", lang), size=18, weight=ft.FontWeight.W_600),
        ft.RadioGroup(
            value=lang,
            on_change=choose,
            content=ft.Column(
                [ft.Radio(value=code, label=name) for code, name in LANGUAGES.items()]
            ),
        ),
        ft.Divider(),
    ]
    if account is not None:
        controls.append(
            ft.Text(
                tr("signed_in_as", lang, user=account.username, server=account.server_url), size=15
            )
        )
    if account is not None and account.role == "admin":
        controls += [ft.Divider(), RequireSecondFactor()]
    controls.append(big_button(tr("logout", lang), logout, icon=ft.Icons.LOGOUT, danger=True))
    back = "/" if app.is_contact else "/kontor"
    return screen(tr("settings", lang), controls, back=back, lang=lang)
