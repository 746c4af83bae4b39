"""The served OpenAPI and `models.contract` describe the same answers.

The phone and the office validate every answer into `models.contract`; the
server declares those models as its response models. This test reads the
document the server actually serves and compares each operation's schema, with
every reference resolved, to the schema pydantic makes of the contract model.
A route that answers with another shape, or a contract model that drifts from
the route, fails here.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from models.contract import (
    AuditEventsPublic,
    BatchesPublic,
    BatchPublic,
    ContactsPublic,
    DecisionPublic,
    DecisionsPublic,
    FieldError,
    FlagsPublic,
    LoginResponse,
    Me,
    Problem,
    PullResponse,
    PushRequest,
    PushResponse,
    RecipientsPublic,
    TimesheetDetail,
    TimesheetsPublic,
    TimesheetSummary,
    UsagePublic,
)
from models.lifecycle import ExpiringDecisionsPublic
from models.payroll import PaySettings
from models.schemas import FlagPublic
from server.app import create_app
from tests.server.conftest import make_settings

ANSWERS: list[tuple[str, str, type[BaseModel]]] = [
    ("post", "/api/v1/auth/login", LoginResponse),
    ("get", "/api/v1/me", Me),
    ("post", "/api/v1/sync/push", PushResponse),
    ("get", "/api/v1/sync/pull", PullResponse),
    ("get", "/api/v1/contacts", ContactsPublic),
    ("get", "/api/v1/recipients", RecipientsPublic),
    ("get", "/api/v1/decisions", DecisionsPublic),
    ("get", "/api/v1/decisions/{decision_id}", DecisionPublic),
    ("get", "/api/v1/decisions/{decision_id}/usage", UsagePublic),
    ("get", "/api/v1/decisions/expiring", ExpiringDecisionsPublic),
    ("post", "/api/v1/decisions/{decision_id}/follow-on", DecisionPublic),
    ("get", "/api/v1/payroll/batches", BatchesPublic),
    ("post", "/api/v1/payroll/batches", BatchPublic),
    ("get", "/api/v1/payroll/settings", PaySettings),
    ("put", "/api/v1/payroll/settings", PaySettings),
    ("get", "/api/v1/timesheets", TimesheetsPublic),
    ("get", "/api/v1/timesheets/{timesheet_id}", TimesheetDetail),
    ("post", "/api/v1/timesheets/{timesheet_id}/approve", TimesheetSummary),
    ("post", "/api/v1/timesheets/{timesheet_id}/reject", TimesheetSummary),
    ("get", "/api/v1/flags", FlagsPublic),
    ("post", "/api/v1/flags/{flag_id}/resolve", FlagPublic),
    ("get", "/api/v1/audit", AuditEventsPublic),
]

REQUESTS: list[tuple[str, str, type[BaseModel]]] = [
    ("post", "/api/v1/sync/push", PushRequest),
]


def _resolved(node: Any, definitions: dict[str, Any], prefix: str) -> Any:
    """`node` with every `$ref` replaced by what it names (the contract has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].removeprefix(prefix)
            return _resolved(definitions[name], definitions, prefix)
        return {key: _resolved(value, definitions, prefix) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(item, definitions, prefix) for item in node]
    return node


def _without_null_defaults(node: Any) -> Any:
    """FastAPI leaves `"default": null` out of the answers and requests it documents;
    so do we."""
    if isinstance(node, dict):
        return {
            key: _without_null_defaults(value)
            for key, value in node.items()
            if not (key == "default" and value is None)
        }
    if isinstance(node, list):
        return [_without_null_defaults(item) for item in node]
    return node


def _numbers_as_floats(node: Any) -> Any:
    """The served document writes bounds as JSON numbers that read back as floats."""
    if isinstance(node, dict):
        return {key: _numbers_as_floats(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_numbers_as_floats(item) for item in node]
    if isinstance(node, int) and not isinstance(node, bool):
        return float(node)
    return node


def _model_schema(model: type[BaseModel], mode: str) -> Any:
    schema = model.model_json_schema(mode="serialization" if mode == "answer" else "validation")
    definitions = schema.pop("$defs", {})
    resolved = _resolved(schema, definitions, "#/$defs/")
    return _without_null_defaults(resolved)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[str, Any]:
    """The OpenAPI document as the running server hands it out."""
    folder = tmp_path_factory.mktemp("openapi")
    shutil.copyfile(sqlite_template, folder / "db.sqlite3")
    settings = make_settings(f"sqlite:///{folder / 'db.sqlite3'}", folder)
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    assert path in document["paths"], f"{path} is not served"
    operations = document["paths"][path]
    assert method in operations, f"{method.upper()} {path} is not served"
    operation: dict[str, Any] = operations[method]
    return operation


@pytest.mark.parametrize(("method", "path", "model"), ANSWERS, ids=lambda v: str(v))
def test_served_answer_is_the_contract_model(
    served: dict[str, Any], method: str, path: str, model: type[BaseModel]
) -> None:
    operation = _operation(served, method, path)
    ok = next(code for code in operation["responses"] if code.startswith("2"))
    schema = operation["responses"][ok]["content"]["application/json"]["schema"]
    components = served["components"]["schemas"]
    assert _resolved(schema, components, "#/components/schemas/") == _model_schema(model, "answer")


@pytest.mark.parametrize(("method", "path", "model"), REQUESTS, ids=lambda v: str(v))
def test_served_request_is_the_contract_model(
    served: dict[str, Any], method: str, path: str, model: type[BaseModel]
) -> None:
    operation = _operation(served, method, path)
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    components = served["components"]["schemas"]
    served_schema = _resolved(schema, components, "#/components/schemas/")
    assert _numbers_as_floats(served_schema) == _numbers_as_floats(_model_schema(model, "request"))


def test_refusals_are_the_contract_problem(served: dict[str, Any]) -> None:
    """The office reads every refusal as models.contract.Problem."""
    problem = served["components"]["schemas"]["Problem"]
    model = Problem.model_json_schema()
    assert set(problem["properties"]) == set(model["properties"])
    assert set(problem["required"]) == set(model["required"])
    errors = problem["properties"]["errors"]["items"]
    field_error = FieldError.model_json_schema()
    assert set(errors["properties"]) == set(field_error["properties"])
    assert set(errors["required"]) == set(field_error["required"])


def test_usage_is_served_in_whole_minutes(served: dict[str, Any]) -> None:
    """The phone reads minutes; hours stay only as a derived convenience."""
    components = served["components"]["schemas"]
    period = next(
        schema for name, schema in components.items() if name.startswith("PeriodUsagePublic")
    )
    for name in ("quota_minutes", "used_minutes", "remaining_minutes", "over_minutes"):
        assert period["properties"][name]["type"] == "integer"
        assert name in period["required"]
