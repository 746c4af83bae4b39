"""Validation errors in words a user understands (bokmål).

pydantic words its errors for programmers ("Input should be a valid date").
Server and app both turn them into Norwegian field messages with
`validation_problems`, so a contact reads the same sentence in either place.
"""

from __future__ import annotations

from pydantic import ValidationError

from models.rules import Problem

_BY_TYPE = {
    "missing": "Feltet må fylles ut.",
    "date_from_datetime_parsing": "Datoen må skrives åååå-mm-dd.",
    "date_parsing": "Datoen må skrives åååå-mm-dd.",
    "date_type": "Datoen må skrives åååå-mm-dd.",
    "datetime_parsing": "Tidspunktet er ikke gyldig.",
    "datetime_type": "Tidspunktet er ikke gyldig.",
    "timezone_aware": "Tidspunktet må ha tidssone, for eksempel +01:00.",
    "bool_type": "Her ventes true eller false.",
    "bool_parsing": "Her ventes true eller false.",
    "decimal_parsing": "Skriv et tall.",
    "decimal_type": "Skriv et tall.",
    "int_parsing": "Skriv et helt tall.",
    "int_type": "Skriv et helt tall.",
    "string_type": "Skriv tekst her.",
    "list_type": "Her ventes en liste.",
    "dict_type": "Her ventes et objekt.",
    "model_type": "Her ventes et objekt.",
    "extra_forbidden": "Ukjent felt.",
    "enum": "Ugyldig valg.",
    "literal_error": "Ugyldig valg.",
    "greater_than": "Verdien er for liten.",
    "greater_than_equal": "Verdien kan ikke være negativ.",
    "less_than": "Verdien er for stor.",
    "less_than_equal": "Verdien er for stor.",
    "decimal_max_places": "For mange desimaler.",
    "string_too_short": "Feltet må fylles ut.",
    "string_too_long": "Teksten er for lang.",
    "string_pattern_mismatch": "Bruk bare bokstaver, tall og - _ . /",
    "too_short": "Det mangler verdier her.",
    "too_long": "Det er for mange verdier her.",
    "json_invalid": "Innholdet er ikke gyldig JSON.",
}

_SPECIFIC = {
    ("km", "less_than_equal"): "En tur kan ikke være over 2000 km.",
    ("km", "greater_than"): "Antall km må være større enn 0.",
    ("amount", "less_than_equal"): "Beløpet er urimelig stort (over 100 000 kr).",
    ("amount", "greater_than_equal"): "Beløpet kan ikke være negativt.",
    ("decision_ids", "too_short"): "Velg hvem økten gjaldt.",
    ("trips", "too_long"): "En økt kan ha høyst 10 turer.",
    ("expenses", "too_long"): "En økt kan ha høyst 10 utlegg.",
    ("contact_ids", "too_long"): "Et vedtak kan ha høyst 10 støttekontakter.",
}


def _field(location: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def validation_problems(error: ValidationError) -> list[Problem]:
    """One Norwegian problem per pydantic error, naming the field."""
    problems = []
    for item in error.errors(include_url=False):
        location = tuple(item["loc"])
        field = _field(location)
        kind = item["type"]
        last = str(location[-1]) if location else ""
        if kind == "value_error":
            # Our own validators already speak Norwegian; pydantic prefixes them.
            message = str(item["msg"]).removeprefix("Value error, ")
        else:
            message = _SPECIFIC.get((last, kind)) or _BY_TYPE.get(kind) or "Ugyldig verdi."
        problems.append(Problem(field=field, message=message))
    return problems
