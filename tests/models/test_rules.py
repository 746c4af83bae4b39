"""Hard errors of an entry against the world (docs/rules.md §6)."""

from __future__ import annotations

from datetime import date

from models.rules import Problem, entry_problems
from models.schemas import Decision, DecisionKind
from tests.factories import make_decision, make_entry

TODAY = date(2026, 3, 10)


def _decisions(*decisions: Decision) -> dict[str, Decision]:
    return {d.id: d for d in decisions}


def _problems(decision_ids: list[str], *decisions: Decision, day: date = TODAY) -> list[Problem]:
    entry = make_entry(decision_ids=decision_ids, day=day)
    return entry_problems(entry, contact_id="c1", decisions=_decisions(*decisions), today=TODAY)


def test_a_good_entry_has_no_problems() -> None:
    assert _problems(["d1"], make_decision(id="d1")) == []


def test_tomorrow_is_allowed_the_day_after_is_not() -> None:
    d1 = make_decision(id="d1")
    assert _problems(["d1"], d1, day=date(2026, 3, 11)) == []
    [problem] = _problems(["d1"], d1, day=date(2026, 3, 12))
    assert problem.field == "date"
    assert problem.code == "invalid"
    assert "fram i tid" in problem.message


def test_unknown_decision() -> None:
    assert _problems(["nope"]) == [
        Problem("decision_ids", "Vedtaket nope finnes ikke.", "not_found"),
    ]


def test_not_assigned() -> None:
    [problem] = _problems(["d1"], make_decision(id="d1", contact_ids=["c2"]))
    assert problem.code == "not_assigned"
    assert problem.field == "decision_ids"
    assert problem.message == "Du er ikke tildelt dette vedtaket og kan ikke føre timer på det."


def test_individual_entry_with_two_decisions() -> None:
    problems = _problems(["d1", "d2"], make_decision(id="d1"), make_decision(id="d2"))
    assert problems == [
        Problem("decision_ids", "En individuell økt kan bare føres på ett vedtak."),
    ]


def test_mixing_individual_and_group() -> None:
    problems = _problems(
        ["d1", "g1"],
        make_decision(id="d1"),
        make_decision(id="g1", kind=DecisionKind.group, group_id="grp"),
    )
    assert problems == [
        Problem("decision_ids", "En økt kan ikke blande individuelle vedtak og gruppevedtak."),
    ]


def test_group_entry_on_three_decisions_of_one_group() -> None:
    group = [
        make_decision(id=f"g{i}", recipient_id=f"r{i}", kind=DecisionKind.group, group_id="grp")
        for i in range(3)
    ]
    assert _problems(["g0", "g1", "g2"], *group) == []


def test_group_decisions_of_different_groups() -> None:
    problems = _problems(
        ["g1", "g2"],
        make_decision(id="g1", kind=DecisionKind.group, group_id="grp-a"),
        make_decision(id="g2", kind=DecisionKind.group, group_id="grp-b"),
    )
    assert problems == [
        Problem("decision_ids", "En gruppeøkt kan bare gjelde vedtak i samme gruppe."),
    ]


def test_every_problem_is_reported_at_once() -> None:
    problems = _problems(
        ["nope", "d1"], make_decision(id="d1", contact_ids=["c2"]), day=date(2026, 4, 1)
    )
    assert [(p.field, p.code) for p in problems] == [
        ("date", "invalid"),
        ("decision_ids", "not_found"),
        ("decision_ids", "not_assigned"),
    ]
