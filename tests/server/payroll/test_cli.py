"""`timeliste export` in a real subprocess, against a SQLite file in a data folder."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from server.db import make_engine, make_sessionmaker
from server.migrate import upgrade
from tests.server.payroll.conftest import Municipality


def _run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIMELISTE_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    env.pop("TIMELISTE_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "timeliste", "export", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export-data")
    url = f"sqlite:///{folder / 'timeliste.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        town = Municipality(session)
        kari = town.contact("1001")
        vedtak = town.decision(town.recipient("2025/123"), [kari])
        town.approve_entry(town.entry(kari, [vedtak], date(2026, 3, 2), minutes=90))
        town.approve_entry(town.entry(kari, [vedtak], date(2026, 4, 2), minutes=30))
    engine.dispose()
    return folder


def test_export_makes_a_batch_and_downloads_it_again(data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "mars.txt"
    made = _run(["--period", "2026-03", "--format", "visma", "--out", str(out)], data_dir)
    assert made.returncode == 0, made.stderr
    assert (
        out.read_bytes() == b'0;0;1001;1100;0.00;1.50;250.00;375.00;;;"";"";"";"";"";"2025/123"\r\n'
    )
    assert "Lønnsbunt 1" in made.stdout

    nothing = _run(
        ["--period", "2026-03", "--format", "visma", "--out", str(tmp_path / "x")], data_dir
    )
    assert nothing.returncode == 3
    assert "ingen godkjente timer" in nothing.stderr
    assert not (tmp_path / "x").exists()

    batch_id = made.stdout.split("(")[1].split(")")[0]
    again = tmp_path / "again.txt"
    result = _run(["--batch", batch_id, "--format", "visma", "--out", str(again)], data_dir)
    assert result.returncode == 0, result.stderr
    assert again.read_bytes() == out.read_bytes()

    csv_out = tmp_path / "rest.csv"
    rest = _run(["--format", "csv", "--out", str(csv_out)], data_dir)
    assert rest.returncode == 0, rest.stderr
    assert csv_out.read_text(encoding="utf-8").splitlines()[1] == (
        "1001,2025/123,2026-04,1100,0.50,250.00,125.00"
    )


def test_export_refuses_bad_arguments(data_dir: Path, tmp_path: Path) -> None:
    bad = _run(["--period", "2026-13", "--out", str(tmp_path / "f")], data_dir)
    assert bad.returncode == 2
    assert "YYYY-MM" in bad.stderr
    unknown = _run(["--batch", "nope", "--out", str(tmp_path / "f")], data_dir)
    assert unknown.returncode == 1
    assert "finnes ikke" in unknown.stderr
