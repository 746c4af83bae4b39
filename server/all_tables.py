"""Imports every table module so that `Base.metadata` is complete (Alembic, tests)."""

from __future__ import annotations

import contextlib
import importlib

from server import tables
from server.db import Base

# Payroll's tables arrive with server/payroll; until then there are none.
with contextlib.suppress(ImportError):
    importlib.import_module("server.payroll.tables")

metadata = Base.metadata

__all__ = ["metadata", "tables"]
