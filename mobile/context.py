"""Handing the session's controller and state to the views (ft.create_context, no globals)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import flet as ft

if TYPE_CHECKING:
    from mobile.controller import Controller
    from mobile.state import AppState

ControllerContext: Any = ft.create_context(None)
StateContext: Any = ft.create_context(None)


def use_controller() -> Controller:
    controller: Controller = ft.use_context(ControllerContext)
    return controller


def use_app() -> AppState:
    """The session's AppState; the calling view re-renders when it changes."""
    state: AppState = ft.use_context(StateContext)
    return state


@dataclass(frozen=True)
class OfficeSession:
    """What an office view needs to talk to the server as the signed-in user."""

    server_url: str
    username: str
    role: str
    token: str
    lang: str


def use_office_session() -> OfficeSession | None:
    """The signed-in office user (coordinator, payroll, admin), or None."""
    controller = use_controller()
    state = use_app()
    if state.account is None or controller.token is None:
        return None
    return OfficeSession(
        server_url=state.account.server_url,
        username=state.account.username,
        role=state.account.role,
        token=controller.token,
        lang=state.lang,
    )
