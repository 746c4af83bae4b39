"""The office desks against the real server on loopback (no browser, no page)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mobile.office.api import ApiError, OfficeApi
from mobile.office.payroll import settings_form, settings_payload
from mobile.office.state.approval import ApprovalDesk, override_reasons
from mobile.office.state.audit import AuditLog, audit_text
from mobile.office.state.common import Names
from mobile.office.state.dashboard import Dashboard, overuse_rows, underuse_rows
from mobile.office.state.flags import FlagQueue
from mobile.office.state.payroll import PayrollDesk
from mobile.office.state.registry import Registry, contact_payload, decision_payload
from models.canonical import content_hash
from models.contract import PeriodUsagePublic, UsagePublic
from models.payroll import KmRate, PayKind
from models.schemas import EntryData
from tests.factories import entry_id, recent_day, sign_payload
from tests.support.live_server import DEFAULT_PASSWORD, LiveServer

_n = itertools.count(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("office-state")) as live:
        live.add_user("koord", "coordinator")
        live.add_user("lonn", "payroll")
        live.add_user("admin", "admin")
        yield live


def run(coro: Any) -> Any:
    """Run a scenario on its own event loop in a worker thread.

    The browser tests' Playwright keeps a loop running in the main thread when
    the whole suite shares one process, and asyncio.run refuses to nest.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coro).result()


async def _office(server: LiveServer, username: str) -> OfficeApi:
    api = OfficeApi(server.base_url)
    await api.login(username, DEFAULT_PASSWORD)
    return api


class Case:
    """A contact with one vedtak, made through the API as a coordinator."""

    def __init__(self, server: LiveServer, *, politiattest: bool = True, hours: str = "10") -> None:
        self.server = server
        n = next(_n)
        self.coordinator = server.login("koord")
        body = {
            "username": f"kontakt{n}",
            "password": "kontakt-passord-1",
            "name": f"Kari Kontakt{n}",
            "employee_no": f"K{n:04d}",
            "contract_type": "contractor",
        }
        if politiattest:
            body["politiattest_date"] = "2024-01-15"
        self.employee_no = body["employee_no"]
        self.contact_id = self.post("/api/v1/contacts", body)["id"]
        self.contact = server.login(body["username"], body["password"])
        self.recipient_id = self.post(
            "/api/v1/recipients", {"name": f"Ola Mottaker{n}", "case_no": f"2025/S{n:04d}"}
        )["id"]
        self.case_no = f"2025/S{n:04d}"
        day = recent_day()
        self.decision_id = self.post(
            "/api/v1/decisions",
            {
                "recipient_id": self.recipient_id,
                "kind": "individual",
                "hours": hours,
                "per": "month",
                "valid_from": date(day.year - 1, 1, 1).isoformat(),
                "valid_to": date(day.year + 1, 12, 31).isoformat(),
                "contact_ids": [self.contact_id],
            },
        )["id"]
        self.mutation = 0

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.server.api("POST", path, token=self.coordinator, json=body, expect=201).json()

    def push(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        self.mutation += 1
        response = self.server.api(
            "POST",
            "/api/v1/sync/push",
            token=self.contact,
            json={
                "device_id": "phone",
                "mutations": [{"mutation_id": self.mutation, "type": kind, "data": data}],
            },
            expect=200,
        )
        result: dict[str, Any] = response.json()["results"][0]
        assert result["status"] == "applied", result
        return result

    def log(self, start: str = "10:00", end: str = "12:00", day: date | None = None) -> None:
        self.push(
            "entry.upsert",
            {
                "id": entry_id(),
                "decision_ids": [self.decision_id],
                "date": (day or recent_day()).isoformat(),
                "start": start,
                "end": end,
                "activities": ["Kino"],
                "note": "Hemmelig notat",
                "trips": [],
                "expenses": [],
            },
        )

    def sheet(self) -> dict[str, Any]:
        pulled = self.server.api(
            "GET", "/api/v1/sync/pull", token=self.contact, params={"cursor": 0}, expect=200
        ).json()
        sheet = next(s for s in pulled["timesheets"] if s["decision_id"] == self.decision_id)
        entries = [
            EntryData.model_validate({k: e[k] for k in EntryData.model_fields if k in e})
            for e in pulled["entries"]
            if e["id"] in sheet["entry_ids"]
        ]
        assert sheet["content_hash"] == content_hash(
            contact_id=self.contact_id,
            decision_id=self.decision_id,
            period=sheet["period"],
            entries=entries,
        )
        return sheet

    def sign(self) -> dict[str, Any]:
        sheet = self.sheet()
        self.push(
            "timesheet.sign",
            sign_payload(
                decision_id=self.decision_id,
                period=sheet["period"],
                content_hash=sheet["content_hash"],
                message="Takk for en fin måned!",
            ),
        )
        return sheet


def test_contact_form_speaks_norwegian_before_asking_the_server() -> None:
    payload, errors = contact_payload({"name": "", "employee_no": "12 34", "username": "x"})
    assert payload is None
    assert errors["name"] == "Feltet må fylles ut."
    assert "employee_no" in errors
    assert "password" in errors
    payload, errors = contact_payload(
        {
            "name": "Per Hansen",
            "employee_no": "4711",
            "username": "per.hansen",
            "password": "langt-passord",
            "politiattest_date": "01.02.2024",
            "hourly_rate": "262,50",
        }
    )
    assert errors == {}
    assert payload is not None
    assert payload.politiattest_date == date(2024, 2, 1)
    assert payload.hourly_rate == Decimal("262.50")


def test_group_decision_needs_a_group_id() -> None:
    form = {
        "recipient_id": "r1",
        "kind": "group",
        "hours": "4",
        "per": "week",
        "valid_from": "01.01.2026",
        "valid_to": "31.12.2026",
    }
    payload, errors = decision_payload(form, ["c1"])
    assert payload is None
    assert "gruppe-id" in errors["form"]
    payload, errors = decision_payload({**form, "group_id": "G-1"}, ["c1"])
    assert payload is not None
    assert payload.group_id == "G-1"


def test_registry_registers_searches_and_marks_missing_politiattest(server: LiveServer) -> None:
    async def scenario() -> None:
        api = await _office(server, "koord")
        registry = Registry()
        assert not await registry.add_contact(api, {"name": "Uten Nummer"})
        assert registry.field_errors["employee_no"] == "Feltet må fylles ut."
        n = next(_n)
        form = {
            "name": f"Siri Søk{n}",
            "employee_no": f"S{n:04d}",
            "username": f"siri{n}",
            "password": "siri-passord-1",
            "contract_type": "employee",
        }
        assert await registry.add_contact(api, form)
        assert registry.notice == f"Støttekontakten Siri Søk{n} er registrert."
        registry.query = f"Søk{n}"
        await registry.load(api)
        [found] = registry.contacts
        assert found.politiattest_date is None
        assert not await registry.set_politiattest(api, found.id, "i går")
        assert await registry.set_politiattest(api, found.id, "15.08.2025")
        [found] = registry.contacts
        assert found.politiattest_date == date(2025, 8, 15)
        # A duplicate employee number is refused by the server, in Norwegian.
        assert not await registry.add_contact(api, {**form, "username": f"siri{n}b"})
        assert registry.error
        await api.close()

    run(scenario())


def test_approval_desk_approves_signed_and_rejects_with_a_reason(server: LiveServer) -> None:
    signed = Case(server)
    signed.log()
    signed.sign()
    other = Case(server)
    other.log()
    other.sign()

    async def scenario() -> None:
        api = await _office(server, "koord")
        desk = ApprovalDesk()
        await desk.load(api)
        ids = {s.decision_id: s.id for s in desk.sheets}
        assert signed.decision_id in ids
        await desk.open(api, ids[signed.decision_id])
        assert desk.detail is not None
        assert override_reasons(desk.detail) == []
        assert desk.detail.signature.message == "Takk for en fin måned!"
        assert await desk.approve(api)
        assert desk.detail.status == "approved"

        await desk.open(api, ids[other.decision_id])
        assert not await desk.reject(api, reason="  ")
        assert desk.field_errors == {"reason": "Skriv hvorfor timelisten avvises."}
        assert await desk.reject(api, reason="Økten 10. er ført to ganger.")
        assert desk.detail.status == "rejected"
        await api.close()

    run(scenario())
    pulled = server.api(
        "GET", "/api/v1/sync/pull", token=other.contact, params={"cursor": 0}, expect=200
    ).json()
    [sheet] = [s for s in pulled["timesheets"] if s["decision_id"] == other.decision_id]
    assert sheet["reject_reason"] == "Økten 10. er ført to ganger."


def test_unsigned_sheet_needs_a_written_override(server: LiveServer) -> None:
    case = Case(server)
    case.log()

    async def scenario() -> None:
        api = await _office(server, "koord")
        desk = ApprovalDesk(status="open")
        await desk.load(api)
        sheet_id = next(s.id for s in desk.sheets if s.decision_id == case.decision_id)
        await desk.open(api, sheet_id)
        assert override_reasons(desk.detail or {}) == ["Timelisten er ikke signert."]
        assert not await desk.approve(api)
        assert "override_reason" in desk.field_errors
        assert await desk.approve(api, override_reason="Signert på papir.")
        assert desk.detail is not None
        assert desk.detail.override_reason == "Signert på papir."
        audit_api = await _office(server, "admin")
        log = AuditLog(object_type="timesheet")
        await log.load(audit_api)
        [approval] = [e for e in log.events if e.action == "approve" and e.object_id == sheet_id]
        assert audit_text(approval) == (
            "Koordinator godkjente timeliste med overstyring. Begrunnelse: Signert på papir."
        )
        await audit_api.close()
        await api.close()

    run(scenario())


def test_flag_queue_groups_links_and_resolves(server: LiveServer) -> None:
    case = Case(server, politiattest=False)
    case.log()

    async def scenario() -> None:
        api = await _office(server, "koord")
        queue = FlagQueue()
        await queue.load(api)
        mine = [
            f
            for f in queue.flags
            if f.kind == "missing_politiattest" and queue.contact_of(f) == case.contact_id
        ]
        assert len(mine) == 1
        flag = mine[0]
        assert "politiattest" in queue.explain(flag)
        headings = [title for title, _ in queue.groups()]
        assert "Mangler politiattest" in headings
        queue.group_by = "contact"
        assert any(title.startswith("Kari Kontakt") for title, _ in queue.groups())
        [sheet] = queue.sheets_of(flag)
        assert sheet.decision_id == case.decision_id
        assert not await queue.resolve(api, flag.id, "")
        assert await queue.resolve(api, flag.id, "Attesten er levert, registreres i dag.")
        assert flag.id not in {f.id for f in queue.flags}
        await api.close()

    run(scenario())


def test_dashboard_lists_overuse_and_under_use(server: LiveServer) -> None:
    over = Case(server, hours="2")
    over.log("10:00", "13:00")
    under = Case(server, hours="40")
    under.log("10:00", "11:00")

    async def scenario() -> None:
        api = await _office(server, "koord")
        board = Dashboard()
        await board.load(api)
        assert over.decision_id in board.usage
        rows = [
            r for r in overuse_rows(board.usage, board.names) if r.decision_id == over.decision_id
        ]
        assert [(r.used, r.quota) for r in rows] == [(Decimal("3.00"), Decimal("2.00"))]
        assert "brukt 3,00 t av 2,00 t" in rows[0].text
        late = date.today() + timedelta(days=62)
        lacking = [
            r
            for r in underuse_rows(board.usage, board.names, late)
            if r.decision_id == under.decision_id
        ]
        assert any(r.used == Decimal("1.00") for r in lacking)
        await api.close()

    run(scenario())


def test_underuse_counts_only_finished_periods() -> None:
    def month(key: str, last: int, used: int) -> PeriodUsagePublic:
        start = date.fromisoformat(f"{key}-01")
        return PeriodUsagePublic(
            key=key,
            start=start,
            end=start.replace(day=last),
            quota_minutes=600,
            used_minutes=used,
        )

    usage = {
        "d1": UsagePublic(
            decision_id="d1",
            periods=[month("2026-01", 31, 120), month("2026-02", 28, 540), month("2026-03", 31, 0)],
        )
    }
    rows = underuse_rows(usage, Names(), date(2026, 3, 15))
    assert [r.key for r in rows] == ["2026-01"]


def test_payroll_desk_makes_a_batch_and_previews_the_visma_file(server: LiveServer) -> None:
    case = Case(server)
    case.log("09:00", "10:30")
    case.sign()

    async def scenario() -> None:
        coordinator = await _office(server, "koord")
        desk = ApprovalDesk()
        await desk.load(coordinator)
        sheet_id = next(s.id for s in desk.sheets if s.decision_id == case.decision_id)
        await desk.open(coordinator, sheet_id)
        assert await desk.approve(coordinator)
        await coordinator.close()

        api = await _office(server, "lonn")
        payroll = PayrollDesk(period="mars")
        assert await payroll.make_batch(api) is None
        assert "åååå-mm" in (payroll.error or "")
        payroll.period = ""
        batch = await payroll.make_batch(api)
        assert batch is not None
        assert payroll.batches[0].id == batch.id
        got = await payroll.download(api, batch.id, "visma")
        assert got is not None
        assert got[0] == f"lonnsbunt-{batch.number}.visma.txt"
        line = next(
            row for row in payroll.file_preview.splitlines() if f";{case.employee_no};" in row
        )
        assert line.startswith(f"0;0;{case.employee_no};1100;0.00;1.50;250.00;375.00;")
        assert line.endswith(f'"{case.case_no}"')
        assert "Hemmelig" not in payroll.file_preview
        again = await payroll.make_batch(api)
        assert again is None
        assert "ingen godkjente timer" in (payroll.error or "")
        await api.close()

    run(scenario())


def test_pay_settings_form_round_trips_and_only_admin_saves(server: LiveServer) -> None:
    async def scenario() -> None:
        admin = await _office(server, "admin")
        desk = PayrollDesk()
        await desk.load_settings(admin)
        assert desk.settings is not None
        form = settings_form(desk.settings)
        assert form["km_rates"] == "2025-01-01=5.00\n2026-01-01=5.30"
        assert form["km_tax_free_rates"] == "2025-01-01=3.50\n2026-01-01=3.50"
        assert form["passenger_rates"] == ""
        assert form["code_employee_hours"] != form["code_contractor_fee"]
        form["default_hourly_rate"] = "255,55"
        form["passenger_rates"] = "2026-01-01=0,75"
        form["code_employee_hours"] = "1005"
        assert await desk.save_settings(admin, settings_payload(form, desk.settings))
        assert desk.settings.default_hourly_rate == Decimal("255.55")
        assert desk.settings.passenger_rates == [
            KmRate(valid_from=date(2026, 1, 1), rate=Decimal("0.75"))
        ]
        assert desk.settings.pay_codes[PayKind.employee_hours].code == "1005"
        form["code_km_taxable"] = form["code_km_tax_free"]
        assert not await desk.save_settings(admin, settings_payload(form, desk.settings))
        assert "bare brukes til én" in (desk.error or "")
        form["code_km_taxable"] = "7110"
        form["cover_mode"] = "monthly_cap"
        form["cover_amount"] = ""
        assert not await desk.save_settings(admin, settings_payload(form, desk.settings))
        assert desk.error
        form["default_hourly_rate"] = "250.00"
        form["cover_mode"] = "as_logged"
        assert await desk.save_settings(admin, settings_payload(form, desk.settings))
        payroll = await _office(server, "lonn")
        with pytest.raises(ApiError) as refused:
            await payroll.save_pay_settings(desk.settings)
        assert refused.value.status == 403
        await payroll.close()
        await admin.close()

    run(scenario())


def test_api_error_without_a_server_is_plain_norwegian(tmp_path: Path) -> None:
    async def scenario() -> None:
        api = OfficeApi("http://127.0.0.1:9")
        with pytest.raises(ApiError) as failed:
            await api.batches()
        assert failed.value.status == 0
        assert "kontakt med serveren" in str(failed.value)
        await api.close()

    run(scenario())


def test_a_batch_for_month_13_is_refused_before_the_server_is_asked() -> None:
    async def scenario() -> None:
        nowhere = OfficeApi("http://127.0.0.1:9")  # answering would fail with "kontakt"
        desk = PayrollDesk(period="2026-13")
        assert await desk.make_batch(nowhere) is None
        assert "åååå-mm" in (desk.error or "")
        await nowhere.close()

    run(scenario())
