"""What the app imports before its first screen in the browser, where each module costs.

In the browser (Pyodide) every module imported before the first screen is time
the contact waits for. These run natively, in a fresh interpreter each, and
check what `webapp/browser_main.py` and the app's imports promise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_contact_app_imports_no_office_screen_and_no_chart() -> None:
    # The sign-in screen uses a piece of mobile.office.common: that must not
    # bring the office's screens (charts, the signature canvas) along.
    found = _run(
        "import json, sys; import mobile.app; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith("
        "('flet_charts', 'mobile.office.views', 'mobile.office.dashboard', 'flet.canvas')))))"
    )
    assert found == []


def test_the_office_screens_are_still_there_when_asked_for() -> None:
    found = _run(
        "import json; from mobile.office import office_routes, OfficeHome; "
        "print(json.dumps({'routes': len(office_routes()) > 0, 'home': callable(OfficeHome)}))"
    )
    assert found == {"routes": True, "home": True}


def test_flet_is_warmed_before_flutter_connects() -> None:
    # flet imports each control on first use; prepare() resolves the ones the
    # imported screens mention, and flet's runner, before the first screen.
    found = _run(
        "import json, sys; import mobile.app, flet; "
        "before = {n for n in ('View', 'TextField', 'Text', 'Router') if n in vars(flet)}; "
        "from webapp.browser_main import warm_flet; warm_flet(); "
        "after = {n for n in ('View', 'TextField', 'Text', 'Router') if n in vars(flet)}; "
        "print(json.dumps({'before': sorted(before), 'after': sorted(after), "
        "'runner': 'flet.app' in sys.modules}))"
    )
    assert found["after"] == ["Router", "Text", "TextField", "View"]
    assert found["before"] != found["after"]  # else the warming is no longer needed
    assert found["runner"] is True


def test_httpx_is_imported_after_the_first_screen_not_before() -> None:
    # httpx (with idna and its transports) is a few hundred ms in the browser:
    # the app's first sync imports it once the home screen is drawn
    # (sync.transport.after_first_screen), sign-in and sign-out when used.
    found = _run(
        "import json, sys; import mobile.app, mobile.device, mobile.platform; "
        "from webapp.browser_main import warm_flet; warm_flet(); "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('httpx', 'httpcore', 'idna', 'h11', 'anyio'))))"
    )
    assert found == []


def test_the_sync_client_imports_httpx_at_its_first_request() -> None:
    found = _run(
        "import asyncio, json, sys, tempfile; from pathlib import Path; "
        "from sync.client import SyncClient; from sync.store import DeviceStore; "
        "store = DeviceStore(Path(tempfile.mkdtemp()) / 's.json'); "
        "client = SyncClient(store, 'http://127.0.0.1:9', 'token', max_attempts=1); "
        "made = 'httpx' in sys.modules; "
        "status = asyncio.run(client.sync()); asyncio.run(client.aclose()); "
        "print(json.dumps({'at_init': made, 'after_sync': 'httpx' in sys.modules, "
        "'offline': status.state.value}))"
    )
    assert found == {"at_init": False, "after_sync": True, "offline": "offline"}
