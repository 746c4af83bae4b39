"""flet's component helpers, typed where flet's own hints leave mypy blind.

- `use_state_from(factory)`: flet hints `use_state`'s argument as "a value or
  a factory"; handed a factory (a desk class, a lambda) mypy cannot tell the
  two apart and infers nothing, so the factory case is named here.
- `memo(component)`: flet's `memo` has no hints at all.
- `keyed(key, component, *args)`: flet's component wrapper takes a `key`
  keyword that the component itself never sees, so the component's signature
  cannot name it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

import flet as ft

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
