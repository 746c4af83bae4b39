"""Serve the built app (webapp.build) at `/`, beside the API on the same origin.

- Files under `/r/` are named by their content: cached for a year, immutable.
- The page, the service worker, the manifest and the icons are revalidated on
  every visit (ETag → 304), so a new build is seen at once.
- A path that is no file and looks like a page of the app (`/kontor/avvik`,
  `/okt`) gets the page: the app's router reads the address itself.
- The build's `.gz` twins are sent to every browser that accepts gzip.
- `/api/…` is never answered here (the API's own 404 stays a JSON answer).
"""

from __future__ import annotations

import json
import mimetypes
import os
from pathlib import Path, PurePosixPath

from starlette.datastructures import Headers
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

IMMUTABLE = "public, max-age=31536000, immutable"
WORKER_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-eval' 'wasm-unsafe-eval'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
)
REVALIDATE = "no-cache"
_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".html": "text/html; charset=utf-8",
    ".woff2": "font/woff2",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
    ".frag": "application/octet-stream",
    ".zip": "application/zip",
    ".pack": "application/octet-stream",
    ".gz": "application/gzip",
}
_NOT_BUILT = (
    "Timeliste: the app is not built yet. Run `timeliste build-app` (or `make run`), "
    "then reload this page."
)


def _media_type(path: Path) -> str:
    if path.name.endswith(".tar.gz"):
        return "application/gzip"
    return (
        _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )


class WebApp:
    """An ASGI app serving one build folder."""

    def __init__(self, folder: Path, api_not_found: ASGIApp | None = None) -> None:
        self.folder = folder.resolve()
        self.api_not_found = api_not_found
        self._policy: tuple[tuple[int, int], str | None] | None = None

    def _page_policy(self) -> str | None:
        """The page's Content-Security-Policy, from the build (it hashes the page's
        inline scripts); read again when a new build is swapped in."""
        try:
            stat = (self.folder / "BUILD.json").stat()
        except OSError:
            return None
        key = (stat.st_mtime_ns, stat.st_ino)
        if self._policy is None or self._policy[0] != key:
            try:
                value = json.loads((self.folder / "BUILD.json").read_text())["page_policy"]
            except (OSError, ValueError, KeyError):
                value = None
            self._policy = (key, str(value) if value else None)
        return self._policy[1]

    def _file(self, url_path: str) -> Path | None:
        parts = PurePosixPath(url_path).parts[1:]  # drop the leading "/"
        if any(part in {"..", "."} or part.startswith(".") for part in parts):
            return None
        candidate = self.folder.joinpath(*parts) if parts else self.folder / "index.html"
        hidden_twin = candidate.suffix == ".gz" and not candidate.name.endswith(".tar.gz")
        if candidate.name == "BUILD.json" or hidden_twin:
            return None
        return candidate if candidate.is_file() else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if path.startswith("/api/") or path == "/api":
            if self.api_not_found is not None:
                await self.api_not_found(scope, receive, send)
            else:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        if method not in {"GET", "HEAD"}:
            await PlainTextResponse("Method Not Allowed", status_code=405)(scope, receive, send)
            return
        if not (self.folder / "index.html").is_file():
            await PlainTextResponse(_NOT_BUILT, status_code=503)(scope, receive, send)
            return
        target = self._file(path)
        if target is None:
            last = PurePosixPath(path).name
            if path.startswith("/r/") or "." in last:
                await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
                return
            target = self.folder / "index.html"  # a page of the app: its router takes over
        response = self._response(target, Headers(scope=scope))
        await response(scope, receive, send)

    def _response(self, target: Path, request: Headers) -> Response:
        relative = target.relative_to(self.folder).as_posix()
        immutable = relative.startswith("r/")
        headers = {
            "cache-control": IMMUTABLE if immutable else REVALIDATE,
            "vary": "accept-encoding",
            "x-content-type-options": "nosniff",
        }
        if relative == "sw.js":
            headers["service-worker-allowed"] = "/"
        elif relative == "index.html":
            policy = self._page_policy()
            if policy:
                headers["content-security-policy"] = policy
        elif relative.endswith("python-worker.js"):
            # A worker runs under its own script's policy. Pyodide links the
            # compiled extensions' glue code with eval; nothing else is needed
            # beyond the app's origin.
            headers["content-security-policy"] = WORKER_POLICY
        media_type = _media_type(target)
        body = target
        zipped = target.with_name(target.name + ".gz")
        if "gzip" in request.get("accept-encoding", "") and zipped.is_file():
            body = zipped
            headers["content-encoding"] = "gzip"
        stat = body.stat()
        etag = f'"{stat.st_size:x}-{int(stat.st_mtime_ns):x}"'
        if not immutable and etag in request.get("if-none-match", ""):
            return Response(status_code=304, headers={**headers, "etag": etag})
        headers["etag"] = etag
        return FileResponse(body, media_type=media_type, headers=headers, stat_result=stat)


def build_folder() -> Path:
    """The folder `timeliste serve` serves (webapp.build's default)."""
    configured = os.environ.get("TIMELISTE_WEBAPP_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[1] / "build" / "webapp"


def build_id(folder: Path) -> str | None:
    try:
        value = json.loads((folder / "BUILD.json").read_text())["build_id"]
    except (OSError, ValueError, KeyError):
        return None
    return str(value)
