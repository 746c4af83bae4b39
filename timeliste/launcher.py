"""`make run`: prepare the database, seed a demo municipality when it is new,
start the API server and the web app, and tell the user where to go.

Server and app run as child processes of this one, so Ctrl-C stops both and
each keeps its own event loop.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import date

import httpx

from timeliste.demo import CONTACTS, PASSWORD, STAFF, Seeder


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "timeliste", *args]


def _lan_address() -> str:
    """The address other devices on the network reach this machine by."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # UDP connect sends nothing; it only asks the kernel which interface it would use.
        probe.connect(("192.0.2.1", 9))
        return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"Timeliste: {url} stopped before it answered (exit {process.returncode})."
            )
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"Timeliste: {url} did not answer within {seconds:.0f} s.")


def _add_user(username: str, role: str) -> bool:
    """Create a login; False when it exists already (the database is not new)."""
    done = subprocess.run(
        _command("user", "add", username, "--role", role, "--password-stdin"),
        input=PASSWORD.encode(),
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    env = os.environ
    # A service manager stops us with SIGTERM; treat it like Ctrl-C so the
    # children are stopped too instead of being left running.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    subprocess.run(_command("db", "upgrade"), check=True)

    # The demo's staff accounts are created only in a database that has none of
    # them: an existing municipality's data is never mixed with demo data.
    fresh = _add_user(STAFF[0][0], STAFF[0][1])
    if fresh:
        for username, role in STAFF[1:]:
            _add_user(username, role)

    processes: list[subprocess.Popen[bytes]] = []
    try:
        # Children get a session of their own: Ctrl-C reaches only this process,
        # which then stops them in order instead of each dying mid-sentence.
        server = subprocess.Popen(
            _command("serve", "--host", args.host, "--port", str(args.api_port)),
            start_new_session=True,
        )
        processes.append(server)
        local_api = f"http://127.0.0.1:{args.api_port}"
        _wait_for(f"{local_api}/healthz", server)
        if fresh:
            print("Timeliste: preparing the demo municipality …", flush=True)
            Seeder(local_api, date.today()).seed()

        lan = _lan_address()
        app_env = {**env, "TIMELISTE_SERVER_URL": f"http://{lan}:{args.api_port}"}
        app = subprocess.Popen(
            _command("app", "--web", "--host", args.host, "--port", str(args.app_port)),
            env=app_env,
            start_new_session=True,
        )
        processes.append(app)
        _wait_for(f"http://127.0.0.1:{args.app_port}/", app, seconds=120)

        print(
            "\n".join(
                [
                    "",
                    "Timeliste is running.",
                    f"  App (phone or browser): http://{lan}:{args.app_port}/"
                    f"   (on this machine: http://localhost:{args.app_port}/)",
                    f"  API server:             http://{lan}:{args.api_port}/api/v1/docs",
                    "",
                    f"Demo logins (password for all: {PASSWORD}):",
                    *(f"  {c.username:<12} støttekontakt  {c.name}" for c in CONTACTS),
                    *(f"  {username:<12} {role}" for username, role in STAFF),
                    "",
                    "Stop with Ctrl-C.",
                ]
            ),
            flush=True,
        )
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
