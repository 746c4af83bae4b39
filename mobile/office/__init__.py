"""The office's screens (coordinator, payroll, admin), mounted under /kontor by mobile.app.

Owned by the office engineer; `office_routes()` is the hook the app shell calls.

The screens are imported when first asked for (PEP 562), not with the package:
the contact's sign-in screen imports `mobile.office.common`, and importing the
package's screens with it (the charts, the signature canvas) cost a contact's
phone about half a second of its start in the browser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobile.office.views import OfficeHome, office_routes

__all__ = ["OfficeHome", "office_routes"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("mobile.office.views"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
