"""Registrering: contacts, recipients and decisions, with search and forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile import fmt
from mobile.context import OfficeSession
from mobile.hooks import keyed, memo, use_desk, use_state_from
from mobile.office.api import OfficeApi
from mobile.office.common import (
    ListSearch,
    busy,
    choice,
    empty,
    field,
    heading,
    list_end,
    message,
    office_screen,
    words,
)
from mobile.office.state.common import PER_TEXT, hours_text, money_text
from mobile.office.state.registry import CONTRACT_TEXT, KIND_TEXT, Registry
from mobile.views.common import TOUCH, Input, placeholder
from models.contract import DecisionPublic
from models.schemas import ContactPublic
from models.text import count_text

SECTIONS = (
    ("contacts", "Støttekontakter"),
    ("recipients", "Tjenestemottakere"),
    ("decisions", "Vedtak"),
)


@ft.component
def ContactForm(registry: Registry, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    form, _ = use_state_from(lambda: {"contract_type": "contractor"})
    errors = registry.field_errors

    async def save(*_: Any) -> None:
        await registry.add_contact(api, form)

    return ft.Column(
        [
            ft.Text("Ny støttekontakt", size=16, weight=ft.FontWeight.W_600),
            field(form, "name", "Navn", errors),
            field(form, "employee_no", "Ansattnummer", errors),
            choice(
                form, "contract_type", "Kontraktstype", list(CONTRACT_TEXT.items()), errors=errors
            ),
            field(
                form,
                "politiattest_date",
                "Politiattest datert (dd.mm.åååå)",
                errors,
                hint="Tomt hvis den ikke er levert",
            ),
            field(form, "hourly_rate", "Timesats i kr (tomt: standardsats)", errors),
            field(form, "username", "Brukernavn", errors),
            field(form, "password", "Passord", errors, password=True),
            ft.FilledButton(
                "Registrer støttekontakt", icon=ft.Icons.PERSON_ADD, on_click=save, height=TOUCH
            ),
        ],
        spacing=8,
    )


@ft.component
def ContactRow(registry: Registry, contact: ContactPublic, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    editing, set_editing = ft.use_state(False)
    day = ft.use_ref("")  # as typed; read when Lagre dato is tapped
    missing = contact.politiattest_date is None
    rate = money_text(contact.hourly_rate) if contact.hourly_rate else "standardsats"
    parts: list[ft.Control] = [
        ft.Text(f"{contact.name} · ansattnr. {contact.employee_no}", weight=ft.FontWeight.W_600),
        ft.Text(f"{CONTRACT_TEXT.get(contact.contract_type, '')} · {rate}", size=13),
    ]
    if missing:
        parts.append(
            ft.Container(
                ft.Row(
                    [
                        ft.Icon(ft.Icons.WARNING_AMBER, color=ft.Colors.RED_700),
                        ft.Text(
                            "Mangler politiattest",
                            color=ft.Colors.RED_700,
                            weight=ft.FontWeight.BOLD,
                        ),
                    ],
                    spacing=6,
                ),
                bgcolor=ft.Colors.RED_50,
                padding=6,
                border_radius=6,
            )
        )
    elif contact.politiattest_date is not None:
        parts.append(ft.Text(f"Politiattest datert {fmt.day(contact.politiattest_date)}", size=13))

    async def save(*_: Any) -> None:
        if await registry.set_politiattest(api, contact.id, day.current or ""):
            set_editing(False)

    def typed(e: ft.Event[ft.TextField]) -> None:
        day.current = e.control.value or ""

    if editing:
        parts = [
            words(parts, spacing=4),  # not read as the name of the date field
            Input(
                f"Politiattest datert (dd.mm.åååå) for {contact.name}",
                "",
                error=registry.field_errors.get("politiattest_date") or None,
                on_change=typed,
            ),
            ft.Row(
                [
                    ft.FilledButton("Lagre dato", on_click=save),
                    ft.TextButton("Avbryt", on_click=lambda: set_editing(False)),
                ]
            ),
        ]
    elif missing:
        parts.append(
            ft.TextButton(
                f"Registrer politiattest for {contact.name}", on_click=lambda: set_editing(True)
            )
        )
    return ft.Card(content=ft.Container(ft.Column(parts, spacing=4), padding=12))


@ft.component
def RecipientForm(registry: Registry, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    form, _ = use_state_from(dict[str, str])
    errors = registry.field_errors

    async def save(*_: Any) -> None:
        await registry.add_recipient(api, form)

    return ft.Column(
        [
            ft.Text("Ny tjenestemottaker", size=16, weight=ft.FontWeight.W_600),
            field(form, "name", "Fullt navn", errors),
            field(form, "case_no", "Saksnummer", errors),
            field(form, "birth_date", "Fødselsdato (dd.mm.åååå, valgfri)", errors),
            field(form, "guardian_name", "Foresatt/verge: navn (valgfri)", errors),
            field(
                form,
                "guardian_relation",
                "Foresatt/verge: relasjon",
                errors,
                hint="mor, far, verge …",
            ),
            ft.FilledButton(
                "Registrer tjenestemottaker",
                icon=ft.Icons.PERSON_ADD_ALT,
                on_click=save,
                height=TOUCH,
            ),
        ],
        spacing=8,
    )


@ft.component
def DecisionForm(registry: Registry, api: Any) -> ft.Control:  # noqa: N802 - components are named like classes
    form, _ = use_state_from(lambda: {"kind": "individual", "per": "month"})
    chosen, set_chosen = use_state_from(frozenset[str])
    kind, set_kind = ft.use_state("individual")
    errors = registry.field_errors

    async def save(*_: Any) -> None:
        await registry.add_decision(api, form, sorted(chosen))

    def toggle(contact_id: str) -> Any:
        def changed(e: ft.Event[ft.Checkbox]) -> None:
            set_chosen(chosen | {contact_id} if e.control.value else chosen - {contact_id})

        return changed

    recipients = [(r.id, f"{r.name} ({r.case_no})") for r in registry.all_recipients]
    controls: list[ft.Control] = [
        ft.Text("Nytt vedtak", size=16, weight=ft.FontWeight.W_600),
        choice(form, "recipient_id", "Tjenestemottaker", recipients, errors=errors),
        choice(
            form, "kind", "Type vedtak", list(KIND_TEXT.items()), on_change=set_kind, errors=errors
        ),
        field(form, "hours", "Timer", errors),
        choice(form, "per", "Per", list(PER_TEXT.items()), errors=errors),
        field(form, "valid_from", "Gyldig fra (dd.mm.åååå)", errors),
        field(form, "valid_to", "Gyldig til (dd.mm.åååå)", errors),
        field(form, "km_per_month", "Km per måned (valgfri grense)", errors),
    ]
    if kind == "group":
        controls.append(
            field(form, "group_id", "Gruppe-id", errors, hint="Samme for alle i gruppen")
        )
    controls.append(ft.Text("Tildelte støttekontakter"))
    controls += [
        ft.Checkbox(
            label=f"{c.name} ({c.employee_no})",
            value=c.id in chosen,
            on_change=toggle(c.id),
        )
        for c in registry.all_contacts
    ]
    if errors.get("contact_ids"):
        controls.append(ft.Text(errors["contact_ids"], color=ft.Colors.RED_700))
    if errors.get("form"):
        controls.append(ft.Text(errors["form"], color=ft.Colors.RED_700))
    controls.append(
        ft.FilledButton(
            "Registrer vedtak", icon=ft.Icons.ASSIGNMENT_ADD, on_click=save, height=TOUCH
        )
    )
    return ft.Column(controls, spacing=8)


def decision_text(registry: Registry, decision: DecisionPublic) -> str:
    who = (
        ", ".join(c.name for c in registry.all_contacts if c.id in decision.contact_ids)
        or "ingen støttekontakt"
    )
    group = f", gruppe {decision.group_id}" if decision.group_id else ""
    return (
        f"{KIND_TEXT.get(decision.kind, '')}{group}: {hours_text(decision.hours)} "
        f"{PER_TEXT.get(decision.per, '')}, "
        f"{fmt.day(decision.valid_from)}–{fmt.day(decision.valid_to)} · {who}"
    )


def tabs(
    sections: tuple[tuple[str, str], ...], chosen: str, choose: Callable[[str], None]
) -> ft.Control:
    """The sections as buttons that wrap to a new line, whole, when the screen is narrow
    (a phone, or 200 % text); a segmented button squeezed them ("Støttekontakte r") or,
    scrolled sideways, hid "Vedtak". The chosen one is filled, ticked and selected."""
    buttons: list[ft.Control] = []
    for key, text in sections:
        if key == chosen:
            button: ft.Control = ft.FilledButton(text, icon=ft.Icons.CHECK, height=TOUCH - 8)
        else:
            button = ft.OutlinedButton(
                text, on_click=lambda _, key=key: choose(key), height=TOUCH - 8
            )
        buttons.append(ft.Semantics(selected=key == chosen, content=button))
    return ft.Row(buttons, wrap=True, spacing=8, run_spacing=8)


# The forms and rows re-render only when the registry itself changes: a
# re-render while someone types (say, because the app's sync state moved)
# would send a field's older value back and lose their keystrokes.
ContactForm = memo(ContactForm)
ContactRow = memo(ContactRow)
RecipientForm = memo(RecipientForm)
DecisionForm = memo(DecisionForm)


async def _load_registry(registry: Registry, api: OfficeApi, session: OfficeSession) -> None:
    """The coordinator registers recipients and vedtak too; the admin only contacts."""
    await registry.load(api, with_recipients=session.role == "coordinator")


@ft.component
def RegistryView() -> ft.View:  # noqa: N802 - components are named like classes
    section, set_section = ft.use_state("contacts")
    registry, api, session = use_desk(Registry, _load_registry)
    if api is None or session is None:
        return placeholder()
    coordinator = session.role == "coordinator"

    async def search(text: str) -> None:
        await registry.search(api, text, with_recipients=coordinator)

    async def turn(forward: bool) -> None:
        await registry.turn(api, section, forward, with_recipients=coordinator)

    shown = {
        "contacts": len(registry.contacts),
        "recipients": len(registry.recipients),
        "decisions": len(registry.decisions),
    }
    what = {
        "contacts": "Søk i støttekontakter",
        "recipients": "Søk i tjenestemottakere",
        "decisions": "Søk i vedtak",
    }

    # The pages again below the section's list (a long one), above its form.
    below = list_end(registry.pages(section), shown[section], registry.loaded, turn)
    sections = SECTIONS if coordinator else SECTIONS[:1]
    controls: list[ft.Control] = [
        heading("Registrering"),
        tabs(sections, section, set_section),
        keyed(
            f"search-{section}",
            ListSearch,
            registry.pages(section),
            what[section],
            shown[section],
            registry.loaded,
            search,
            turn,
        ),
        busy(registry.loading, registry.loaded or bool(registry.error)),
        message(registry.error, error=True),
        message(registry.notice),
    ]
    if section == "contacts":
        missing = sum(1 for c in registry.all_contacts if c.politiattest_date is None)
        if missing:
            controls.append(
                ft.Text(
                    count_text(missing, "støttekontakt mangler", "støttekontakter mangler")
                    + " politiattest.",
                    color=ft.Colors.RED_700,
                )
            )
        if not registry.contacts:
            controls.append(empty(registry, "Ingen støttekontakter funnet."))
        controls += [keyed(c.id, ContactRow, registry, c, api) for c in registry.contacts]
        form = keyed(f"contact-form-{registry.saved}", ContactForm, registry, api)
        controls += [below, ft.Divider(), form]
    elif section == "recipients":
        for recipient in registry.recipients:
            guardians = ", ".join(f"{g.name} ({g.relation})" for g in recipient.guardians)
            lines: list[ft.Control] = [
                ft.Text(
                    f"{recipient.name} · saksnr. {recipient.case_no}",
                    weight=ft.FontWeight.W_600,
                )
            ]
            if guardians:
                lines.append(ft.Text(f"Foresatte/verge: {guardians}", size=13))
            lines += [
                ft.Text(decision_text(registry, d), size=13)
                for d in registry.decisions_of(recipient.id)
            ]
            controls.append(ft.Card(content=ft.Container(ft.Column(lines, spacing=4), padding=12)))
        form = keyed(f"recipient-form-{registry.saved}", RecipientForm, registry, api)
        controls += [below, ft.Divider(), form]
    else:
        for decision in registry.decisions:
            person = registry.recipient(decision.recipient_id)
            who = f"{person.name} ({person.case_no})" if person else decision.case_no
            controls.append(
                ft.ListTile(
                    title=ft.Text(who),
                    subtitle=ft.Text(decision_text(registry, decision)),
                )
            )
        form = keyed(f"decision-form-{registry.saved}", DecisionForm, registry, api)
        controls += [below, ft.Divider(), form]
    return office_screen("Registrering", controls)
