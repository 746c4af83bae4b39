"""ASGI middleware on every answer: body size limits and security headers.

Both are plain ASGI (not Starlette's BaseHTTPMiddleware) so that a refused
body is never read into memory and streamed answers stay streamed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import problem_response

API_PREFIX = "/api/v1"
PUSH_PATH = f"{API_PREFIX}/sync/push"
# docs/rules.md §6 "Limits": a push may carry a month of entries with signatures; every
# other body is a small form.
MAX_PUSH_BYTES = 1024 * 1024
MAX_BODY_BYTES = 64 * 1024

_DOCS_PATHS = {f"{API_PREFIX}/docs", f"{API_PREFIX}/docs/oauth2-redirect"}
# Swagger UI is an HTML page that loads its script and styles from a CDN and
# starts itself with an inline script; nothing else may run or frame it.
_DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# JSON answers are data, never a document a browser should run or frame.
_API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def body_limit(path: str) -> int:
    """The largest body a request to `path` may carry (docs/rules.md §6 "Limits")."""
    return MAX_PUSH_BYTES if path.rstrip("/") == PUSH_PATH else MAX_BODY_BYTES


def _human(limit: int) -> str:
    if limit % (1024 * 1024) == 0:
        return f"{limit // (1024 * 1024)} MiB"
    return f"{limit // 1024} KiB"


def _too_large_detail(limit: int) -> str:
    return f"Forespørselen er for stor. Grensen er {_human(limit)}."


class BodyTooLarge(HTTPException):
    """Raised from inside `receive`: FastAPI passes HTTP exceptions on untouched
    (anything else there becomes its English 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_detail(limit))


class LimitBody:
    """Refuse a body over the path's limit with 413 before anything parses it.

    A declared Content-Length over the limit is refused without reading a
    byte; a body without one (chunked) is counted as it arrives and refused
    the moment it passes the limit.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    await self._refuse(scope, receive, send, limit)
                    return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        answer = problem_response(
            413, "For stor forespørsel", _too_large_detail(limit), headers={"Connection": "close"}
        )
        await answer(scope, receive, send)


def _has_control(data: bytes) -> bool:
    return any(byte < 0x20 or byte == 0x7F for byte in data)


# The same characters as `_has_control`, for the OpenAPI document.
_NO_CONTROL_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def declare_no_control_characters(document: dict[str, Any]) -> dict[str, Any]:
    """State in the OpenAPI document what `RefuseControlCharacters` refuses: every
    string in a path or query parameter gets a pattern without control characters,
    so that a generated client knows such a value is answered 400."""

    def tighten(schema: dict[str, Any]) -> None:
        for branch in schema.get("anyOf", []):
            tighten(branch)
        if schema.get("type") == "string" and "pattern" not in schema and "format" not in schema:
            schema["pattern"] = _NO_CONTROL_PATTERN

    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") in ("path", "query") and "schema" in parameter:
                    tighten(parameter["schema"])
    return document


class RefuseControlCharacters:
    """A path or query holding NUL or another control character is refused here.

    No id or search holds one; PostgreSQL cannot even compare with one, and
    SQLite can, so without this the engines would answer differently.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope.get("path", "")
            query = unquote_to_bytes(scope.get("query_string", b"").replace(b"+", b" "))
            if _has_control(path.encode("utf-8", "surrogatepass")) or _has_control(query):
                answer = problem_response(
                    400,
                    "Ugyldig forespørsel",
                    "Adressen inneholder kontrolltegn (for eksempel NUL).",
                )
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """Headers every answer carries; `no-store` on the API, whose answers hold personal data."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"server"
                ]
                present = {name.lower() for name, _ in headers}

                def add(name: bytes, value: str) -> None:
                    if name not in present:
                        headers.append((name, value.encode()))

                add(b"x-content-type-options", "nosniff")
                add(b"x-frame-options", "DENY")
                add(b"referrer-policy", "no-referrer")
                if path in _DOCS_PATHS:
                    add(b"content-security-policy", _DOCS_CSP)
                elif path.startswith(API_PREFIX) or path == "/healthz":
                    add(b"content-security-policy", _API_CSP)
                if path.startswith(API_PREFIX):
                    # Tokens, names, hours: nothing under the API may sit in a cache.
                    add(b"cache-control", "no-store")
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
