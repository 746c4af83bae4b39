"""The server's settings: one pydantic-settings class read from the environment.

Defaults suit a developer's machine (SQLite in ./data). Anything that is not
`development` must be given a real secret, so a forgotten default never guards
health data in production.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.devices import SILENT_DAYS, WAITING_DAYS
from models.lifecycle import EXPIRING_DAYS, MAX_EXPIRING_DAYS
from models.payperiod import MAX_CUTOFF_DAY
from models.retention import RETENTION_YEARS

DEVELOPMENT_SECRET = "development-only-secret-change-me"  # noqa: S105 - refused outside development
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Every knob of the server, from `TIMELISTE_*` variables (and `DATABASE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="TIMELISTE_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("data")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "TIMELISTE_DATABASE_URL")
    )
    # Token hashes are keyed with it: a stolen database alone gives no usable token.
    secret_key: str = DEVELOPMENT_SECRET
    token_ttl_minutes: int = Field(default=12 * 60, gt=0)
    pay_cutoff_day: int | None = Field(default=None, ge=1, le=MAX_CUTOFF_DAY)
    # A vedtak ending within this many days is listed as expiring (docs/rules.md §9).
    expiring_decision_days: int = Field(default=EXPIRING_DAYS, ge=0, le=MAX_EXPIRING_DAYS)
    # Settled pay periods are deleted this many years after they end; the law asks for 5.
    retention_years: int = Field(default=RETENTION_YEARS, ge=RETENTION_YEARS, le=30)
    # The office is told of phones holding a change this long, or silent this long
    # while their contact has open timesheets (docs/rules.md §11 "Devices").
    device_waiting_days: int = Field(default=WAITING_DAYS, ge=1, le=365)
    device_silent_days: int = Field(default=SILENT_DAYS, ge=1, le=365)

    # Argon2id cost; tests lower it, production keeps the library's defaults.
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_cost: int = Field(default=65536, ge=8)
    argon2_parallelism: int = Field(default=4, ge=1)

    # Login throttling (docs/rules.md §10): per username and address, free
    # mistakes, then doubling waits, then a refusal until the window ends.
    login_free_failures: int = Field(default=3, ge=1)
    login_max_failures: int = Field(default=10, ge=2)
    # One username from every address together: past this, an address that has
    # not failed for it is slowed (one try per `login_slow_seconds`), not refused.
    login_user_max_failures: int = Field(default=50, ge=2)
    login_slow_seconds: int = Field(default=10, ge=1)
    # One address: how many different usernames may fail from it (an office
    # network shares one address; one person's typos must not lock it).
    login_address_max_usernames: int = Field(default=20, ge=2)
    login_window_seconds: int = Field(default=15 * 60, gt=0)
    # Password checks (Argon2, memory_cost KiB each) at once per process; a
    # login waits at most `login_queue_seconds` for a turn, then gets 503.
    login_concurrent_hashes: int = Field(default=2, ge=1)
    login_queue_seconds: float = Field(default=3.0, gt=0)

    # Database connections per worker process: pool_size + max_overflow.
    # workers × (pool_size + max_overflow) must stay under PostgreSQL's
    # max_connections with room for migrations and backups (docs/deploy.md).
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout: float = Field(default=10.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, value: str | None) -> str | None:
        if not value:
            return None
        # Hosting platforms hand out postgres:// URLs; we speak psycopg 3.
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @model_validator(mode="after")
    def _safe_secret(self) -> Settings:
        if self.environment != "development" and (
            self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < MIN_SECRET_LENGTH
        ):
            raise ValueError(
                "TIMELISTE_SECRET_KEY must be set to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters outside development."
            )
        return self

    @property
    def sqlalchemy_url(self) -> str:
        """DATABASE_URL, or SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'timeliste.sqlite3'}"

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
