"""`make run`: build the app when needed, prepare the database, seed a demo
municipality when it is new, start ONE server (the API at /api/v1, the app at /)
and tell the user the one address a phone opens.

The server runs as a child process, so Ctrl-C stops it too; when it dies on its
own, this says so and exits with its code instead of leaving a silent prompt.
"""

from __future__ import annotations

import argparse
import errno
import signal
import socket
import subprocess
import sys
import time
from datetime import date

import httpx

from timeliste.demo import CONTACTS, PASSWORD, STAFF, Seeder

ANY_ADDRESS = {"0.0.0.0", "::", ""}  # noqa: S104  # listening on every interface


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "timeliste", *args]


def _lan_address() -> str | None:
    """The address other devices on the network reach this machine by, if it has one."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        # UDP connect sends nothing; it only asks the kernel which interface it would use.
        probe.connect(("192.0.2.1", 9))
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


def phone_address(host: str) -> tuple[str, str | None]:
    """(the address to print, a warning or None) for a server listening on `host`.

    On every interface: the machine's LAN address (phones on the same network
    reach it). On one address: exactly that one, never a LAN address nobody
    listens on.
    """
    if host in ANY_ADDRESS:
        lan = _lan_address()
        if lan is None:
            return (
                "127.0.0.1",
                "This machine has no network address: only this machine can connect.",
            )
        return lan, None
    if host.startswith("127.") or host in {"localhost", "::1"}:
        return host, "Listening on this machine only: a phone cannot reach it (use --host 0.0.0.0)."
    return host, None


def port_taken(host: str, port: int) -> bool:
    """True when something already listens on host:port (checked by binding as the server will)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            return error.errno in {errno.EADDRINUSE, errno.EACCES}
    return False


def _wait_for(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"Timeliste: the server stopped before it answered (exit {process.returncode}); "
                "its messages are above."
            )
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"Timeliste: the server did not answer at {url} within {seconds:.0f} s.")


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


def _build_app() -> None:
    from webapp.build import BuildError, ensure_build

    try:
        build = ensure_build()
    except BuildError as error:
        raise SystemExit(f"Timeliste: the app could not be built: {error}") from None
    if build.rebuilt:
        print(f"Timeliste: app built (build {build.build_id}).", flush=True)


def run(args: argparse.Namespace) -> int:
    host: str = args.host
    port: int = args.port
    if port_taken(host, port):
        print(
            f"Timeliste: port {port} is already in use (another Timeliste, or another program).\n"
            f"  Stop that one, or start on another port: make run ARGS='--port {port + 1}'",
            file=sys.stderr,
        )
        return 2
    # A service manager stops us with SIGTERM; treat it like Ctrl-C so the
    # server is stopped too instead of being left running.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    _build_app()
    subprocess.run(_command("db", "upgrade"), check=True)

    # The demo's staff accounts are created only in a database that has none of
    # them: an existing municipality's data is never mixed with demo data.
    fresh = _add_user(STAFF[0][0], STAFF[0][1])
    if fresh:
        for username, role in STAFF[1:]:
            _add_user(username, role)

    server: subprocess.Popen[bytes] | None = None
    try:
        # Its own session: Ctrl-C reaches only this process, which then stops the
        # server in order instead of it dying mid-sentence.
        server = subprocess.Popen(
            _command("serve", "--host", host, "--port", str(port)), start_new_session=True
        )
        local = f"http://{'127.0.0.1' if host in ANY_ADDRESS else host}:{port}"
        _wait_for(f"{local}/healthz", server)
        if fresh:
            print("Timeliste: preparing the demo municipality …", flush=True)
            Seeder(local, date.today()).seed()

        address, warning = phone_address(host)
        url = f"http://{address}:{port}/"
        print(
            "\n".join(
                [
                    "",
                    "Timeliste is running. Open this address on the phone (same network):",
                    f"  {url}",
                    *([f"  ({warning})"] if warning else []),
                    f"  The office uses the same address; the API is at {url}api/v1/docs",
                    "  (Offline use needs HTTPS or localhost: browsers keep the app only there.",
                    "   Behind an HTTPS proxy in production; see README, 'The app on a phone'.)",
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
        while server.poll() is None:
            time.sleep(0.5)
        print(
            f"Timeliste: the server stopped unexpectedly (exit {server.returncode}); "
            "its messages are above. Start it again with `make run`.",
            file=sys.stderr,
        )
        return server.returncode or 1
    except KeyboardInterrupt:
        return 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
