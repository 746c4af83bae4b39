"""Wall-clock arithmetic in Europe/Oslo.

Entries are written in local date + HH:MM, as on the paper timesheet, but are
paid by real elapsed time: the night the clocks go back is an hour longer than
the wall clock says, the night they go forward an hour shorter.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from models.types import MINUTES_PER_DAY, parse_clock

OSLO = ZoneInfo("Europe/Oslo")
# docs/rules.md §3: an entry this long is probably a typo; the app asks before saving it.
LONG_SESSION_MINUTES = 12 * 60


def local_instant(day: date, clock: str) -> datetime:
    """The UTC instant of a local Oslo date and HH:MM.

    An ambiguous time (the repeated hour in October) is read as its first
    occurrence; a time that does not exist (the skipped hour in March) is read
    with the offset before the change, the way a person reading a clock that
    was not yet put forward would mean it.
    """
    naive = datetime.combine(day, parse_clock(clock))
    return naive.replace(tzinfo=OSLO, fold=0).astimezone(UTC)


# Pure, and asked for every pair of nearby sessions the overlap rules compare
# (and twice per entry a push validates): remembered for the most recent ones.
@lru_cache(maxsize=16384)
def entry_span(day: date, start: str, end: str) -> tuple[datetime, datetime]:
    """Start and end of a session as UTC instants.

    An end earlier than (or equal to) the start is on the next day, as a
    session from 22:00 to 01:00 is.
    """
    begins = local_instant(day, start)
    end_day = day + timedelta(days=1) if ends_next_day(start, end) else day
    return begins, local_instant(end_day, end)


def ends_next_day(start: str, end: str) -> bool:
    """True when a session from `start` to `end` (HH:MM) ends on the day after it began."""
    return end <= start


def duration_minutes(day: date, start: str, end: str) -> int:
    """Real elapsed whole minutes between start and end in Oslo."""
    begins, ends = entry_span(day, start, end)
    return int((ends - begins).total_seconds()) // 60


def duration_problem(day: date, start: str, end: str) -> str | None:
    """Why a session's times are impossible, in words for the contact, or None."""
    if start == end:
        return "Start og slutt kan ikke være samme klokkeslett."
    minutes = duration_minutes(day, start, end)
    if minutes <= 0:
        return "Økten må vare mer enn null minutter."
    if minutes > MINUTES_PER_DAY:
        return "En økt kan ikke vare mer enn 24 timer."
    return None


def today_in_oslo(now: datetime | None = None) -> date:
    """Today's date in Oslo for a given instant (default: now)."""
    moment = now if now is not None else datetime.now(UTC)
    return moment.astimezone(OSLO).date()


def future_date_problem(day: date, today: date) -> str | None:
    """Entries may be dated at most one day ahead of today (server clock, Oslo)."""
    if day > today + timedelta(days=1):
        return "Datoen ligger for langt fram i tid: en økt kan ikke føres før den har skjedd."
    return None
