"""The app's entry point in the browser, imported as `main` by webapp/python-worker.js.

`prepare()` runs while Flutter is still loading: it imports what the first
screen needs and reads the phone's store (mobile.device.open_early), so that
`start()`, called when Flutter connects, only runs the app.

The store's folder, the Web Lock and the server's address are set up by
`mobile.platform` once the page's session starts (`mobile.app.make_main`).
"""

import importlib
import os
import sys
from collections.abc import Iterator
from types import CodeType


async def prepare() -> None:
    # pydantic looks for plugins in every installed distribution's metadata
    # when it builds its first model: a slow scan here, and the app has none.
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    import pydantic

    # Each model's validator is built when first used, not at import: the
    # phone's first screen uses few of the models the contract defines.
    pydantic.BaseModel.model_config["defer_build"] = True

    import mobile.app  # noqa: F401  # the import is the work: done before Flutter asks
    from mobile.device import open_early
    from mobile.platform import mark

    warm_flet()
    mark("app imported")
    await open_early()


def _code_names(code: CodeType) -> Iterator[str]:
    yield from code.co_names
    for constant in code.co_consts:
        if isinstance(constant, CodeType):
            yield from _code_names(constant)


def warm_flet() -> None:
    """Import now the parts of flet the app's first screens will use.

    `import flet` imports almost nothing: each `ft.Name` is imported when first
    touched (PEP 562), so the controls, the page and flet's runner were
    imported while the first screens rendered, after Flutter had connected
    (a second of the start in the browser). Every flet name the app's
    already-imported modules mention is resolved here instead, while Flutter
    is still loading; the screens imported later (entry, month, office) are not.
    """
    import flet

    lazy = getattr(flet, "_LAZY", {})
    names: set[str] = set()
    for name, module in list(sys.modules.items()):
        if not (name == "mobile" or name.startswith("mobile.")):
            continue
        loader = getattr(getattr(module, "__spec__", None), "loader", None)
        get_code = getattr(loader, "get_code", None)
        code = get_code(name) if get_code is not None else None
        if code is not None:
            names.update(_code_names(code))
    for name in sorted(names & lazy.keys()):
        getattr(flet, name)
    importlib.import_module("flet.app")
    if sys.platform == "emscripten":
        importlib.import_module("flet.messaging.pyodide_connection")


def start() -> None:
    import flet as ft

    from mobile.app import make_main

    ft.run(make_main(web=False))
