"""The FastAPI application factory."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

from server import errors, middleware
from server.config import Settings, get_settings
from server.db import make_engine, make_sessionmaker
from server.payroll import routes as payroll_routes
from server.routes import auth, devices, health, lifecycle, office, queue, sync, timesheets
from server.routes import second_factor as second_factor_routes

API_PREFIX = "/api/v1"

# Allocations between two young-generation collections in a served worker
# (Python's default: 700). See `create_served_app`.
GC_YOUNG_THRESHOLD = 20_000


class TimelisteApp(FastAPI):
    """FastAPI with `errors.ContainErrors` outside everything, even Starlette's own
    ServerErrorMiddleware, so no unhandled exception reaches a log with its text.

    The security headers wrap even that: the 500s that ServerErrorMiddleware and
    ContainErrors answer with are answers too, and carry them like any other.
    """

    def build_middleware_stack(self) -> ASGIApp:
        return middleware.SecurityHeaders(errors.ContainErrors(super().build_middleware_stack()))

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            document = errors.declare_problems(super().openapi())
            self.openapi_schema = middleware.declare_no_control_characters(document)
        return self.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready app bound to the settings' database (whose schema must be current)."""
    settings = settings or get_settings()
    engine = make_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = TimelisteApp(
        title="Timeliste API",
        version="1.0",
        description="Timesheets for støttekontakt services (docs/rules.md §13).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = make_sessionmaker(engine)
    errors.install(app)
    # Added last = outer; SecurityHeaders sits outside all of these (TimelisteApp),
    # so the 400 and 413 they answer with carry the headers too.
    app.add_middleware(middleware.RefuseControlCharacters)
    app.add_middleware(middleware.LimitBody)

    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(auth.me_router)
    app.include_router(second_factor_routes.router)
    app.include_router(second_factor_routes.admin_router)
    # Before office: its /decisions/{decision_id} would take /decisions/expiring.
    app.include_router(lifecycle.router)
    app.include_router(devices.router)
    app.include_router(office.router)
    app.include_router(sync.router)
    app.include_router(timesheets.router)
    app.include_router(queue.router)
    # Payroll's routes go here (server.payroll.routes).
    app.include_router(payroll_routes.router)
    _serve_web_app(app)
    return app


def _serve_web_app(app: FastAPI) -> None:
    """The contact's app (webapp.build's output) at `/`: every path no route claims.

    Same origin as the API, so the app in the browser needs no CORS. API paths
    that match no route keep the API's own JSON 404.
    """
    from webapp.static import WebApp, build_folder

    app.router.default = WebApp(build_folder(), api_not_found=app.router.default)


def create_served_app() -> FastAPI:
    """`create_app` for `timeliste serve`, with the garbage collector set for serving.

    A push of 500 allocates a few hundred thousand objects (request JSON,
    models, rows), and with Python's default thresholds the collector ran
    about sixty times per push, every tenth of them over everything the
    worker had loaded (SQLAlchemy's and pydantic's structures: ~170,000
    objects): half of a push's CPU time on PostgreSQL (measured in-process,
    500-entry pushes; docs/PERFORMANCE.md). What exists once the app is built
    lives as long as the worker, so it is frozen out of the collector's scans
    (`gc.freeze`), and young collections run after 20,000 allocations instead
    of 700. Reference counting still frees almost everything at once; the
    collector is only for cycles, which now wait a little longer.
    Only the served worker does this: tests build apps many times.
    """
    app = create_app()
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)
    return app
