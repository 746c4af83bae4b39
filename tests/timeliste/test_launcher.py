"""`make run` (timeliste.launcher): one server, one address, and plain words when it fails."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer, free_port
from timeliste.launcher import phone_address, port_taken, run

REPO = Path(__file__).resolve().parents[2]


def test_a_loopback_host_is_printed_as_given_with_a_warning() -> None:
    address, warning = phone_address("127.0.0.1")
    assert address == "127.0.0.1"
    assert warning is not None
    assert "--host 0.0.0.0" in warning


def test_a_chosen_host_is_the_address_printed() -> None:
    assert phone_address("10.20.30.40") == ("10.20.30.40", None)


def test_every_interface_prints_a_network_address_or_says_there_is_none() -> None:
    address, warning = phone_address("0.0.0.0")  # noqa: S104
    assert not address.startswith("127.") or warning is not None


def test_a_taken_port_is_seen_and_reported_before_anything_starts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert port_taken("127.0.0.1", port)
        code = run(argparse.Namespace(host="127.0.0.1", port=port))
    assert code == 2
    said = capsys.readouterr().err
    assert f"port {port} is already in use" in said
    assert f"--port {port + 1}" in said
    assert not port_taken("127.0.0.1", port)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    if not path.exists():
        pytest.skip("needs /proc to find the server process")
    return [int(child) for child in path.read_text().split()]


@pytest.mark.slow
def test_run_serves_app_and_api_on_one_address_and_says_when_the_server_dies(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = LiveServer(tmp_path, start=False).environment()
    launcher = subprocess.Popen(
        [sys.executable, "-m", "timeliste", "run", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert launcher.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 600  # a fresh clone builds the app first
        while time.monotonic() < deadline:
            line = launcher.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Stop with Ctrl-C" in line:
                break
        printed = "".join(lines)
        assert f"  http://127.0.0.1:{port}/\n" in printed, printed
        assert "a phone cannot reach it" in printed
        assert "kontakt1" in printed or "støttekontakt" in printed

        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
        assert page.status_code == 200
        assert "flet.pyodide = true" in page.text
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200

        (server,) = _children(launcher.pid)
        os.kill(server, signal.SIGKILL)
        code = launcher.wait(timeout=30)
        assert code != 0
        assert launcher.stderr is not None
        assert "the server stopped unexpectedly" in launcher.stderr.read()
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            launcher.wait(timeout=30)
