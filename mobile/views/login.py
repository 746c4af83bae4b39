# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Sign in: server address, username, password, and the one-time code when asked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile.context import use_app, use_controller
from mobile.hooks import use_state_from
from mobile.i18n import tr
from mobile.state.common import typed
from mobile.state.login import LoginForm
from mobile.views.common import Input, PasswordField, big_button, error_text


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
                        Input(
                            tr("server", lang),
                            form.server_url,
                            keyboard_type=ft.KeyboardType.URL,
                            autocorrect=False,
                            on_change=typing_into(form, "server_url"),
                        ),
                        Input(
                            tr("username", lang),
                            form.username,
                            autocorrect=False,
                            enable_suggestions=False,
                            capitalization=ft.TextCapitalization.NONE,
                            on_change=typing_into(form, "username"),
                            autofill_hints=[ft.AutofillHint.USERNAME],
                        ),
                        *password_and_code(form, submit, lang, autofill=True),
                    ],
                    spacing=16,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                )
            )
        ],
    )


def typing_into(form: LoginForm, name: str) -> Callable[[ft.Event[ft.TextField]], None]:
    """A field's on_change that records what is typed into `form.<name>` (no re-render)."""

    def handler(e: ft.Event[ft.TextField]) -> None:
        typed(form, name, e.control.value or "")

    return handler


def password_and_code(
    form: LoginForm, submit: Callable[..., Any], lang: str, *, autofill: bool = False
) -> list[ft.Control]:
    """The password, the code once the server asks for it, why not, and the button:
    the sign-in screen's and the sync screen's sign-in-again's alike."""
    return [
        PasswordField(
            tr("password", lang),
            lambda: form.password,
            typing_into(form, "password"),
            on_submit=submit,
            autofill=autofill,
            lang=lang,
        ),
        *_second_factor_fields(form, submit, lang),
        error_text(form.error),
        big_button(
            tr("logging_in", lang) if form.busy else tr("login", lang),
            submit,
            icon=ft.Icons.LOGIN,
            disabled=form.busy,
        ),
    ]


def _second_factor_fields(
    form: LoginForm, submit: Callable[..., Any], lang: str
) -> list[ft.Control]:
    """The code field, once the server has asked for it: the app's digits on a
    number pad, or a recovery code (letters) on the full keyboard."""
    if not form.otp_needed:
        return []

    def switch(*_: object) -> None:
        form.recovery = not form.recovery
        form.otp = ""

    return [
        Input(
            tr("recovery_code" if form.recovery else "otp", lang),
            form.otp,
            # Drawn anew, empty, when switching code kind and when the server asked
            # again (a wrong or used code): an Input keeps what was typed otherwise.
            key=f"otp-{form.recovery}-{form.code_asked}",
            keyboard_type=ft.KeyboardType.TEXT if form.recovery else ft.KeyboardType.NUMBER,
            autocorrect=False,
            enable_suggestions=False,
            capitalization=ft.TextCapitalization.NONE,
            autofill_hints=None if form.recovery else [ft.AutofillHint.ONE_TIME_CODE],
            autofocus=True,
            on_change=typing_into(form, "otp"),
            on_submit=submit,
        ),
        ft.TextButton(
            tr("use_otp" if form.recovery else "use_recovery", lang),
            on_click=switch,
            height=44,
        ),
    ]


@ft.component
def StartingView() -> ft.View:
    app = use_app()
    return ft.View(
        route="/",
        vertical_alignment=ft.MainAxisAlignment.CENTER,
        horizontal_alignment=ft.CrossAxisAlignment.CENTER,
        controls=[ft.ProgressRing(), ft.Text(tr("starting", app.lang))],
    )
