# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Sign in: server address, username, password."""

from __future__ import annotations

import flet as ft

from mobile.context import use_app, use_controller
from mobile.hooks import use_state_from
from mobile.i18n import tr
from mobile.state.common import typed
from mobile.views.common import PasswordField, big_button, error_text


@ft.component
def LoginView() -> ft.View:
    controller = use_controller()
    app = use_app()
    lang = app.lang
    form, _ = use_state_from(controller.login_form)

    async def submit(*_: object) -> None:
        if form.busy:
            return
        signed_in = await controller.login(form)
        if signed_in and app.account is not None and app.account.role != "contact":
            await ft.context.page.push_route("/kontor")

    def put(name: str):  # type: ignore[no-untyped-def]
        def handler(e: ft.Event[ft.TextField]) -> None:
            typed(form, name, e.control.value or "")

        return handler

    return ft.View(
        route="/",
        padding=ft.Padding.symmetric(horizontal=20, vertical=24),
        scroll=ft.ScrollMode.AUTO,
        controls=[
            ft.SafeArea(
                content=ft.Column(
                    [
                        ft.Icon(ft.Icons.SCHEDULE, size=48, color=ft.Colors.PRIMARY),
                        ft.Text(tr("app_title", lang), size=30, weight=ft.FontWeight.BOLD),
                        ft.Text(tr("login_intro", lang), size=16),
                        ft.TextField(
                            label=tr("server", lang),
                            value=form.server_url,
                            keyboard_type=ft.KeyboardType.URL,
                            autocorrect=False,
                            on_change=put("server_url"),
                        ),
                        ft.TextField(
                            label=tr("username", lang),
                            value=form.username,
                            autocorrect=False,
                            enable_suggestions=False,
                            capitalization=ft.TextCapitalization.NONE,
                            on_change=put("username"),
                            autofill_hints=[ft.AutofillHint.USERNAME],
                        ),
                        PasswordField(
                            tr("password", lang),
                            lambda: form.password,
                            put("password"),
                            on_submit=submit,
                            autofill=True,
                            lang=lang,
                        ),
                        error_text(form.error),
                        big_button(
                            tr("logging_in", lang) if form.busy else tr("login", lang),
                            submit,
                            icon=ft.Icons.LOGIN,
                            disabled=form.busy,
                        ),
                    ],
                    spacing=16,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                )
            )
        ],
    )


@ft.component
def StartingView() -> ft.View:
    app = use_app()
    return ft.View(
        route="/",
        vertical_alignment=ft.MainAxisAlignment.CENTER,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[ft.ProgressRing(), ft.Text(tr("starting", app.lang))],
    )
