"""The app's entry point in the browser, imported as `main` by webapp/python-worker.js.

`prepare()` runs while Flutter is still loading and imports what the first
screen needs, so that `start()`, called when Flutter connects, only runs it.

The store's folder, the Web Lock and the server's address are set up by
`mobile.platform` once the page's session starts (`mobile.app.make_main`).
"""

import os


def prepare() -> None:
    # pydantic looks for plugins in every installed distribution's metadata
    # when it builds its first model: a slow scan here, and the app has none.
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    import pydantic

    # Each model's validator is built when first used, not at import: the
    # phone's first screen uses few of the models the contract defines.
    pydantic.BaseModel.model_config["defer_build"] = True

    import mobile.app  # noqa: F401  # the import is the work: done before Flutter asks


def start() -> None:
    import flet as ft

    from mobile.app import make_main

    ft.run(make_main(web=False))
