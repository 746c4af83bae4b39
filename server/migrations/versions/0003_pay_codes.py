"""Pay settings: hour codes per contract type, km split for tax, passenger add-on.

Saved pay settings are one JSON document (models.payroll.PaySettings). Before
this revision it had one hour code and one km code; now hours go under an
employee code (holiday-pay basis) or a contractor fee code, and km under a
tax-free and a taxable code (docs/rules.md §8). The old hour code becomes the fee code
(most contacts are contractors, so their lines keep their code) and the old
km code the tax-free km code; the new codes get placeholders no other code
uses, for the admin to replace. Frozen pay lines of earlier batches are not
touched: they keep their kinds `hours` and `km`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 17:50:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SETTINGS = sa.table("pay_settings", sa.column("id", sa.Integer), sa.column("data", sa.JSON))
# The defaults of the time this was written (a migration never imports models).
_TAX_FREE_RATES = [
    {"valid_from": "2025-01-01", "rate": "3.50"},
    {"valid_from": "2026-01-01", "rate": "3.50"},
]


def _free_code(preferred: int, used: set[str]) -> str:
    code = preferred
    while str(code) in used:
        code += 1
    used.add(str(code))
    return str(code)


def split_codes(data: dict[str, Any]) -> dict[str, Any]:
    """The settings document with the old single hour and km codes split."""
    codes = dict(data.get("pay_codes") or {})
    if "hours" not in codes and "km" not in codes:
        return data
    used = {str(code.get("code")) for code in codes.values()}
    hours = codes.pop("hours", None)
    km = codes.pop("km", None)
    codes["contractor_fee"] = hours or {"code": _free_code(1100, used)}
    codes.setdefault("employee_hours", {"code": _free_code(1000, used)})
    codes["km_tax_free"] = km or {"code": _free_code(7100, used)}
    codes.setdefault("km_taxable", {"code": _free_code(7110, used)})
    codes.setdefault("passenger", {"code": _free_code(7120, used)})
    return {
        **data,
        "pay_codes": codes,
        "km_tax_free_rates": data.get("km_tax_free_rates") or _TAX_FREE_RATES,
        "passenger_rates": data.get("passenger_rates") or [],
    }


def join_codes(data: dict[str, Any]) -> dict[str, Any]:
    """Back to one hour code (the fee code) and one km code (the tax-free one)."""
    codes = dict(data.get("pay_codes") or {})
    if "contractor_fee" not in codes:
        return data
    codes["hours"] = codes.pop("contractor_fee")
    codes["km"] = codes.pop("km_tax_free")
    for key in ("employee_hours", "km_taxable", "passenger"):
        codes.pop(key, None)
    rest = {k: v for k, v in data.items() if k not in ("km_tax_free_rates", "passenger_rates")}
    return {**rest, "pay_codes": codes}


def _rewrite(change: Any) -> None:
    bind = op.get_bind()
    for row_id, data in bind.execute(sa.select(_SETTINGS.c.id, _SETTINGS.c.data)).all():
        changed = change(dict(data))
        if changed != data:
            bind.execute(sa.update(_SETTINGS).where(_SETTINGS.c.id == row_id).values(data=changed))


def upgrade() -> None:
    _rewrite(split_codes)


def downgrade() -> None:
    _rewrite(join_codes)
