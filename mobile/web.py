"""`timeliste app --web`: the app served to browsers and phones on the network.

Flet's web mode runs one Python session per browser tab; each gets its own
controller, and each browser its own device store (a random key kept in the
browser's storage picks the folder). CanvasKit and fonts come from the
flet-web package (`no_cdn=True`), so the app works without the internet.
"""

from __future__ import annotations

import os

import flet as ft
import uvicorn

from mobile.app import make_main


def asgi_app(server_url: str | None = None):  # type: ignore[no-untyped-def]
    """The ASGI app that serves the Flet web client and its sessions."""
    return ft.run(
        make_main(web=True, default_server=server_url),
        export_asgi_app=True,
        no_cdn=True,
        view=ft.AppView.WEB_BROWSER,
    )


def serve(host: str, port: int, server_url: str | None = None) -> int:
    if server_url:
        os.environ["TIMELISTE_SERVER_URL"] = server_url
    uvicorn.run(asgi_app(server_url), host=host, port=port, log_level="warning")
    return 0
