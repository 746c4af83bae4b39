"""Domain errors and their one mapping to HTTP: problem+json (RFC 9457).

Services raise these, never HTTP errors. Messages are plain Norwegian for the
person at the screen and never contain personal data: they name fields, not
people.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.messages import validation_problems
from models.rules import Problem

log = logging.getLogger("timeliste.server")

PROBLEM_JSON = "application/problem+json"
BUSY_RETRY_SECONDS = 5


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    title = "Ugyldig forespørsel"

    def __init__(self, detail: str, *, problems: Sequence[Problem] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = list(problems)


class UnauthorizedError(DomainError):
    status = 401
    title = "Ikke innlogget"


class ForbiddenError(DomainError):
    status = 403
    title = "Ingen tilgang"


class NotFoundError(DomainError):
    status = 404
    title = "Finnes ikke"


class ConflictError(DomainError):
    status = 409
    title = "Konflikt"


class InvalidError(DomainError):
    status = 422
    title = "Ugyldige data"


class BusyError(DomainError):
    """The server is saturated for a moment (login hashing queue, database pool)."""

    status = 503
    title = "Opptatt"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


class ThrottledError(DomainError):
    status = 429
    title = "For mange forsøk"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = max(1, retry_after)


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    problems: Iterable[Problem] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    errors = [{"field": p.field, "message": p.message, "code": p.code} for p in problems]
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def problems_from_errors(errors: Sequence[Any], *, strip: tuple[str, ...] = ()) -> list[Problem]:
    """Norwegian field problems from pydantic-style error dicts (FastAPI's included)."""

    class _Errors:
        # validation_problems reads only .errors(); FastAPI hands us the list itself.
        def errors(self, include_url: bool = False) -> list[Any]:
            out = []
            for item in errors:
                loc = tuple(item.get("loc", ()))
                while loc and loc[0] in strip:
                    loc = loc[1:]
                out.append({**item, "loc": loc})
            return out

    return validation_problems(cast(ValidationError, _Errors()))


_STATUS_TITLES = {
    400: "Ugyldig forespørsel",
    401: "Ikke innlogget",
    403: "Ingen tilgang",
    404: "Finnes ikke",
    405: "Metoden er ikke tillatt",
    409: "Konflikt",
    413: "For stor forespørsel",
}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = (
            {"Retry-After": str(exc.retry_after)}
            if isinstance(exc, ThrottledError | BusyError)
            else None
        )
        if isinstance(exc, UnauthorizedError):
            headers = {"WWW-Authenticate": "Bearer"}
        return problem_response(
            exc.status, exc.title, exc.detail, problems=exc.problems, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(item.get("type") == "json_invalid" for item in errors):
            # The location is a character offset, not a field: name the body.
            return problem_response(
                422,
                "Ugyldige data",
                "Innholdet er ikke gyldig JSON.",
                problems=[Problem(field="body", message="Innholdet er ikke gyldig JSON.")],
            )
        problems = problems_from_errors(errors, strip=("body",))
        return problem_response(
            422, "Ugyldige data", "Noen felt er ikke fylt ut riktig.", problems=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _STATUS_TITLES.get(exc.status_code, "Feil")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = "Adressen finnes ikke."
        elif exc.status_code == 400:
            # Starlette's and FastAPI's own 400s speak English.
            detail = "Forespørselen kunne ikke leses. Send gyldig JSON."
        elif exc.status_code == 405:
            detail = "Denne metoden er ikke tillatt her."
            headers = {**(exc.headers or {}), "Allow": _allowed_methods(request)}
            return problem_response(405, title, detail, headers=headers)
        return problem_response(exc.status_code, title, detail, headers=exc.headers)

    @app.exception_handler(SQLAlchemyTimeoutError)
    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: Exception) -> JSONResponse:
        # No free database connection in time, or the database refused one
        # ("too many clients"): a moment's overload, not a fault in the request.
        route = getattr(request.scope.get("route"), "path", None) or "(no route)"
        log.warning("database busy: %s on %s", type(exc).__name__, route)
        return problem_response(
            503,
            "Opptatt",
            "Tjenesten er opptatt akkurat nå. Prøv igjen om litt.",
            headers={"Retry-After": str(BUSY_RETRY_SECONDS)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's ServerErrorMiddleware answers with this and re-raises;
        # ContainErrors (outside it) logs the type and swallows the exception.
        return internal_error()


def _allowed_methods(request: Request) -> str:
    """The methods the OpenAPI document gives the path (RFC 9110 §10.2.1).

    Starlette's 405 names only the first route whose path matched, and a path
    such as /api/v1/contacts/{id} is two routes (GET and PATCH). Of the
    document's templates that match, the most literal is the one routed to
    (/decisions/expiring before /decisions/{decision_id}), as the app orders them.
    """
    path = request.url.path
    candidates = []
    for template, item in request.app.openapi().get("paths", {}).items():
        pattern = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            candidates.append((template.count("{"), template, item))
    if not candidates:
        return ""
    _, _, item = min(candidates, key=lambda candidate: candidate[:2])
    return ", ".join(sorted(method.upper() for method in item))


def internal_error() -> JSONResponse:
    return problem_response(500, "Intern feil", "Noe gikk galt på serveren. Prøv igjen om litt.")


class ContainErrors:
    """Outermost ASGI middleware: an unhandled exception becomes a problem+json 500.

    It logs only the exception's type and the route's template, and does not
    re-raise: Starlette's ServerErrorMiddleware and uvicorn would log the full
    traceback, whose text (a database error's, say) can carry names and notes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            route = getattr(scope.get("route"), "path", None) or "(no route)"
            log.error("unexpected %s on %s %s", type(exc).__name__, scope.get("method"), route)
            if started:
                return
            await internal_error()(scope, receive, send)


# Every error answer an operation can give, for generated clients (docs/rules.md §13).
_DECLARED = {
    "400": "Forespørselen kunne ikke leses",
    "401": "Ikke innlogget, eller innloggingen er utløpt",
    "403": "Ingen tilgang",
    "404": "Finnes ikke",
    "409": "Konflikt med det som er lagret",
    "413": "For stor forespørsel",
    "422": "Ugyldige data, med feltene som er feil",
    "429": "For mange forsøk; se Retry-After",
    "500": "Intern feil",
    "503": "Opptatt; se Retry-After",
}

_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error answer (RFC 9457), in Norwegian.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "code": {"type": "string"},
                },
            },
        },
    },
}


def declare_problems(document: dict[str, Any]) -> dict[str, Any]:
    """Declare every error answer, as problem+json, on every operation of an OpenAPI document.

    FastAPI declares only its own 422 (with a schema we never send); the
    handlers above can answer any of these codes on any route.
    """
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = _PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    content = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    retry = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in _DECLARED.items():
                given = responses.get(code, {}).get("description")
                if given and given != "Validation Error":
                    description = given
                answer: dict[str, Any] = {"description": description, "content": content}
                if code in ("429", "503"):
                    answer["headers"] = retry
                responses[code] = answer
    return document
