"""Settings: SQLite by default, PostgreSQL from DATABASE_URL, no unsafe secrets in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from server.config import Settings


def test_sqlite_in_the_data_dir_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("TIMELISTE_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.sqlalchemy_url == f"sqlite:///{tmp_path / 'timeliste.sqlite3'}"
    assert settings.is_sqlite


def test_database_url_selects_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/timeliste")
    settings = Settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db:5432/timeliste"
    assert not settings.is_sqlite


def test_production_refuses_the_development_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMELISTE_ENVIRONMENT", "production")
    monkeypatch.delenv("TIMELISTE_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="TIMELISTE_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("TIMELISTE_SECRET_KEY", "short")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("TIMELISTE_SECRET_KEY", "k" * 40)
    assert Settings().environment == "production"


def test_pay_cutoff_day_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMELISTE_PAY_CUTOFF_DAY", "31")
    with pytest.raises(ValidationError):
        Settings()
