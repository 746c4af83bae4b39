"""Entry point for `flet run` and `flet build apk|ipa` (see README: "The app on a phone")."""

import flet as ft

from mobile.app import make_main

if __name__ == "__main__":
    ft.run(make_main(web=False))
