"""Database plumbing: the declarative `Base`, exact column types, engines and sessions.

SQLite is the default and runs every transaction as `BEGIN IMMEDIATE`: writers
queue on the database lock instead of failing half-way with "database is
locked". PostgreSQL serializes writers per decision with row locks (see
`server.services.locks`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Engine,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

SQLITE_BUSY_TIMEOUT_MS = 30_000


class Base(DeclarativeBase):
    """Every table of the server (core and payroll) hangs off this metadata."""


class ExactDecimal(TypeDecorator[Decimal]):
    """A `Decimal` with fixed places, stored as an integer of the smallest unit.

    Øre and tenths of a km are integers in the database on both engines, so no
    driver or engine can round them.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int) -> None:
        super().__init__()
        self.places = places
        self._scale = Decimal(10) ** places

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * self._scale
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.places} decimal places")
        return int(scaled)

    def process_result_value(self, value: int | None, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(value) / self._scale).quantize(Decimal(1).scaleb(-self.places))


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both engines (SQLite forgets the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling is switched off so that `_sqlite_begin`
    # decides how a transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # FULL: an acknowledged push must survive a power cut (the phone drops its copy).
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()
    # SQLite's lower() folds only ASCII, so a search for 'øy' would miss 'Øystein';
    # Python's folds every letter, as PostgreSQL's lower() does (server.paging).
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin(connection: Any) -> None:
    # Every request writes (audit, tokens, sequence), so take the write lock up
    # front; a deferred transaction that upgrades later can fail with SQLITE_BUSY.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(
    url: str, *, pool_size: int = 5, max_overflow: int = 5, pool_timeout: float = 10.0
) -> Engine:
    """An engine for SQLite (file or memory) or PostgreSQL (psycopg 3).

    `hide_parameters`: a database error's text never carries the row's values
    (names, notes), wherever it ends up. The pool is bounded so that every
    worker together stays under PostgreSQL's connection limit; a request that
    finds no connection within `pool_timeout` is answered 503, never 500.
    """
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:" and not url.startswith("sqlite://:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,
        hide_parameters=True,
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def db(request: Request) -> Iterator[Session]:
    """The request's database session (FastAPI dependency); rolled back unless committed."""
    factory: sessionmaker[Session] = request.app.state.sessionmaker
    with factory() as session:
        try:
            yield session
        except Exception:
            session.rollback()
            raise


def one_of(
    db: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`.

    A push's IN lists hold hundreds of ids or days: as one array parameter
    SQLAlchemy renders no placeholder per value and PostgreSQL plans one
    parameter instead of hundreds.
    """
    element = column.expression if isinstance(column, QueryableAttribute) else column
    if db.get_bind().dialect.name == "postgresql":
        return element == any_(bindparam(None, list(values), type_=ARRAY(element.type)))
    return element.in_(list(values))


def lists_any(
    db: Session, column: ColumnElement[Any] | QueryableAttribute[Any], values: Sequence[str]
) -> ColumnElement[bool]:
    """The JSON array of strings in `column` holds at least one of `values`.

    Tested by the database, so only the rows that match are sent and decoded:
    a contact's open flags can number in the thousands, and loading each to
    look into its list cost a one-entry push more than everything else it did.
    """
    element = column.expression if isinstance(column, QueryableAttribute) else column
    if db.get_bind().dialect.name == "postgresql":
        wanted = bindparam(None, list(values), type_=ARRAY(Text))
        found: ColumnElement[bool] = cast(element, JSONB).has_any(wanted)
        return found
    listed = func.json_each(element).table_valued("value").alias("listed")
    return exists(select(listed.c.value).where(listed.c.value.in_(list(values))))


def insert_rows(db: Connection | Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many rows (each with the same keys) in one statement (see `insert_tables`)."""
    insert_tables(db, [(table, rows)])


def insert_tables(
    db: Connection | Session,
    tables: Sequence[tuple[Table, Sequence[dict[str, Any]]]],
    on_conflict: Mapping[str, str] | None = None,
) -> None:
    """Insert the rows of several tables, each table's rows with the same keys.

    PostgreSQL: one statement, `INSERT ... SELECT * FROM unnest(...)` per
    table (all but the last as data-modifying `WITH` clauses; foreign keys
    are checked at the end of the statement, so a row may name one inserted
    by an earlier clause), one array per column, sent in PostgreSQL's binary
    format. An `executemany` there runs the statement once per row (psycopg
    pipelines them, but the server starts an executor for each, and psycopg
    and SQLAlchemy handle each row's parameters in Python); psycopg writes a
    binary array of a column in C, where a text array would be escaped value
    by value in Python. The values pass through the columns' own bind
    processing (exact decimals, UTC instants; JSON as the text SQLAlchemy's
    JSON type sends), so what is stored is what an `executemany` of the
    table's `insert()` stores (tests/server/test_insert_rows.py). SQLite: that
    `executemany`, table after table.

    `on_conflict`: an `ON CONFLICT ...` clause per table name (PostgreSQL only).
    """
    tables = [(table, rows) for table, rows in tables if rows]
    if not tables:
        return
    connection = db.connection() if isinstance(db, Session) else db
    if connection.dialect.name != "postgresql":
        if on_conflict:
            raise ValueError("ON CONFLICT clauses are for PostgreSQL")
        for table, rows in tables:
            connection.execute(table.insert(), list(rows))
        return
    params: dict[str, Any] = {}
    parts = [
        unnest_insert(connection.dialect, table, rows, f"i{n}", params)
        + (f" {on_conflict[table.name]}" if on_conflict and table.name in on_conflict else "")
        for n, (table, rows) in enumerate(tables)
    ]
    *before, last = parts
    with_clause = (
        f"WITH {', '.join(f'i{n} AS ({sql})' for n, sql in enumerate(before))} " if before else ""
    )
    connection.exec_driver_sql(with_clause + last, params)


def unnest_insert(
    dialect: Dialect,
    table: Table,
    rows: Sequence[dict[str, Any]],
    prefix: str,
    params: dict[str, Any],
) -> str:
    """PostgreSQL: `INSERT INTO table ... SELECT * FROM unnest(...)` of the rows, for
    `exec_driver_sql`; its arrays are added to `params` as `prefix_0`, `prefix_1`, ..."""
    names = list(rows[0])
    casts = []
    for n, name in enumerate(names):
        column = table.c[name]
        values = [row[name] for row in rows]
        if isinstance(column.type, JSON):
            # json.dumps as SQLAlchemy's JSON type does (None is JSON null).
            params[f"{prefix}_{n}"] = [json.dumps(v) for v in values]
        else:
            process = column.type._cached_bind_processor(dialect)
            params[f"{prefix}_{n}"] = (
                [process(v) for v in values] if process is not None else values
            )
        casts.append(f"CAST(%({prefix}_{n})b AS {column.type.compile(dialect=dialect)}[])")
    columns = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    # Table and column names come from the metadata, never from a request.
    return (
        f"INSERT INTO {table.name} ({columns}) "  # noqa: S608
        f"SELECT * FROM unnest({', '.join(casts)})"
    )
