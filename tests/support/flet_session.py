"""A flet session in-process, with the browser's side of flet's protocol played by the test.

There is no Flutter client here (the real app is driven in Chromium by
`tests/e2e`); this stands in for it only where a browser cannot be made to
hit a timing on purpose: a value arriving while its change event waits. The
session, the components, the diff and the messages are flet's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import flet as ft
from flet.controls.context import _context_page
from flet.messaging.connection import Connection
from flet.messaging.protocol import Message, MessageAction
from flet.messaging.session import Session
from flet.pubsub.pubsub_hub import PubSubHub


class _Recorder(Connection):
    """Keeps what the session would send to the browser."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Message] = []
        self.pubsubhub = PubSubHub()

    def send_message(self, message: Message) -> None:
        self.sent.append(message)


class BrowserSide:
    """A rendered component tree and what the browser would do and receive."""

    def __init__(self, component: Callable[..., Any], *args: Any) -> None:
        self.connection = _Recorder()
        self.connection.loop = asyncio.get_running_loop()
        self.session = Session(self.connection)
        _context_page.set(self.session.page)
        self.session.page.render(component, *args)
        self.session.get_page_patch()  # what the browser gets when it registers

    async def settle(self) -> None:
        """Let flet's scheduler draw what is pending (it runs on this loop)."""
        for _ in range(5):
            await asyncio.sleep(0.01)

    def field(self, label: str) -> ft.TextField:
        """The text field labelled `label`, as flet's session holds it now."""
        found = [
            c
            for c in list(self.session.index.values())
            if isinstance(c, ft.TextField) and c.label == label
        ]
        assert len(found) == 1, f"{len(found)} fields labelled {label!r}"
        return found[0]

    def arrives(self, label: str, value: str) -> int:
        """The browser's new value reaches flet (written at once, as flet does)."""
        field_id = self.field(label)._i
        self.session.apply_patch(field_id, {"value": value})
        return field_id

    async def changed(self, field_id: int, value: str) -> None:
        """The change event of that value is handled (flet runs it later, as a task)."""
        await self.session.dispatch_event(field_id, "change", value)

    def values_sent(self) -> list[str]:
        """Every `value` the session sent to the browser, in order (a text's too)."""
        values: list[str] = []
        for message in self.connection.sent:
            if message.action == MessageAction.PATCH_CONTROL:
                for operation in message.body.patch[1:]:
                    if len(operation) == 4 and operation[2] == "value":
                        values.append(operation[3])
        return values

    def forget_sent(self) -> None:
        self.connection.sent.clear()
