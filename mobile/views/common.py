# ruff: noqa: N802  # Flet components are named like classes (they render as controls)
"""Pieces every screen uses: the screen frame, the sync chip, big buttons, colours."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import flet as ft

if TYPE_CHECKING:
    # Imported where a signature is drawn: flet.canvas is not needed by the first
    # screen, and in the browser every import before it is time the contact waits.
    import flet.canvas as cv

from mobile.context import use_app, use_controller
from mobile.i18n import tr

TOUCH = 52  # px: comfortably above the 48 px minimum touch target
TONE_COLORS = {
    "ok": ft.Colors.GREEN_700,
    "busy": ft.Colors.BLUE_700,
    "warn": ft.Colors.AMBER_900,
    "error": ft.Colors.RED_700,
}
METER_COLORS = {"ok": ft.Colors.GREEN_600, "near": ft.Colors.AMBER_700, "over": ft.Colors.RED_600}
TONE_ICONS = {
    "ok": ft.Icons.CLOUD_DONE,
    "busy": ft.Icons.CLOUD_UPLOAD,
    "warn": ft.Icons.CLOUD_OFF,
    "error": ft.Icons.ERROR_OUTLINE,
}


def go(route: str) -> Callable[..., Any]:
    """An on_click handler that navigates."""

    async def handler(*_: Any) -> None:
        await ft.context.page.push_route(route)

    return handler


def icon_button(
    icon: ft.IconData, label: str, on_click: Callable[..., Any] | None, **kw: Any
) -> ft.IconButton:
    """An icon-only button with an accessible name.

    Flutter puts a tooltip on a wrapper node, so the button itself is nameless
    to a screen reader; the icon's semantics label names the button node. The
    tooltip stays for mouse users.
    """
    return ft.IconButton(
        ft.Icon(icon, semantics_label=label), tooltip=label, on_click=on_click, **kw
    )


@ft.component
def Input(
    label: str,
    value: str,
    *,
    box: Any = None,
    on_change: Callable[[ft.Event[ft.TextField]], Any] | None = None,
    **options: Any,
) -> ft.Control:
    """A text field that never sends the browser an older value than it holds.

    Flet writes the browser's value into the field at once but runs the change
    handler later; a screen drawn in between (a sync ending, a list loading)
    drew the field with the value the app had so far, and flet sent that back,
    wiping what was typed since ('11:3012:00' after typing '12:00'). Drawn
    again, this field keeps what it holds. It takes `value` only when the app
    itself changed it: a value that differs both from the one passed at the
    last drawing and from the last one typed (a date button, the timer, a form
    emptied after saving, a row now showing another trip). `box` (a ref) gets
    the drawn field, to read what it holds (`mobile.office.common.typed_value`).
    """
    own = ft.use_ref(cast("ft.TextField | None", None))
    drawn = box if box is not None else own
    given = ft.use_ref(value)  # what the app passed when the field was last drawn
    typed = ft.use_ref(value)  # what the browser last said the field holds
    if drawn.current is None or (value != given.current and value != typed.current):
        shown = typed.current = value
    else:
        # The field as last drawn is the one flet diffs against and writes the
        # browser's value into: drawn with its value, nothing is sent.
        shown = drawn.current.value or ""
    given.current = value

    async def changed(e: ft.Event[ft.TextField]) -> None:
        typed.current = e.control.value or ""
        if on_change is not None:
            result = on_change(e)
            if inspect.isawaitable(result):
                await result

    control = ft.TextField(label=label, value=shown, on_change=changed, **options)
    drawn.current = control
    return control


@ft.component
def PasswordField(
    label: str,
    read: Callable[[], str],
    on_change: Callable[..., Any],
    *,
    on_submit: Callable[..., Any] | None = None,
    error: str | None = None,
    autofill: bool = False,
    lang: str = "nb",
    width: int | None = None,
) -> ft.Control:
    """A password field whose show/hide button has a name a screen reader can say.

    Flutter's own reveal button (can_reveal_password) is nameless. `read` gives
    the value the app holds; the field is an `Input`, so showing or hiding the
    password draws it again without sending an older value.
    """
    shown, set_shown = ft.use_state(False)
    return Input(
        label,
        read(),
        password=not shown,
        on_change=on_change,
        on_submit=on_submit,
        error=error or None,
        autofill_hints=[ft.AutofillHint.PASSWORD] if autofill else None,
        width=width,
        suffix_icon=icon_button(
            ft.Icons.VISIBILITY_OFF if shown else ft.Icons.VISIBILITY,
            tr("hide_password" if shown else "show_password", lang),
            lambda: set_shown(not shown),
        ),
    )


def dropdown(
    label: str,
    value: str | None,
    options: Sequence[tuple[str, str]],
    **kw: Any,
) -> ft.Control:
    """A drop-down whose button is named by its label and what is chosen.

    Flutter exposes the whole drop-down as one button with no name (the label
    drawn in its border is not part of it); merging a label into that node
    names it: "Status: Signert, venter".
    """
    chosen = next((text for key, text in options if key == value), None)
    name = f"{label}: {chosen}" if chosen else label
    return ft.MergeSemantics(
        content=ft.Semantics(
            label=name,
            content=ft.Dropdown(
                label=label,
                value=value,
                options=[ft.DropdownOption(key=key, text=text) for key, text in options],
                **kw,
            ),
        )
    )


def screen(
    title: str,
    controls: Sequence[ft.Control],
    *,
    actions: Sequence[ft.Control] | None = None,
    fab: ft.FloatingActionButton | None = None,
    back: str | None = None,
    lang: str = "nb",
    on_back: Callable[..., Any] | None = None,
) -> ft.View:
    """A phone screen: an app bar with the title, then a scrolling column.

    The back arrow goes to `back`, or calls `on_back` (a screen that asks first).
    """
    handler = on_back if on_back is not None else (go(back) if back is not None else None)
    leading = (
        icon_button(ft.Icons.ARROW_BACK, tr("back", lang), handler) if handler is not None else None
    )
    return ft.View(
        route=ft.use_view_path() or "/",
        appbar=ft.AppBar(
            title=ft.Text(title, semantics_label=title),
            leading=leading,
            automatically_imply_leading=False,
            actions=list(actions or []),
        ),
        controls=[
            ft.SafeArea(
                content=ft.Column(
                    list(controls),
                    spacing=14,
                    horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                ),
                expand=False,
            )
        ],
        scroll=ft.ScrollMode.AUTO,
        floating_action_button=fab,
        padding=ft.Padding.symmetric(horizontal=16, vertical=12),
    )


def big_button(
    text: str,
    on_click: Callable[..., Any] | None,
    *,
    icon: ft.IconData | None = None,
    primary: bool = True,
    disabled: bool = False,
    danger: bool = False,
) -> ft.Control:
    style = ft.ButtonStyle(
        padding=ft.Padding.symmetric(horizontal=20, vertical=14),
        text_style=ft.TextStyle(size=17, weight=ft.FontWeight.W_600),
    )
    if primary:
        return ft.FilledButton(
            text,
            icon=icon,
            on_click=on_click,
            disabled=disabled,
            height=TOUCH,
            style=style,
            bgcolor=ft.Colors.RED_700 if danger else None,
        )
    return ft.OutlinedButton(
        text, icon=icon, on_click=on_click, disabled=disabled, height=TOUCH, style=style
    )


def chip(
    label: str,
    selected: bool,
    on_select: Callable[..., Any],
    *,
    disabled: bool = False,
    icon: ft.IconData | None = None,
    size: int = 16,
) -> ft.Chip:
    """A selectable chip tall enough for a thumb (Flutter exposes it as a checkbox)."""
    return ft.Chip(
        label=ft.Text(label, size=size),
        selected=selected,
        on_select=on_select,
        disabled=disabled,
        leading=ft.Icon(icon) if icon is not None else None,
        show_checkmark=icon is None,
        padding=ft.Padding.symmetric(horizontal=6, vertical=9),
    )


def wide_choice(
    label: str,
    selected: bool,
    on_select: Callable[..., Any],
    *,
    icon: ft.IconData,
    disabled: bool = False,
) -> ft.Control:
    """A chip-like choice as wide as the screen, whose label wraps onto more lines.

    A Flutter chip keeps its label to one line and cuts the rest off, so a long
    label (a group's participants) gets this instead; to a screen reader it is
    the same selectable checkbox as a chip.
    """
    return ft.Semantics(
        container=True,
        checked=selected,
        content=ft.Container(
            ft.Row(
                [
                    ft.Icon(ft.Icons.CHECK if selected else icon, size=20),
                    ft.Text(label, size=16, expand=True),
                ],
                spacing=8,
            ),
            padding=ft.Padding.symmetric(horizontal=12, vertical=12),
            border=ft.Border.all(1, ft.Colors.OUTLINE),
            border_radius=8,
            bgcolor=ft.Colors.SECONDARY_CONTAINER if selected else None,
            on_click=None if disabled else on_select,
            opacity=0.5 if disabled else 1.0,
        ),
    )


def error_text(message: str | None) -> ft.Control:
    if not message:
        return ft.Container(height=0)
    return ft.Text(message, color=ft.Colors.RED_700, size=15)


@ft.component
def SyncChip() -> ft.Control:
    """'Synkronisert', '1 venter', 'Frakoblet', 'Må ses på': tap for details."""
    app = use_app()
    chip = app.chip()
    color = TONE_COLORS[chip.tone]
    return ft.Container(
        content=ft.TextButton(
            chip.label,
            icon=TONE_ICONS[chip.tone],
            icon_color=color,
            style=ft.ButtonStyle(color=color),
            on_click=go("/sync"),
            height=44,
        ),
        padding=ft.Padding.only(right=4),
    )


def use_ready() -> bool:
    """True when someone is signed in; otherwise sends the user to the start screen."""
    app = use_app()
    ready = app.phase == "ready"

    def check() -> None:
        if not ready:
            ft.context.page.navigate("/")

    ft.use_effect(check, [ready])
    return ready


def placeholder() -> ft.View:
    return ft.View(route=ft.use_view_path() or "/", controls=[ft.ProgressRing()])


__all__ = [
    "METER_COLORS",
    "TONE_COLORS",
    "TOUCH",
    "SyncChip",
    "big_button",
    "chip",
    "error_text",
    "go",
    "placeholder",
    "screen",
    "use_controller",
    "use_ready",
    "wide_choice",
]


def ink(width: float) -> ft.Paint:
    """The pen a signature is drawn (and shown again) with."""
    return ft.Paint(
        color=ft.Colors.BLUE_900,
        stroke_width=width,
        style=ft.PaintingStyle.STROKE,
        stroke_cap=ft.StrokeCap.ROUND,
        stroke_join=ft.StrokeJoin.ROUND,
    )


def stroke_shapes(strokes: list[list[tuple[float, float]]], paint: ft.Paint) -> list[cv.Shape]:
    """Canvas shapes for signature strokes: a dot for a tap, a path for a drag.

    One drawing routine for the signing pad and the office's view of the
    signature, so the coordinator sees the strokes as the signer drew them.
    """
    import flet.canvas as cv

    shapes: list[cv.Shape] = []
    for stroke in strokes:
        if not stroke:
            continue
        if len(stroke) == 1:
            shapes.append(cv.Circle(stroke[0][0], stroke[0][1], 1.5, paint=paint))
            continue
        elements: list[Any] = [cv.Path.MoveTo(*stroke[0])]
        elements += [cv.Path.LineTo(x, y) for x, y in stroke[1:]]
        shapes.append(cv.Path(elements, paint=paint))
    return shapes
