"""The office's state: observable desks that hold data, never controls.

One module per desk, named as the view that shows it (`mobile/office/flags.py`
shows `mobile/office/state/flags.py`, the start page of `views.py` shows
`home.py`); what several desks share is in `common.py`. Each desk is one
screen's worth of data plus the async actions that change it through
`OfficeApi`. Views read them and call their methods; nothing here touches a
page, so every desk is tested against a real server without a browser
(tests/mobile/test_office_state.py). Validation of the registration forms uses
the schemas in `models.schemas`, so the office reads the same Norwegian
messages as the server would send.
"""
