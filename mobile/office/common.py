"""Pieces the office screens share: form fields, notices, the loading bar.

The hooks that open a desk (`use_desk`, `use_api`, `use_load`) are in `mobile.hooks`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, cast

import flet as ft

from mobile.office.api import OfficeApi
from mobile.office.state.common import PagedDesk, Paging
from mobile.views.common import TOUCH, Input, PasswordField, dropdown, go, screen

HOME = "/kontor"


def office_screen(title: str, controls: Sequence[ft.Control], *, back: str = HOME) -> ft.View:
    return screen(title, controls, back=back)


def typed_value(drawn: ft.TextField | None, fallback: str = "") -> str:
    """What the field holds now, as flet last had it from the browser.

    The browser's value is written into the control flet's session holds under
    the field's id as soon as it arrives (before any handler runs); that is the
    control looked up here, not necessarily the object a render made.
    """
    if drawn is None:
        return fallback
    live = ft.context.page.session.index.get(drawn._i)  # _i: the field's id in the session
    held = live if isinstance(live, ft.TextField) else drawn
    return held.value or ""


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
    """A labelled text field writing into `form[key]`, showing the field's error.

    The field is an `Input`: a form that must come back empty after saving is
    drawn anew under a new key.
    """

    def changed(e: ft.Event[ft.TextField]) -> None:
        form[key] = e.control.value or ""

    if password:
        return PasswordField(
            label, lambda: form.get(key, ""), changed, error=errors.get(key), width=width
        )
    return Input(
        label,
        form.get(key, ""),
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


def words(controls: list[ft.Control], spacing: int = 6) -> ft.Control:
    """A card's words as a node of their own for a screen reader.

    Without it Flutter merges a card's texts into the name of the first text
    field on the card: 'Uten Attest · ansattnr. UA1 … Politiattest datert' was
    read as the date field's name.
    """
    return ft.Semantics(container=True, content=ft.Column(controls, spacing=spacing))


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


@ft.component
def ListSearch(  # noqa: N802 - components are named like classes
    paging: Paging,
    label: str,
    shown: int,
    loaded: bool,
    on_search: Callable[[str], Awaitable[None]],
    on_turn: Callable[[bool], Awaitable[None]],
) -> ft.Control:
    """A list's search field and its pages: 'Viser 51–100 av 154', previous and next page.

    What is typed stays in the field (`Input`) until the search is sent (Enter
    or Søk): a re-render while typing, or a page's answer arriving, never
    sends an older text back. The field has no hint text: a hint becomes part
    of its accessible name.
    """
    # The field as drawn: Søk and Enter search what it holds when tapped (`typed_value`),
    # not what the last render or the change events so far have seen.
    box = ft.use_ref(cast(ft.TextField | None, None))

    async def search(*_: Any) -> None:
        await on_search(typed_value(box.current, paging.query))

    pages = pages_row(paging, shown, on_turn) if loaded else ft.Container(height=0)
    # The field has the whole width, the button goes below it: beside it, at 390 px and
    # 200 % text, the label broke inside a word ("Søk i støttek ontakter").
    return ft.Column(
        [
            Input(
                label,
                paging.query,
                box=box,
                prefix_icon=ft.Icons.SEARCH,
                on_submit=search,
            ),
            ft.FilledButton("Søk", icon=ft.Icons.SEARCH, on_click=search, height=TOUCH),
            pages,
        ],
        spacing=6,
        horizontal_alignment=ft.CrossAxisAlignment.START,
    )


# A list this long gets its pages again at its end: no scrolling back up to turn.
LONG_LIST = 10


def pages_row(paging: Paging, shown: int, on_turn: Callable[[bool], Awaitable[None]]) -> ft.Control:
    """'Viser 51–100 av 154', Forrige side, Neste side."""

    async def previous(*_: Any) -> None:
        await on_turn(False)

    async def following(*_: Any) -> None:
        await on_turn(True)

    return ft.Row(
        [
            ft.Text(paging.text(shown), size=15),
            ft.OutlinedButton(
                "Forrige side",
                icon=ft.Icons.CHEVRON_LEFT,
                on_click=previous,
                disabled=not paging.has_previous,
                height=TOUCH - 8,
            ),
            ft.OutlinedButton(
                "Neste side",
                icon=ft.Icons.CHEVRON_RIGHT,
                on_click=following,
                disabled=not paging.has_next,
                height=TOUCH - 8,
            ),
        ],
        wrap=True,
        spacing=8,
        run_spacing=4,
    )


def list_end(
    paging: Paging, shown: int, loaded: bool, on_turn: Callable[[bool], Awaitable[None]]
) -> ft.Control:
    """The pages again below a long list (`LONG_LIST` rows or more); nothing below a short one."""
    if not loaded or shown < LONG_LIST:
        return ft.Container(height=0)
    return pages_row(paging, shown, on_turn)


def paged(desk: PagedDesk, api: OfficeApi, label: str, shown: int) -> tuple[ft.Control, ft.Control]:
    """A desk's list, searched and paged: the search and pages above it, the pages below it."""

    async def search(text: str) -> None:
        await desk.search(api, text)

    async def turn(forward: bool) -> None:
        await desk.turn(api, forward)

    top = ListSearch(desk.paging, label, shown, desk.loaded, search, turn)
    return top, list_end(desk.paging, shown, desk.loaded, turn)
