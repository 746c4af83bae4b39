"""flet's component helpers, typed where flet's own hints leave mypy blind.

- `use_state_from(factory)`: flet hints `use_state`'s argument as "a value or
  a factory"; handed a factory (a desk class, a lambda) mypy cannot tell the
  two apart and infers nothing, so the factory case is named here.
- `memo(component)`: flet's `memo` has no hints at all.
- `keyed(key, component, *args)`: flet's component wrapper takes a `key`
  keyword that the component itself never sees, so the component's signature
  cannot name it.

And the office's hooks, because every office screen opens the same way:
- `use_desk(Desk)`: the screen's desk, a client for the server and the
  signed-in user, the desk loaded as soon as there is a client.
- `use_api()` and `use_load(api, load)`: the two halves of it, for panels
  that are handed their client by the screen they sit on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, cast

import flet as ft

from mobile.context import OfficeSession, use_office_session

if TYPE_CHECKING:
    from mobile.office.api import OfficeApi

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

# flet's hook, seen through the one shape this module uses.
_use_state: Callable[[Callable[[], Any]], tuple[Any, Callable[[Any], None]]] = ft.use_state


def use_state_from(factory: Callable[[], T]) -> tuple[T, Callable[[T], None]]:
    """The component's state, made once by `factory`, and its setter."""
    state, setter = _use_state(factory)
    return cast(T, state), setter


def memo(component: Callable[P, R]) -> Callable[P, R]:
    """`component` re-rendered only when its arguments change (flet's `memo`)."""
    return cast(Callable[P, R], ft.memo(component))  # type: ignore[no-untyped-call]


def keyed(key: str, component: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`component(*args, **kwargs)` under `key`, so flet keeps its state apart per key."""
    render = cast(Callable[..., R], component)
    return render(*args, key=key, **kwargs)


# --- the office ------------------------------------------------------------------------------


class Loads(Protocol):
    """A desk: it loads its data from the server."""

    async def load(self, api: OfficeApi) -> None: ...


D = TypeVar("D", bound=Loads)


@dataclass
class _ApiHolder:
    """The screen's client and the sign-in it was made for (a new sign-in, a new client)."""

    api: OfficeApi | None = None
    key: tuple[str, str] | None = None


def use_api() -> tuple[OfficeSession | None, OfficeApi | None]:
    """The signed-in office user and a client for the server, kept for the screen's life."""
    # Imported here: mobile.office's screens import this module, and importing the
    # office package from its top would go round in a circle.
    from mobile.office.api import OfficeApi

    session = use_office_session()
    holder = use_state_from(_ApiHolder)[0]
    key = (session.server_url, session.token) if session else None
    if holder.key != key:
        holder.key = key
        holder.api = OfficeApi(session.server_url, session.token) if session else None
    api = holder.api

    async def close() -> None:
        if holder.api is not None:
            await holder.api.close()

    ft.on_unmounted(close)
    return session, api


def use_load(
    api: OfficeApi | None,
    load: Callable[[OfficeApi], Awaitable[None]],
    *keys: object,
) -> None:
    """Load the screen's data as soon as there is a signed-in client, and again if it changes.

    Opened as the first page (a bookmark), a screen renders before the app has
    restored the sign-in: an effect run only on mount would find no client and
    never load, and the screen would show its empty state as if it were true.
    """

    async def run() -> None:
        if api is not None:
            await load(api)

    ft.use_effect(run, [api, *keys])


async def _load_desk(desk: Loads, api: OfficeApi, session: OfficeSession) -> None:
    await desk.load(api)


def use_desk(
    factory: Callable[[], D],
    load: Callable[[D, OfficeApi, OfficeSession], Awaitable[None]] | None = None,
    *keys: object,
) -> tuple[D, OfficeApi | None, OfficeSession | None]:
    """An office screen's opening: its desk (made once), the client and the signed-in user.

    The desk is loaded with `desk.load(api)`, or with `load(desk, api, session)`
    when the screen loads otherwise, as soon as there is a client and again when
    the sign-in or one of `keys` changes. Without a sign-in the client and the
    user are None, and the screen shows its placeholder.
    """
    session, api = use_api()
    desk = use_state_from(factory)[0]
    run = load or _load_desk

    async def load_desk(client: OfficeApi) -> None:
        if session is not None:
            await run(desk, client, session)

    use_load(api, load_desk, *keys)
    return desk, api, session
