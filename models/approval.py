"""When a coordinator may approve a timesheet (docs/rules.md §5 "Approval").

A signed sheet without open flags is approved as it is. An unsigned sheet, or
one with open flags, may still be approved, but only with a written override
reason. The server enforces this and the office asks for the reason before it
sends the approval, from this one statement of the rule.
"""

from __future__ import annotations

from models.schemas import TimesheetStatus
from models.text import count_text


def override_reasons(status: TimesheetStatus | str, open_flags: int) -> list[str]:
    """Why approving needs a written override, as lower-case Norwegian clauses
    ("timelisten er ikke signert"); empty when the sheet may be approved as it is.

    `open_flags` counts the open flags that concern the sheet (feedback left out).
    """
    reasons = []
    if TimesheetStatus(status) is not TimesheetStatus.signed:
        reasons.append("timelisten er ikke signert")
    if open_flags:
        reasons.append(f"timelisten har {count_text(open_flags, 'åpent avvik', 'åpne avvik')}")
    return reasons
