"""schemathesis against the served OpenAPI document, for every role and anonymous.

A real uvicorn on a loopback port serves a small municipality; schemathesis
reads the API's own /api/v1/openapi.json from it and sends generated requests,
valid and invalid, to every operation as each role. Every answer must be a
non-5xx, declared status with the declared content type and schema.

Bounded and deterministic: a fixed number of examples per operation,
Hypothesis derandomized and without its example database, so that CI sees the
same requests on every run.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from models.schemas import Role
from server.app import create_app
from server.config import Settings
from server.db import make_engine, make_sessionmaker
from server.services.auth import login as service_login
from tests.factories import contact_payload
from tests.server.conftest import (
    PASSWORD,
    World,
    _truncate_postgres,
    add_user,
    make_settings,
    serve,
)
from tests.server.test_authz import allowed_roles

LOGOUT = ("POST", "/api/v1/auth/logout")


@dataclass
class Served:
    """The live server, its settings, and a bearer token per role."""

    base_url: str
    settings: Settings
    usernames: dict[str, str]
    passwords: dict[str, str] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)  # requests per phase
    ids: dict[str, str] = field(default_factory=dict)

    def fresh_token(self, role: str) -> str:
        """A new token, made in-process: a logout revokes the token it is sent with.

        From a documentation address, so that no HTTP login's throttle is touched.
        """
        engine = make_engine(self.settings.sqlalchemy_url)
        try:
            with make_sessionmaker(engine)() as db:
                return service_login(
                    db,
                    settings=self.settings,
                    username=self.usernames[role],
                    password=self.passwords.get(role, PASSWORD),
                    address="192.0.2.1",
                ).token
        finally:
            engine.dispose()


def _populate(base_url: str, settings: Settings) -> Served:
    """Users for every role and a world to act on: a vedtak, a timesheet, a flag."""
    usernames = {}
    for role in (Role.coordinator, Role.payroll, Role.admin):
        add_user(settings, role.value, role)
        usernames[role.value] = role.value
    served = Served(base_url=base_url, settings=settings, usernames=usernames)
    with httpx.Client(base_url=base_url, timeout=30) as http:
        office = {}
        for role in usernames:
            served.tokens[role] = served.fresh_token(role)
            office[role] = {"Authorization": f"Bearer {served.tokens[role]}"}
        world = World(http, office)  # type: ignore[arg-type]
        world.upsert(start="08:00", end="19:00")  # over the quota: an open flag
        [sheet] = world.get("/api/v1/timesheets")["data"]
        [flag] = world.get("/api/v1/flags", status="open")["data"]
        contact = world.get(f"/api/v1/contacts/{world.contact_id}")
    served.tokens["contact"] = world.contact["Authorization"].removeprefix("Bearer ")
    served.usernames["contact"] = contact["username"]
    served.passwords["contact"] = contact_payload()["password"]  # the factory's one password
    served.ids = {
        "contact_id": world.contact_id,
        "recipient_id": world.recipient_id,
        "decision_id": world.decision_id,
        "timesheet_id": sheet["id"],
        "flag_id": flag["id"],
    }
    return served


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("schemathesis")
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        shutil.copyfile(template, folder / "timeliste.sqlite3")
        url = f"sqlite:///{folder / 'timeliste.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_database")
        _truncate_postgres(url)
    settings = make_settings(url, folder)
    with serve(settings) as base_url:
        assert httpx.get(f"{base_url}/api/v1/openapi.json").json() == DOCUMENT
        served = _populate(base_url, settings)
        yield served
        total = sum(served.calls.values())
        print(f"\nschemathesis on {request.param}: {total} requests {dict(served.calls)}")


def _document() -> dict[str, Any]:
    """The OpenAPI document as the app serves it (no database is touched to build it);
    the `served` fixture checks that the live server serves this very document."""
    app = create_app(make_settings("sqlite://", Path(tempfile.gettempdir())))
    return app.openapi()


DOCUMENT = _document()


def _config(*, fuzz_examples: int, coverage: bool) -> Any:
    return schemathesis.Config.from_dict(
        {
            "seed": 20260101,
            "generation": {
                "max-examples": fuzz_examples,
                "deterministic": True,
                "database": "none",
                # The token goes on every request (below), never generated or dropped.
                "with-security-parameters": False,
                # JSON carries no lone surrogates from a real client; the server
                # refuses them anyway (models.types), but they make no useful case.
                "codec": "utf-8",
            },
            "phases": {
                "coverage": {"enabled": coverage},
                "examples": {"enabled": coverage},
                # Each request stands alone: bounded, and in a fixed order.
                "stateful": {"enabled": False},
            },
            "checks": {
                # A JSON Schema cannot state every rule: a range on a decimal
                # written as a string, a date not in the future, valid_to after
                # valid_from, a TOTP code that matches. Valid-looking data may get
                # a 422 for those; never a 400, a 5xx or an undeclared answer.
                "positive_data_acceptance": {
                    "expected-statuses": [200, 201, 204, 401, 403, 404, 409, 422, 429]
                },
            },
        }
    )


# A role's own operations get the full treatment: schemathesis' coverage phase
# (boundaries, wrong types, missing fields, nulls) and generated examples.
OWN_EXAMPLES = 12
OWN = schemathesis.openapi.from_dict(
    DOCUMENT, config=_config(fuzz_examples=OWN_EXAMPLES, coverage=True)
)
# Elsewhere every answer is the same 401 or 403: a few examples check that it is
# declared and well formed.
ELSEWHERE_EXAMPLES = 2
ELSEWHERE = schemathesis.openapi.from_dict(
    DOCUMENT, config=_config(fuzz_examples=ELSEWHERE_EXAMPLES, coverage=False)
)


def _admits(role: str, method: str, path: str) -> bool:
    roles = allowed_roles(method, path)
    if not roles:
        # Public (login, health): in full once, as anonymous; lightly with a token.
        return role == "anonymous"
    return role in roles


def _with_real_ids(case: Any, served: Served) -> None:
    """Point valid path ids at the world's records, so the bodies reach the services.

    An id generated as valid is just a random string that finds nothing (404);
    one generated as invalid is left as it is, since that is what it tests.
    """
    from schemathesis.core.parameters import ParameterLocation

    component = case.meta.components.get(ParameterLocation.PATH) if case.meta else None
    if component is None or component.mode != schemathesis.GenerationMode.POSITIVE:
        return
    for name in case.path_parameters or {}:
        if name in served.ids:
            case.path_parameters[name] = served.ids[name]


def _exercise(case: Any, served: Served, role: str) -> None:
    headers: dict[str, str] = {}
    if role != "anonymous":
        token = served.tokens[role]
        if (case.method.upper(), case.path) == LOGOUT:
            token = served.fresh_token(role)
        headers["Authorization"] = f"Bearer {token}"
    _with_real_ids(case, served)
    served.calls[case.meta.phase.name.value if case.meta else "?"] += 1
    case.call_and_validate(base_url=served.base_url, headers=headers)


def _test_for(role: str, *, own: bool) -> Any:
    schema = (OWN if own else ELSEWHERE).include(
        lambda ctx: _admits(role, ctx.operation.method.upper(), ctx.operation.path) == own
    )

    # Stated here too: settings given to the test win over schemathesis' config, and
    # a bare settings() would take max_examples from the loaded profile (CI's is 300).
    @schema.parametrize()
    @hypothesis_settings(
        max_examples=OWN_EXAMPLES if own else ELSEWHERE_EXAMPLES,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case: Any, served: Served) -> None:
        _exercise(case, served, role)

    if own:
        return test
    # A refusal (401, 403) is made before any query: one engine shows it.
    return pytest.mark.parametrize("served", ["sqlite"], indirect=True)(test)


# One test per role and side; pytest names each operation in the item's id.
test_admin_on_its_operations = _test_for("admin", own=True)
test_admin_elsewhere = _test_for("admin", own=False)
test_coordinator_on_its_operations = _test_for("coordinator", own=True)
test_coordinator_elsewhere = _test_for("coordinator", own=False)
test_payroll_on_its_operations = _test_for("payroll", own=True)
test_payroll_elsewhere = _test_for("payroll", own=False)
test_contact_on_its_operations = _test_for("contact", own=True)
test_contact_elsewhere = _test_for("contact", own=False)
test_anonymous_on_public_operations = _test_for("anonymous", own=True)
test_anonymous_elsewhere = _test_for("anonymous", own=False)
