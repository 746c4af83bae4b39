"""Fixtures shared by every test folder."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# CI gets more examples; a developer's run stays quick.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Browser tests run once: a failure is shown as it is, and a flaky test is a bug
# to find (TIMELISTE_E2E_RERUNS=N gives each N more tries, for a developer's digging).
E2E_RERUNS = int(os.environ.get("TIMELISTE_E2E_RERUNS", "0"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last.

    Playwright's sync API keeps an event loop running in the main thread for as
    long as its browser lives; tests that call `asyncio.run` after it would
    fail for a reason that has nothing to do with what they test.
    """
    browser = [item for item in items if "tests/e2e/" in item.nodeid.replace("\\", "/")]
    if E2E_RERUNS:
        for item in browser:
            item.add_marker(pytest.mark.flaky(reruns=E2E_RERUNS))
    items.sort(key=lambda item: "tests/e2e/" in item.nodeid.replace("\\", "/"))
