"""What the desks share: the loading state, names for ids, amounts in words, form checks."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from mobile import fmt
from mobile.office.api import ApiError, OfficeApi
from models.contract import DecisionPublic
from models.messages import validation_problems
from models.schemas import ContactPublic, RecipientPublic

Request = TypeVar("Request", bound=BaseModel)

PER_TEXT = {
    "week": "per uke",
    "month": "per måned",
    "year": "per år",
    "period": "for hele perioden",
}


def error_text(error: Exception) -> str:
    """The server's words for a refusal; anything else is not shown as it is."""
    return str(error) if isinstance(error, ApiError) else "Noe gikk galt. Prøv igjen."


@dataclass
class Desk:
    """What every desk says about its data: being fetched, fetched well, or why not.

    Not observable itself: `ft.observable` on each desk makes these fields
    notify like the desk's own.
    """

    loading: bool = False
    loaded: bool = False  # a load has ended well: only then is an empty list true
    error: str | None = None
    # Loads begun so far: each load's answer is kept only while it is the newest,
    # so a slow older answer never overwrites what a newer search or page asked for.
    loads_begun: int = field(default=0, repr=False)

    @contextlib.contextmanager
    def fetching(self) -> Iterator[Callable[[], bool]]:
        """Around a load: `loading` while it runs, then `loaded`, or the refusal in `error`.

        Yields `newest()`: true while no later load has begun. A load keeps what
        it fetched only `if newest()` after its last await; the answer to a page
        or search the person has since left is dropped, not shown.

        A refusal is kept on the desk for the view to show, never raised: the
        screen stays as it was with the reason above it.
        """
        self.loads_begun += 1
        ticket = self.loads_begun

        def newest() -> bool:
            return self.loads_begun == ticket

        self.loading = True
        try:
            yield newest
        except ApiError as error:
            if newest():
                self.error = error_text(error)
        else:
            if newest():
                self.error = None
                self.loaded = True
        finally:
            if newest():
                self.loading = False


# --- search and paging -------------------------------------------------------------------


PAGE_SIZE = 50


@dataclass
class Paging:
    """Where a paged list stands: what is searched for, which page, how many match in all.

    A desk holds one per list; the list's load asks the server for
    `offset`..`offset + size` of the matches for `query` and keeps `count`.
    """

    query: str = ""
    offset: int = 0
    size: int = PAGE_SIZE
    count: int = 0
    # Where the rows on screen start: a page turned to shows once its rows have come
    # (until then the pager names the rows still shown, not the page asked for).
    at: int = 0

    def search(self, query: str) -> None:
        """A new search starts on its first page."""
        self.query = query.strip()
        self.offset = 0

    def next(self) -> None:
        if self.has_next:
            self.offset += self.size

    def previous(self) -> None:
        self.offset = max(0, self.offset - self.size)

    def turn(self, forward: bool) -> None:
        """'Neste side' (forward) or 'Forrige side'."""
        if forward:
            self.next()
        else:
            self.previous()

    def settle(self, count: int) -> None:
        """The server's count of all matches; a page past the end (the list shrank) moves back."""
        self.count = count
        if self.offset and self.offset >= count:
            self.offset = max(0, (count - 1) // self.size * self.size)
        self.at = self.offset

    @property
    def has_next(self) -> bool:
        return self.offset + self.size < self.count

    @property
    def has_previous(self) -> bool:
        return self.offset > 0

    def text(self, shown: int) -> str:
        """'Viser 26–50 av 154' for the `shown` rows on screen (or that nothing matches)."""
        if not self.count:
            return f"Ingen treff for «{self.query}»." if self.query else "Ingen i listen."
        first = self.at + 1 if shown else self.at
        return f"Viser {first}–{self.at + shown} av {self.count}"


@dataclass
class PagedDesk(Desk):
    """A desk showing one searched, paged list: its `load` asks for `paging`'s page."""

    paging: Paging = field(default_factory=Paging)

    async def load(self, api: OfficeApi) -> None:
        raise NotImplementedError

    async def search(self, api: OfficeApi, query: str) -> None:
        self.paging.search(query)
        await self.load(api)

    async def turn(self, api: OfficeApi, forward: bool) -> None:
        self.paging.turn(forward)
        await self.load(api)


# --- names: who and what the ids are ---------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Labels for ids, so the office reads names and case numbers, not UUIDs."""

    contacts: Mapping[str, ContactPublic] = field(default_factory=dict)
    recipients: Mapping[str, RecipientPublic] = field(default_factory=dict)
    decisions: Mapping[str, DecisionPublic] = field(default_factory=dict)

    def contact(self, contact_id: str | None) -> str:
        found = self.contacts.get(contact_id or "")
        return f"{found.name} ({found.employee_no})" if found else "Ukjent støttekontakt"

    def decision(self, decision_id: str | None) -> str:
        found = self.decisions.get(decision_id or "")
        if not found:
            return "Ukjent vedtak"
        recipient = self.recipients.get(found.recipient_id)
        who = f"{recipient.name} ({recipient.case_no})" if recipient else "?"
        kind = f", gruppe {found.group_id}" if found.group_id else ""
        return f"{who}: {hours_text(found.hours)} {PER_TEXT.get(found.per, '')}{kind}"

    def person(self, decision_id: str | None) -> str:
        found = self.decisions.get(decision_id or "")
        recipient = self.recipients.get(found.recipient_id) if found else None
        return f"{recipient.name} ({recipient.case_no})" if recipient else "Ukjent"


async def load_names(api: OfficeApi, *, with_recipients: bool = True) -> Names:
    contacts = {c.id: c for c in await api.contacts()}
    recipients = {r.id: r for r in await api.recipients()} if with_recipients else {}
    decisions = {d.id: d for d in await api.decisions()} if with_recipients else {}
    return Names(contacts=contacts, recipients=recipients, decisions=decisions)


# --- amounts in words ----------------------------------------------------------------------


def hours_text(value: Decimal | str) -> str:
    """'12,5 t' from hours (a decimal, or the decimal string of a batch's totals)."""
    try:
        return f"{fmt.number(Decimal(value))} t"
    except InvalidOperation:
        return str(value)


def money_text(value: Decimal | str) -> str:
    return fmt.money(Decimal(value))


def km_text(value: Decimal | str) -> str:
    return fmt.km(Decimal(value))


# --- forms: what was typed, checked by the server's own schemas ---------------------------


def parse_date_field(text: str) -> str | None:
    """dd.mm.åååå (or åååå-mm-dd) to ISO; the unreadable is passed on for the schema to refuse."""
    if not text.strip():
        return None
    day = fmt.parse_day(text)
    return day.isoformat() if day else text.strip()


def parse_number_field(text: str) -> str | None:
    """'250,50' → '250.50'; blank → None."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    return cleaned or None


def check(schema: type[Request], data: Mapping[str, Any]) -> tuple[Request | None, dict[str, str]]:
    """The request if the schema accepts it, else Norwegian messages per field."""
    try:
        return schema.model_validate(dict(data)), {}
    except ValidationError as error:
        messages: dict[str, str] = {}
        for problem in validation_problems(error):
            name = problem.field.split(".")[0] if problem.field != "body" else "form"
            messages.setdefault(name, problem.message)
        return None, messages
