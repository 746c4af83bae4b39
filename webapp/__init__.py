"""The contact's app as a web app with Python in the browser (SPEC §6).

`webapp.build` assembles it from flet-web's prebuilt Flutter client and Pyodide
runtime, the project's `models/`, `sync/` and `mobile/`, and wheels fetched
from the package registry; `webapp.static` serves the result beside the API.
Nothing here imports the server or the app: it only reads and writes files.
"""
