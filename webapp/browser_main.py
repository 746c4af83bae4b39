"""The app's entry point in the browser: flet-web's Python worker runs this as `main`.

The store's folder, the Web Lock and the server's address are set up by
`mobile.platform` once the page's session starts (`mobile.app.make_main`).
"""

import flet as ft

from mobile.app import make_main

ft.run(make_main(web=False))
