"""Domain errors and their one mapping to HTTP: problem+json (RFC 9457).

Services raise these, never HTTP errors. Messages are plain Norwegian for the
person at the screen and never contain personal data: they name fields, not
people.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.messages import validation_problems
from models.rules import Problem

log = logging.getLogger("timeliste.server")

PROBLEM_JSON = "application/problem+json"


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
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, ThrottledError) else None
        if isinstance(exc, UnauthorizedError):
            headers = {"WWW-Authenticate": "Bearer"}
        return problem_response(
            exc.status, exc.title, exc.detail, problems=exc.problems, headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = problems_from_errors(exc.errors(), strip=("body",))
        return problem_response(
            422, "Ugyldige data", "Noen felt er ikke fylt ut riktig.", problems=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = _STATUS_TITLES.get(exc.status_code, "Feil")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404:
            detail = "Adressen finnes ikke."
        return problem_response(exc.status_code, title, detail, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette's ServerErrorMiddleware answers with this and re-raises;
        # ContainErrors (outside it) logs the type and swallows the exception.
        return internal_error()


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
