"""How the app writes dates, hours, kilometres and money, in bokmål or English.

Bokmål is the default: dd.mm.åååå, decimal comma, "t" for hours, "kr" after
amounts. English writes dd/mm/yyyy, a decimal point and "h". The domain's own
wording (models.text) is reused for bokmål so the app and the server's
messages read alike.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from models.clock import OSLO
from models.text import MONTHS, hours_text
from models.text import date_text as nb_date_text
from models.text import period_text as nb_period_text

EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
NB_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _comma(text: str, lang: str) -> str:
    return text.replace(".", ",") if lang == "nb" else text


def number(value: Decimal | int, lang: str = "nb", places: int = 2, trim: bool = True) -> str:
    """A number with the language's decimal mark; `trim` drops needless zeros (12,50 → 12,5)."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP):f}"
    if trim and "." in text:
        text = text.rstrip("0").rstrip(".")
    return _comma(text, lang)


def hours(minutes: int, lang: str = "nb") -> str:
    """Minutes as decimal hours: 750 → '12,5 t' (en: '12.5 h')."""
    value = Decimal(minutes) / 60
    unit = "t" if lang == "nb" else "h"
    return f"{number(value, lang)} {unit}"


def duration(minutes: int, lang: str = "nb") -> str:
    """A session's length as the paper timesheet writes it: '2 t 30 min' (en: '2 h 30 min')."""
    if lang == "nb":
        return hours_text(abs(minutes))  # the wording models/ gives flags and the server
    whole, rest = divmod(abs(minutes), 60)
    unit = "h"
    if whole and rest:
        return f"{whole} {unit} {rest} min"
    if whole:
        return f"{whole} {unit}"
    return f"{rest} min"


def km(value: Decimal, lang: str = "nb") -> str:
    return f"{number(value, lang, places=1)} km"


def money(value: Decimal, lang: str = "nb") -> str:
    """Kroner to the øre with thousands grouped: '4 617,25 kr' (en: 'NOK 4,617.25').

    The group mark in bokmål is a no-break space, so an amount never wraps.
    """
    text = f"{Decimal(value).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"
    if lang == "nb":
        text = text.replace(",", "\u00a0").replace(".", ",")
        return f"{text} kr"
    return f"NOK {text}"


def day(value: date, lang: str = "nb") -> str:
    """dd.mm.åååå (en: dd/mm/yyyy)."""
    return nb_date_text(value) if lang == "nb" else f"{value:%d/%m/%Y}"


def long_day(value: date, lang: str = "nb") -> str:
    """'tirsdag 3. mars' (en: 'Tuesday 3 March'), for the signer's screen."""
    if lang == "nb":
        return f"{NB_WEEKDAYS[value.weekday()]} {value.day}. {MONTHS[value.month - 1]}"
    return f"{EN_WEEKDAYS[value.weekday()]} {value.day} {EN_MONTHS[value.month - 1]}"


def period(key: str, lang: str = "nb") -> str:
    """A quota or pay period key in words: '2026-03' → 'mars 2026'."""
    if lang == "nb":
        return nb_period_text(key)
    if "-W" in key:
        year, week = key.split("-W")
        return f"week {int(week)} {year}"
    if len(key) == 7 and key[4] == "-":
        year, month = key.split("-")
        return f"{EN_MONTHS[int(month) - 1]} {year}"
    if key == "period":
        return "the whole decision period"
    return key


def clock_of(moment: datetime) -> str:
    """HH:MM in Oslo."""
    return f"{moment.astimezone(OSLO):%H:%M}"


def last_contact(moment: datetime, lang: str = "nb", now: datetime | None = None) -> str:
    """When something last happened, short: '17:42' today, '04.12. 17:42' before (Oslo)."""
    local = moment.astimezone(OSLO)
    today = (now or datetime.now(OSLO)).astimezone(OSLO).date()
    if local.date() == today:
        return f"{local:%H:%M}"
    return f"{local:%d.%m.} {local:%H:%M}" if lang == "nb" else f"{local:%d/%m} {local:%H:%M}"


def parse_day(text: str) -> date | None:
    """dd.mm.åååå (also d.m.åååå, dd/mm/åååå and åååå-mm-dd); None when unreadable."""
    text = text.strip()
    if not text:
        return None
    try:
        if "-" in text:
            return date.fromisoformat(text)
        parts = text.replace("/", ".").split(".")
        if len(parts) != 3:
            return None
        d, m, y = (int(part) for part in parts)
        if y < 100:
            y += 2000
        return date(y, m, d)
    except ValueError:
        return None


def parse_clock(text: str) -> str | None:
    """A clock time as HH:MM: accepts '9', '930', '9:30', '09.30'; None when unreadable."""
    text = text.strip().replace(".", ":")
    if not text:
        return None
    if ":" in text:
        head, _, tail = text.partition(":")
    elif len(text) <= 2:
        head, tail = text, "00"
    else:
        head, tail = text[:-2], text[-2:]
    if not (head.isdigit() and tail.isdigit()):
        return None
    h, m = int(head), int(tail)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return f"{h:02d}:{m:02d}"


def parse_decimal(text: str) -> Decimal | None:
    """A number typed with a comma or a point; None when unreadable."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
