"""Hard errors of an entry against the world (docs/rules.md §6).

The schema already refuses malformed data and impossible times. What is left
needs context — today's date, the decisions, who is asking — and is checked
here, once, for both the phone (before it saves) and the server (before it
stores). A problem with code `not_assigned` is a 403 on a direct request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from models.clock import future_date_problem
from models.schemas import Decision, DecisionKind, EntryData


@dataclass(frozen=True, slots=True)
class Problem:
    """A reason to refuse, naming the field and saying what is wrong."""

    field: str
    message: str
    code: str = "invalid"


def entry_problems(
    entry: EntryData,
    *,
    contact_id: str,
    decisions: Mapping[str, Decision],
    today: date,
) -> list[Problem]:
    """Every hard error of the entry; empty when it may be stored.

    `decisions` holds at least the decisions the entry names that exist.
    """
    problems: list[Problem] = []
    future = future_date_problem(entry.date, today)
    if future:
        problems.append(Problem("date", future))

    named = []
    for decision_id in entry.decision_ids:
        decision = decisions.get(decision_id)
        if decision is None:
            problems.append(
                Problem("decision_ids", f"Vedtaket {decision_id} finnes ikke.", "not_found")
            )
        elif contact_id not in decision.contact_ids:
            problems.append(
                Problem(
                    "decision_ids",
                    "Du er ikke tildelt dette vedtaket og kan ikke føre timer på det.",
                    "not_assigned",
                )
            )
        else:
            named.append(decision)

    kinds = {decision.kind for decision in named}
    if len(kinds) > 1:
        problems.append(
            Problem(
                "decision_ids",
                "En økt kan ikke blande individuelle vedtak og gruppevedtak.",
            )
        )
    elif kinds == {DecisionKind.individual} and len(entry.decision_ids) > 1:
        problems.append(Problem("decision_ids", "En individuell økt kan bare føres på ett vedtak."))
    elif kinds == {DecisionKind.group}:
        groups = {decision.group_id for decision in named}
        if len(groups) > 1:
            problems.append(
                Problem("decision_ids", "En gruppeøkt kan bare gjelde vedtak i samme gruppe.")
            )
    return problems
