"""The password policy (docs/rules.md §10): one home, for the server and the office screen.

At least 10 characters, not the username, not a common password. "Common"
means in the short list below (passwords people are known to pick, in
Norwegian and English), or one of its base words with only digits and
symbols added ("Passord2026!"), or one character or an easy keyboard or
number run repeated. The list is written for this project, not copied.
"""

from __future__ import annotations

from models.text import MONTHS

MIN_PASSWORD_LENGTH = 10

# Words people build a password around; anything made of one of these plus
# digits and symbols is as weak as the word.
_BASE_WORDS = frozenset(
    {
        "passord",
        "password",
        "passw0rd",
        "p4ssord",
        "qwerty",
        "qwertyuiop",
        "asdfgh",
        "asdfghjkl",
        "zxcvbnm",
        "azerty",
        "abc",
        "abcdef",
        "letmein",
        "welcome",
        "velkommen",
        "iloveyou",
        "jegelskerdeg",
        "admin",
        "administrator",
        "sommer",
        "vinter",
        "host",
        "hoest",
        "varen",
        *MONTHS,  # the month names people pick, spelled once in models.text
        "norge",
        "norway",
        "oslo",
        "bergen",
        "trondheim",
        "stavanger",
        "kommune",
        "timeliste",
        "timelister",
        "stottekontakt",
        "brukernavn",
        "hemmelig",
        "secret",
        "monkey",
        "dragon",
        "football",
        "fotball",
        "sunshine",
        "princess",
        "superman",
        "batman",
        "master",
        "starwars",
        "changeme",
        "endremeg",
        "test",
        "testing",
        "tester",
        "login",
        "logginn",
        "user",
        "bruker",
        "hei",
        "heisann",
        "hallo",
        "hello",
        "default",
        "standard",
    }
)

# Runs people type without thinking; a password that is a stretch of one of
# these (forwards or backwards) is refused.
_RUNS = (
    "01234567890",
    "abcdefghijklmnopqrstuvwxyzæøå",
    "qwertyuiopå",
    "asdfghjkløæ",
    "zxcvbnm",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "1qaz2wsx3edc4rfv5tgb",
    "qazwsxedcrfvtgbyhn",
    "zaq12wsxcde34rfv",
)


def _strip_decoration(password: str) -> str:
    """The letters of a password, without the digits and symbols around a word."""
    return "".join(char for char in password.lower() if char.isalpha())


def _is_run(password: str) -> bool:
    lowered = password.lower()
    for run in _RUNS:
        doubled = run + run
        if lowered in doubled or lowered[::-1] in doubled:
            return True
    return False


def _is_repetition(password: str) -> bool:
    """One short piece repeated: "aaaaaaaaaa", "abcabcabca", "12121212121"."""
    for size in range(1, 4):
        piece = password[:size]
        if (piece * (len(password) // size + 1))[: len(password)] == password:
            return True
    return False


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why this password may not be used, in Norwegian; None when it may."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Passordet må ha minst {MIN_PASSWORD_LENGTH} tegn."
    lowered = password.lower()
    if username:
        name = username.strip().lower()
        if name and (lowered == name or _strip_decoration(password) == _strip_decoration(name)):
            return "Passordet kan ikke være brukernavnet."
        if len(name) >= 4 and name in lowered and len(lowered) - len(name) < 6:
            return "Passordet kan ikke bygge på brukernavnet."
    if (
        _strip_decoration(password) in _BASE_WORDS
        or _is_run(password)
        or _is_repetition(password)
        or len(set(lowered)) <= 3
    ):
        return "Passordet er for vanlig og lett å gjette. Velg et lengre og mindre vanlig passord."
    return None
