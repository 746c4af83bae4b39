"""Avvik: the coordinator's queue of open flags and signers' messages."""

from __future__ import annotations

from typing import Any

import flet as ft

from mobile.hooks import keyed, memo, use_desk
from mobile.office.common import (
    busy,
    empty,
    heading,
    link,
    message,
    office_screen,
)
from mobile.office.state.flags import FLAG_KIND_TEXT, FlagQueue
from mobile.views.common import TOUCH, placeholder
from models.schemas import FlagPublic, FlagStatus
from models.text import count_text

GROUPINGS = (("kind", "Type"), ("decision", "Vedtak"), ("contact", "Støttekontakt"))


@ft.component
def FlagCard(queue: FlagQueue, flag: FlagPublic, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    note, set_note = ft.use_state("")
    open_form, set_open_form = ft.use_state(False)
    kind = FLAG_KIND_TEXT.get(flag.kind, flag.kind)
    sheets = queue.sheets_of(flag)

    async def resolve(*_: Any) -> None:
        if await queue.resolve(api, flag.id, note):
            set_note("")
            set_open_form(False)

    lines: list[ft.Control] = [
        ft.Text(kind, weight=ft.FontWeight.BOLD, size=16),
        ft.Text(queue.explain(flag), size=15),
        ft.Text(
            f"Vedtak: {queue.names.decision(flag.decision_id)}" if flag.decision_id else "",
            size=13,
        ),
    ]
    contact = queue.contact_of(flag)
    if contact:
        lines.append(ft.Text(f"Støttekontakt: {queue.names.contact(contact)}", size=13))
    if flag.entry_ids:
        entries = count_text(len(flag.entry_ids), "timeføring", "timeføringer")
        lines.append(ft.Text(f"Gjelder {entries}.", size=13))
    lines += [
        link(
            f"Se timelisten {sheet.period} ({queue.names.person(sheet.decision_id)})",
            f"/kontor/godkjenning/{sheet.id}",
        )
        for sheet in sheets
    ]
    if flag.status is FlagStatus.resolved:
        lines.append(ft.Text(f"Løst: {flag.resolution_note or ''}", italic=True))
    elif open_form:
        lines += [
            ft.TextField(
                label=f"Notat om løsningen ({kind})",
                value=note,
                multiline=True,
                min_lines=2,
                on_change=lambda e: set_note(e.control.value or ""),
            ),
            ft.Row(
                [
                    ft.FilledButton(
                        "Marker som løst", icon=ft.Icons.CHECK, on_click=resolve, height=TOUCH
                    ),
                    ft.TextButton("Avbryt", on_click=lambda: set_open_form(False)),
                ]
            ),
        ]
    else:
        lines.append(
            ft.OutlinedButton(
                f"Løs avvik: {kind}",
                icon=ft.Icons.TASK_ALT,
                on_click=lambda: set_open_form(True),
                height=TOUCH,
            )
        )
    return ft.Card(content=ft.Container(ft.Column(lines, spacing=6), padding=14))


# Re-rendered only when the queue changes, so a note being typed is not reset.
FlagCard = memo(FlagCard)


@ft.component
def FlagQueueView() -> ft.View:  # noqa: N802 - components are named like classes
    queue, api, _ = use_desk(FlagQueue)
    if api is None:
        return placeholder()

    def regroup(e: ft.Event[ft.SegmentedButton]) -> None:
        selected = list(e.control.selected or ["kind"])
        queue.group_by = selected[0]

    async def toggle_resolved(e: ft.Event[ft.Checkbox]) -> None:
        queue.show_resolved = bool(e.control.value)
        await queue.load(api)

    controls: list[ft.Control] = [
        heading("Avvik og meldinger"),
        ft.Text("Sorter etter:"),
        ft.SegmentedButton(
            segments=[ft.Segment(value=key, label=ft.Text(text)) for key, text in GROUPINGS],
            selected=[queue.group_by],
            on_change=regroup,
        ),
        ft.Checkbox(label="Vis også løste", value=queue.show_resolved, on_change=toggle_resolved),
        busy(queue.loading, queue.loaded or bool(queue.error)),
        message(queue.error, error=True),
        message(queue.notice),
    ]
    groups = queue.groups()
    if not groups:
        controls.append(empty(queue, "Ingen åpne avvik. Alt ser bra ut."))
    for title, flags in groups:
        controls.append(ft.Text(f"{title} ({len(flags)})", size=18, weight=ft.FontWeight.W_600))
        controls += [keyed(flag.id, FlagCard, queue, flag, api) for flag in flags]
    return office_screen("Avvik", controls)
