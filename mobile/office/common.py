"""Pieces the office screens share: the API hook, form fields, notices."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import flet as ft

from mobile.context import OfficeSession, use_office_session
from mobile.hooks import use_state_from
from mobile.office.api import OfficeApi
from mobile.views.common import TOUCH, PasswordField, dropdown, go, screen

HOME = "/kontor"


@dataclass
class _ApiHolder:
    """The screen's client and the sign-in it was made for (a new sign-in, a new client)."""

    api: OfficeApi | None = None
    key: tuple[str, str] | None = None


def use_api() -> tuple[OfficeSession | None, OfficeApi | None]:
    """The signed-in office user and a client for the server, kept for the screen's life."""
    session = use_office_session()
    holder, _ = use_state_from(_ApiHolder)
    key = (session.server_url, session.token) if session else None
    if holder.key != key:
        holder.key = key
        holder.api = OfficeApi(session.server_url, session.token) if session else None
    api = holder.api

    async def close() -> None:
        if holder.api is not None:
            await holder.api.close()

    ft.on_unmounted(close)
    return session, api


def use_load(
    api: OfficeApi | None,
    load: Callable[[OfficeApi], Awaitable[None]],
    *extra: Any,
) -> None:
    """Load the screen's data as soon as there is a signed-in client, and again if it changes.

    Opened as the first page (a bookmark), a screen renders before the app has
    restored the sign-in: an effect run only on mount would find no client and
    never load, and the screen would show its empty state as if it were true.
    """

    async def run() -> None:
        if api is not None:
            await load(api)

    ft.use_effect(run, [api, *extra])


def office_screen(title: str, controls: Sequence[ft.Control], *, back: str = HOME) -> ft.View:
    return screen(title, controls, back=back)


def field(
    form: MutableMapping[str, str],
    key: str,
    label: str,
    errors: dict[str, str],
    *,
    hint: str | None = None,
    password: bool = False,
    multiline: bool = False,
    width: int | None = None,
) -> ft.Control:
    """A labelled text field writing into `form[key]`, showing the field's error."""

    def changed(e: ft.Event[ft.TextField]) -> None:
        form[key] = e.control.value or ""

    if password:
        return PasswordField(
            label, lambda: form.get(key, ""), changed, error=errors.get(key), width=width
        )
    return ft.TextField(
        label=label,
        value=form.get(key, ""),
        hint_text=hint,
        multiline=multiline,
        min_lines=2 if multiline else None,
        error=errors.get(key) or None,
        on_change=changed,
        width=width,
    )


def choice(
    form: MutableMapping[str, str],
    key: str,
    label: str,
    options: Sequence[tuple[str, str]],
    *,
    on_change: Callable[[str], Any] | None = None,
    errors: dict[str, str] | None = None,
) -> ft.Control:
    """A labelled drop-down writing the chosen key into `form[key]`."""

    def selected(e: ft.Event[ft.Dropdown]) -> None:
        form[key] = e.control.value or ""
        if on_change is not None:
            on_change(form[key])

    return dropdown(
        label,
        form.get(key) or None,
        options,
        on_select=selected,
        error_text=(errors or {}).get(key) or None,
        width=360,
    )


def message(text: str | None, *, error: bool = False) -> ft.Control:
    if not text:
        return ft.Container(height=0)
    color = ft.Colors.RED_700 if error else ft.Colors.GREEN_800
    icon = ft.Icons.ERROR_OUTLINE if error else ft.Icons.CHECK_CIRCLE_OUTLINE
    return ft.Row(
        [ft.Icon(icon, color=color), ft.Text(text, color=color, size=15, expand=True)],
        spacing=8,
    )


def heading(text: str) -> ft.Text:
    return ft.Text(text, size=20, weight=ft.FontWeight.BOLD)


def link(text: str, route: str) -> ft.Control:
    return ft.TextButton(text, on_click=go(route), height=TOUCH - 8)


def busy(loading: bool, loaded: bool = True) -> ft.Control:
    """A progress bar while loading; before the first load has ended, also words saying so."""
    if not loaded:
        return ft.Row(
            [ft.ProgressRing(width=20, height=20), ft.Text("Henter data fra serveren …", size=15)],
            spacing=10,
        )
    return ft.ProgressBar() if loading else ft.Container(height=4)


def empty(desk: Any, text: str) -> ft.Control:
    """The empty state, shown only when a load has ended without an error: never a guess."""
    if desk.loaded and not desk.loading and not desk.error:
        return ft.Text(text, size=16)
    return ft.Container(height=0)
