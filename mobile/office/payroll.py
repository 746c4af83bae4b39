"""Lønn: make a batch of approved hours, list batches, download their files; pay settings."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import flet as ft

from mobile.context import OfficeSession
from mobile.hooks import use_desk, use_state_from
from mobile.office.api import OfficeApi
from mobile.office.common import (
    busy,
    empty,
    heading,
    link,
    message,
    office_screen,
)
from mobile.office.state.payroll import EXPORT_FORMATS, PayrollDesk, batch_text
from mobile.views.common import TOUCH, Input, dropdown, placeholder
from models.payroll import KmRate, PayKind, PaySettings

log = logging.getLogger(__name__)


async def save_file(name: str, content: bytes) -> None:
    """Hand the file to the browser or the desktop's save dialog."""
    await ft.FilePicker().save_file(file_name=name, src_bytes=content)


@ft.component
def PayrollView() -> ft.View:  # noqa: N802 - components are named like classes
    desk, api, session = use_desk(PayrollDesk)
    if api is None or session is None:
        return placeholder()

    async def make(*_: Any) -> None:
        await desk.make_batch(api)

    def downloader(batch_id: str, fmt_key: str) -> Any:
        async def handler(*_: Any) -> None:
            got = await desk.download(api, batch_id, fmt_key)
            if got is not None:
                try:
                    await save_file(*got)
                except (
                    Exception
                ):  # no save dialog here (tests, some browsers): the preview shows it
                    desk.notice = f"Filen {got[0]} er hentet."

        return handler

    controls: list[ft.Control] = [
        heading("Lønnsbunter"),
        ft.Text(
            "En lønnsbunt tar med alle godkjente timer som ikke er utbetalt. "
            "Gruppeøkter kommer med når alle timelistene de står på er godkjent."
        ),
        ft.Row(
            [
                Input(
                    "Periode (åååå-mm, tomt for alle)",
                    desk.period,
                    on_change=lambda e: setattr(desk, "period", e.control.value or ""),
                    width=280,
                ),
                ft.FilledButton(
                    "Lag lønnsbunt", icon=ft.Icons.PAYMENTS, on_click=make, height=TOUCH
                ),
            ],
            wrap=True,
        ),
        busy(desk.loading, desk.loaded or bool(desk.error)),
        message(desk.error, error=True),
        message(desk.notice),
    ]
    if not desk.batches:
        controls.append(empty(desk, "Ingen lønnsbunter ennå."))
    for batch in desk.batches:
        controls.append(
            ft.Card(
                content=ft.Container(
                    ft.Column(
                        [
                            ft.Text(batch_text(batch), weight=ft.FontWeight.W_600),
                            ft.Row(
                                [
                                    ft.OutlinedButton(
                                        f"Last ned {label}",
                                        icon=ft.Icons.DOWNLOAD,
                                        tooltip=f"Last ned {label} for bunt {batch.number}",
                                        on_click=downloader(batch.id, key),
                                    )
                                    for key, label in EXPORT_FORMATS
                                ],
                                wrap=True,
                            ),
                        ],
                        spacing=8,
                    ),
                    padding=12,
                )
            )
        )
    if desk.file_preview:
        controls += [
            ft.Text(f"Innhold i {desk.file_name}", size=16, weight=ft.FontWeight.W_600),
            ft.Container(
                ft.Text(desk.file_preview, font_family="monospace", size=12),
                bgcolor=ft.Colors.GREY_100,
                padding=10,
                border_radius=6,
            ),
        ]
    if session.role == "admin":
        controls.append(link("Lønnsinnstillinger", "/kontor/lonn/innstillinger"))
    return office_screen("Lønn", controls)


CODE_FIELDS = (
    ("employee_hours", "Lønnsart for timer, ansatte (feriepengegrunnlag)"),
    ("contractor_fee", "Lønnsart for honorar, oppdragstakere"),
    ("km_tax_free", "Lønnsart for kjøring, skattefri del"),
    ("km_taxable", "Lønnsart for kjøring, skattepliktig del"),
    ("passenger", "Lønnsart for passasjertillegg (skattefritt)"),
    ("expenses", "Lønnsart for utlegg"),
)
RATE_FIELDS = ("km_rates", "km_tax_free_rates", "passenger_rates")
SETTING_FIELDS = (
    ("default_hourly_rate", "Standard timesats (kr)"),
    *((f"code_{key}", label) for key, label in CODE_FIELDS),
    ("km_rates", "Kilometersatser (én per linje: åååå-mm-dd=sats)"),
    ("km_tax_free_rates", "Skattefri del av kilometersatsen (åååå-mm-dd=sats)"),
    ("passenger_rates", "Passasjertillegg per km per passasjer (åååå-mm-dd=sats, tomt = av)"),
    ("cover_amount", "Beløp for utleggsregel (kr per time eller tak per måned)"),
    ("dimensions", "Dim1–Dim6 (skilt med ;, {case_no} = saksnummer)"),
)
COVER_MODES = (
    ("as_logged", "Dekkes som ført"),
    ("per_hour", "Fast beløp per time"),
    ("monthly_cap", "Som ført, med tak per måned"),
)


def _rates_text(rates: Sequence[KmRate]) -> str:
    return "\n".join(f"{r.valid_from.isoformat()}={r.rate}" for r in rates)


def _rates(text: str) -> list[dict[str, str]]:
    rates = []
    for line in text.splitlines():
        if "=" in line:
            day, rate = line.split("=", 1)
            rates.append({"valid_from": day.strip(), "rate": rate.strip().replace(",", ".")})
    return rates


def settings_form(settings: PaySettings) -> dict[str, str]:
    cover = settings.expense_cover
    return {
        "default_hourly_rate": str(settings.default_hourly_rate),
        **{f"code_{key}": settings.pay_codes[PayKind(key)].code for key, _label in CODE_FIELDS},
        "km_rates": _rates_text(settings.km_rates),
        "km_tax_free_rates": _rates_text(settings.km_tax_free_rates),
        "passenger_rates": _rates_text(settings.passenger_rates),
        "cover_mode": cover.mode.value,
        "cover_amount": str(cover.per_hour or cover.monthly_cap or ""),
        "dimensions": ";".join(settings.dimensions),
    }


def settings_payload(form: dict[str, str], base: PaySettings) -> dict[str, object]:
    """The settings as the form now reads them, for `PayrollDesk.save_settings` to check."""
    mode = form.get("cover_mode") or "as_logged"
    amount = form["cover_amount"].strip().replace(",", ".") or None
    # Plain values, not model instances, so that the desk's check validates every field.
    codes = {
        key: base.pay_codes[PayKind(key)].model_dump() | {"code": form[f"code_{key}"].strip()}
        for key, _label in CODE_FIELDS
    }
    return {
        **base.model_dump(),
        "pay_codes": codes,
        "default_hourly_rate": form["default_hourly_rate"].strip().replace(",", "."),
        **{key: _rates(form[key]) for key in RATE_FIELDS},
        "expense_cover": {
            "mode": mode,
            "per_hour": amount if mode == "per_hour" else None,
            "monthly_cap": amount if mode == "monthly_cap" else None,
        },
        "dimensions": [d.strip() for d in form["dimensions"].split(";")][:6]
        if form["dimensions"].strip()
        else [],
    }


@ft.component
def PaySettingsView() -> ft.View:  # noqa: N802 - components are named like classes
    form, set_form = use_state_from(dict[str, str])

    async def load(desk: PayrollDesk, client: OfficeApi, _: OfficeSession) -> None:
        await desk.load_settings(client)
        if desk.settings:
            set_form(settings_form(desk.settings))

    desk, api, session = use_desk(PayrollDesk, load)
    if api is None or session is None:
        return placeholder()

    async def save(*_: Any) -> None:
        if desk.settings is not None:
            await desk.save_settings(api, settings_payload(form, desk.settings))

    def put(key: str) -> Any:
        def changed(e: ft.Event[Any]) -> None:
            form[key] = e.control.value or ""

        return changed

    controls: list[ft.Control] = [
        heading("Lønnsinnstillinger"),
        message(desk.error, error=True),
        message(desk.notice),
    ]
    if form:
        for key, label in SETTING_FIELDS:
            controls.append(
                Input(
                    label,
                    form.get(key, ""),
                    key=key,
                    on_change=put(key),
                    multiline=key in RATE_FIELDS,
                    min_lines=2 if key in RATE_FIELDS else None,
                    read_only=session.role != "admin",
                )
            )
        controls.append(
            dropdown(
                "Utleggsregel",
                form.get("cover_mode"),
                COVER_MODES,
                on_select=put("cover_mode"),
                disabled=session.role != "admin",
            )
        )
        if session.role == "admin":
            controls.append(
                ft.FilledButton(
                    "Lagre innstillinger", icon=ft.Icons.SAVE, on_click=save, height=TOUCH
                )
            )
    return office_screen(
        "Lønnsinnstillinger",
        controls,
        back="/kontor/lonn" if session.role == "payroll" else "/kontor",
    )
