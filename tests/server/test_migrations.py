"""Migrations build the schema from nothing on both engines, and agree with the models."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from server.all_tables import metadata
from server.db import make_engine
from server.migrate import head_revision, is_current, upgrade


def test_upgrade_from_empty_reaches_head_and_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    upgrade(url)
    assert is_current(url)
    upgrade(url)  # a second run changes nothing and does not fail
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_migrated_database_is_at_head(database_url: str) -> None:
    assert is_current(database_url)
    assert head_revision(database_url) is not None


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
