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
    paged,
    words,
)
from mobile.office.state.flags import FLAG_KIND_TEXT, FlagQueue
from mobile.views.common import TOUCH, Input, placeholder
from models.flag_cards import FlagCardPublic
from models.schemas import FlagStatus
from models.text import count_text, period_text

GROUPINGS = (("kind", "Type"), ("decision", "Vedtak"), ("contact", "Støttekontakt"))
NOTHING_OPEN = "Ingen åpne avvik. Alt ser bra ut."


@ft.component
def FlagCard(queue: FlagQueue, card: FlagCardPublic, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    """One matter: a flag, or a group's overuse in one period with each participant's vedtak."""
    note = ft.use_ref("")  # as typed; read when Marker som løst is tapped
    open_form, set_open_form = ft.use_state(False)
    kind = FLAG_KIND_TEXT.get(card.kind, card.kind)
    title = queue.title(card)
    labels = card.labels
    group = len(card.flags) > 1

    async def resolve(*_: Any) -> None:
        if await queue.resolve(api, card.flags[0].id, note.current or ""):
            note.current = ""
            set_open_form(False)

    def typed(e: ft.Event[ft.TextField]) -> None:
        note.current = e.control.value or ""

    lines: list[ft.Control] = [ft.Text(title, weight=ft.FontWeight.BOLD, size=16)]
    # Participants and their sheets by name, so a card reads the same every time.
    for flag in sorted(card.flags, key=lambda f: labels.get(f.decision_id or "", "")):
        who = labels.get(flag.decision_id or "", "")
        if group:
            # One line per participant: whose vedtak, and how far over it is.
            lines.append(ft.Text(f"{who}: {queue.explain(flag)}", size=15))
        else:
            lines.append(ft.Text(queue.explain(flag), size=15))
            if who:
                lines.append(ft.Text(f"Vedtak: {who}", size=13))
    contacts = [labels[c] for c in card.contact_ids if c in labels]
    if contacts:
        word = "Støttekontakt" if len(contacts) == 1 else "Støttekontakter"
        lines.append(ft.Text(f"{word}: {', '.join(contacts)}", size=13))
    if card.entry_ids:
        entries = count_text(len(card.entry_ids), "timeføring", "timeføringer")
        lines.append(ft.Text(f"Gjelder {entries}.", size=13))
    by_name = sorted(
        card.sheets,
        key=lambda s: (s.period, labels.get(s.decision_id, ""), labels.get(s.contact_id, "")),
    )
    for sheet in by_name:
        person = labels.get(sheet.decision_id, "ukjent vedtak")
        # With more than one contact the sheets of one person differ by contact: say whose.
        contact = f", {labels.get(sheet.contact_id, '')}" if len(contacts) > 1 else ""
        lines.append(
            link(
                f"Se timelisten {period_text(sheet.period)} ({person}{contact})",
                f"/kontor/godkjenning/{sheet.id}",
            )
        )
    lines = [words(lines)]  # not read as the name of the note field below them
    if card.status is FlagStatus.resolved:
        notes = dict.fromkeys(f.resolution_note or "" for f in card.flags)
        lines.append(ft.Text(f"Løst: {' '.join(notes).strip()}", italic=True))
    elif open_form:
        lines += [
            Input(
                f"Notat om løsningen ({title})",
                "",
                multiline=True,
                min_lines=2,
                on_change=typed,
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
                f"Løs avvik: {title}" if group else f"Løs avvik: {kind}",
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
        queue.paging.search(queue.paging.query)
        await queue.load(api)

    search, pages_below = paged(queue, api, "Søk i avvik", len(queue.cards))
    controls: list[ft.Control] = [
        heading("Avvik og meldinger"),
        search,
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
        text = "Ingen avvik passer til søket." if queue.paging.query else NOTHING_OPEN
        controls.append(empty(queue, text))
    for title, cards in groups:
        controls.append(ft.Text(f"{title} ({len(cards)})", size=18, weight=ft.FontWeight.W_600))
        controls += [keyed(card.key, FlagCard, queue, card, api) for card in cards]
    controls.append(pages_below)
    return office_screen("Avvik", controls)
