"""Search and paging for the lists that grow (contacts, recipients, vedtak, sheets, flags, audit).

Every such list takes the same three query parameters, so the office pages
them all alike: `q` (words to look for), `offset` and `limit`. A page is
bounded (at most `MAX_LIMIT` items), the order is total (a unique id breaks
every tie, so no item is seen twice or missed between pages), and the answer's
`count` is the number of items that match, not the number on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, TypeVarTuple

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_QUERY = 100
# Far past any real list, small enough that a database never scans to it for nothing.
MAX_OFFSET = 1_000_000


@dataclass(frozen=True)
class Page:
    """One page of a list: what to look for and which slice of the matches."""

    q: str | None = None
    offset: int = 0
    limit: int = DEFAULT_LIMIT

    def words(self) -> list[str]:
        """The search split into words, each folded to lower case; all must match."""
        return [word.lower() for word in (self.q or "").split()]


def page_params(
    q: Annotated[
        str | None,
        Query(
            max_length=MAX_QUERY,
            description=(
                "Words to search for (case-insensitive, each word must match a part of a "
                "name, number or text of the item)."
            ),
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="How many matches to skip.")] = 0,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=MAX_LIMIT,
            description=f"Most items in the answer (at most {MAX_LIMIT}).",
        ),
    ] = DEFAULT_LIMIT,
) -> Page:
    return Page(q=(q or "").strip() or None, offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page_params)]


def _escaped(word: str) -> str:
    """A LIKE pattern matching `word` anywhere, with the wildcards in it taken literally."""
    plain = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{plain}%"


def matching(
    page: Page, *columns: ColumnElement[Any] | QueryableAttribute[Any]
) -> ColumnElement[bool] | None:
    """A condition: every word of the search is part of one of the columns (None: no search).

    SQLite's own lower() folds only ASCII; server.db replaces it with Python's
    on every SQLite connection, so 'Ø' finds 'ø' on both engines.
    """
    words = page.words()
    if not words:
        return None
    conditions = [
        or_(*(func.lower(column).like(_escaped(word), escape="\\") for column in columns))
        if columns
        else false()
        for word in words
    ]
    return and_(*conditions)


Columns = TypeVarTuple("Columns")


def total(db: Session, stmt: Select[*Columns]) -> int:
    """How many rows `stmt` matches in all."""
    return db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def fetch(db: Session, stmt: Select[*Columns], page: Page) -> tuple[list[Any], int]:
    """The page's rows of `stmt` (ordered totally by the caller) and the number of all matches."""
    rows = list(db.execute(stmt.offset(page.offset).limit(page.limit)).all())
    return rows, total(db, stmt)


def fetch_scalars(db: Session, stmt: Select[*Columns], page: Page) -> tuple[list[Any], int]:
    """As `fetch`, for a statement that selects one thing (an ORM row)."""
    rows = list(db.scalars(stmt.offset(page.offset).limit(page.limit)))
    return rows, total(db, stmt)


Listed = TypeVar("Listed", bound=BaseModel)


def listed(shape: type[Listed], found: tuple[list[Any], int]) -> Listed:
    """A list's answer, `{data, count}`, from a service's page and its number of all matches."""
    data, count = found
    return shape(data=data, count=count)
