"""The office's screens (coordinator, payroll, admin), mounted under /kontor by mobile.app.

Owned by the office engineer; `office_routes()` is the hook the app shell calls.
"""

from mobile.office.views import OfficeHome, office_routes

__all__ = ["OfficeHome", "office_routes"]
