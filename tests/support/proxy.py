"""A tiny HTTP proxy on loopback that can lose answers and fail requests on purpose.

    with FaultyProxy(server.base_url) as proxy:
        proxy.drop_answers("/api/v1/sync/push", 1)   # forward, then hang up without answering
        proxy.fail("/api/v1/sync/push", 2, status=503)  # answer 503 without forwarding
        proxy.offline = True                            # hang up on everything
        client = SyncClient(store, proxy.base_url, token)

It records every exchange (`proxy.log`) so a test can see what the server
answered to a request whose answer the client never got.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-authenticate",
    "content-length",
}


@dataclass
class Exchange:
    method: str
    path: str
    status: int | None  # None: the proxy failed to reach the server
    answer: bytes
    delivered: bool  # False: the client never got this answer


@dataclass
class _Rules:
    drop: dict[str, int] = field(default_factory=dict)
    fail: dict[str, tuple[int, int, bytes, str]] = field(default_factory=dict)


class FaultyProxy:
    """Forwards to `upstream`; loses or fails chosen requests by path prefix."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.log: list[Exchange] = []
        self.offline = False  # True: hang up on every request without forwarding it
        self._rules = _Rules()
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output quiet

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if proxy.offline:
                    proxy._record(self.command, self.path, None, b"", delivered=False)
                    self.close_connection = True
                    return  # hang up at once, as a dead mobile network does
                failure = proxy._take_failure(self.path)
                if failure is not None:
                    status, content, content_type = failure
                    self._reply(status, content, {"Content-Type": content_type})
                    proxy._record(self.command, self.path, status, content, delivered=True)
                    return
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP | {"host"}
                }
                try:
                    answer = httpx.request(
                        self.command,
                        proxy.upstream + self.path,
                        headers=headers,
                        content=body,
                        timeout=30.0,
                    )
                except httpx.TransportError:
                    proxy._record(self.command, self.path, None, b"", delivered=False)
                    self.close_connection = True
                    return  # hang up: the server is not there
                if proxy._take_drop(self.path):
                    # The server did the work; the client never hears of it.
                    proxy._record(
                        self.command, self.path, answer.status_code, answer.content, delivered=False
                    )
                    self.close_connection = True
                    return
                self._reply(answer.status_code, answer.content, dict(answer.headers))
                proxy._record(
                    self.command, self.path, answer.status_code, answer.content, delivered=True
                )

            def _reply(self, status: int, content: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = _handle  # noqa: N815
            do_POST = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def drop_answers(self, path_prefix: str, count: int = 1) -> None:
        """Forward the next `count` requests under `path_prefix` but lose their answers."""
        with self._lock:
            self._rules.drop[path_prefix] = count

    def fail(
        self,
        path_prefix: str,
        count: int = 1,
        *,
        status: int = 503,
        body: bytes = b'{"title":"injected failure"}',
        content_type: str = "application/problem+json",
    ) -> None:
        """Answer the next `count` requests under `path_prefix` with `status`, unforwarded.

        With `status=200` and an HTML `body` it plays a Wi-Fi login page.
        """
        with self._lock:
            self._rules.fail[path_prefix] = (count, status, body, content_type)

    def _take_drop(self, path: str) -> bool:
        with self._lock:
            for prefix, left in self._rules.drop.items():
                if path.startswith(prefix) and left > 0:
                    self._rules.drop[prefix] = left - 1
                    return True
        return False

    def _take_failure(self, path: str) -> tuple[int, bytes, str] | None:
        with self._lock:
            for prefix, (left, status, body, content_type) in self._rules.fail.items():
                if path.startswith(prefix) and left > 0:
                    self._rules.fail[prefix] = (left - 1, status, body, content_type)
                    return status, body, content_type
        return None

    def _record(
        self, method: str, path: str, status: int | None, answer: bytes, *, delivered: bool
    ) -> None:
        with self._lock:
            self.log.append(Exchange(method, path, status, answer, delivered))

    def requests_to(self, path_prefix: str) -> list[Exchange]:
        with self._lock:
            return [e for e in self.log if e.path.startswith(path_prefix)]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultyProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
