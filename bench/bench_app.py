"""How quickly the phone app answers in Chromium, against a real server.

    .venv/bin/python bench/bench_app.py [--repeat 5] [--entries 60]

Starts `timeliste serve` (temporary SQLite), a contact with two vedtak and
`--entries` sessions already logged, `timeliste app --web`, and Debian's
Chromium at 390×844. It times:

  - open → home: from opening the app URL (signed in on this browser, as a
    contact is after the first day) to the home screen with its meters;
  - open → login: the same for a browser that has never signed in;
  - Lagre → shown: from tapping "Lagre" on a filled-in session to that
    session shown on the home screen (saved on the phone, meters updated).

Baseline: a bare Flet app (one text, one button) served the same way, in the
same browser — page open → text shown, and button tap → new text shown. The
ratio says what the app adds to what Flet and the browser cost anyway.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from models.clock import today_in_oslo
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, Phone, seed, start_app_server
from tests.support.live_server import LiveServer, free_port

BASELINE_APP = textwrap.dedent(
    """
    import sys
    import flet as ft
    import uvicorn

    def main(page: ft.Page):
        label = ft.Text("Klar")

        def tap(_):
            label.value = f"Trykket {tap.count}"
            tap.count += 1

        tap.count = 1
        page.add(label, ft.Button("Trykk", on_click=tap))

    app = ft.run(main, export_asgi_app=True, no_cdn=True, view=ft.AppView.WEB_BROWSER)
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def wait_http(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the baseline app exited")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("the baseline app did not start")


def push_history(server: LiveServer, username: str, decision_ids: list[str], count: int) -> None:
    """`count` past sessions, as if the contact had used the app for a while."""
    token = server.login(username)
    today = today_in_oslo()
    mutations = []
    for n in range(count):
        day = today - timedelta(days=1 + n % 25)
        hour = 8 + (n // 25) * 3
        mutations.append(
            {
                "mutation_id": n + 1,
                "type": "entry.upsert",
                "data": {
                    "id": str(uuid.uuid4()),
                    "decision_ids": [decision_ids[n % len(decision_ids)]],
                    "date": day.isoformat(),
                    "start": f"{hour:02d}:00",
                    "end": f"{hour + 1:02d}:30",
                    "activities": ["Tur"],
                    "trips": [],
                    "expenses": [],
                },
            }
        )
    server.api(
        "POST",
        "/api/v1/sync/push",
        token=token,
        json={"device_id": "bench-history", "mutations": mutations},
        expect=200,
    )


def bench_baseline(browser: Any, repeat: int, folder: Path) -> tuple[float, float]:
    script = folder / "baseline_app.py"
    script.write_text(BASELINE_APP)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(script), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/"
        wait_http(url, process)
        opens, taps = [], []
        for _ in range(repeat):
            context = browser.new_context(viewport=PHONE)
            phone = Phone(context.new_page(), url)
            started = time.perf_counter()
            phone.open()
            phone.wait_text("Klar")
            opens.append(time.perf_counter() - started)
            for n in range(1, 4):
                started = time.perf_counter()
                phone.click("Trykk")
                phone.wait_text(f"Trykket {n}")
                taps.append(time.perf_counter() - started)
            context.close()
        return median_ms(opens), median_ms(taps)
    finally:
        process.terminate()
        process.wait(timeout=10)


def bench_app(browser: Any, repeat: int, entries: int, folder: Path) -> dict[str, float]:
    with LiveServer(folder / "server") as server:
        server.add_user("koord", "coordinator")
        seeded = seed(
            server, people={"Ola Nordmann": ("200", "month"), "Per Hansen": ("8", "week")}
        )
        push_history(server, seeded.username, list(seeded.decisions.values()), entries)
        app = start_app_server(server.base_url, folder / "app")
        try:
            logins, homes, saves = [], [], []
            for round_no in range(repeat):
                context = browser.new_context(viewport=PHONE)
                phone = Phone(context.new_page(), app.url)
                started = time.perf_counter()
                phone.open()
                phone.textbox("Brukernavn").wait_for()
                logins.append(time.perf_counter() - started)
                phone.login(seeded.username)
                phone.wait_text("Synkronisert", timeout_ms=60_000)

                # The contact comes back later: the browser remembers the login.
                page = context.new_page()
                phone = Phone(page, app.url)
                started = time.perf_counter()
                phone.open()
                phone.wait_text("Brukt .* av 200 t")
                homes.append(time.perf_counter() - started)
                context.pages[0].close()

                for n in range(3):
                    start = f"{20 + n}:{round_no:02d}"
                    end = f"{20 + n}:{round_no + 30:02d}"
                    phone.click("Ny økt")
                    phone.wait_text("Hvem gjaldt økten")
                    phone.choose("Ola N.")
                    phone.fill("Fra", start)
                    phone.fill("Til", end)
                    started = time.perf_counter()
                    phone.click("Lagre")
                    phone.wait_text(rf"Ola N\.: [0-9.]+ {start}–{end}")
                    saves.append(time.perf_counter() - started)
                context.close()
            return {
                "login": median_ms(logins),
                "home": median_ms(homes),
                "save": median_ms(saves),
            }
        finally:
            app.process.terminate()
            app.process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--entries", type=int, default=60)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            base_open, base_tap = bench_baseline(browser, args.repeat, Path(tmp))
            figures = bench_app(browser, args.repeat, args.entries, Path(tmp))
        finally:
            browser.close()
    print(
        f"Chromium {PHONE['width']}×{PHONE['height']}, median of {args.repeat} rounds, "
        f"{args.entries} earlier sessions on the server"
    )
    print(f"{'':34}{'app ms':>10}{'bare Flet ms':>14}{'ratio':>8}")
    rows = [
        ("open URL → usable home (signed in)", figures["home"], base_open),
        ("open URL → login screen", figures["login"], base_open),
        ('tap "Lagre" → entry shown on home', figures["save"], base_tap),
    ]
    for name, value, baseline in rows:
        print(f"{name:34}{value:10.0f}{baseline:14.0f}{value / baseline:8.2f}")


if __name__ == "__main__":
    main()
