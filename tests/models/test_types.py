"""The control-character check (models.types) against Unicode's own categories."""

from __future__ import annotations

import sys
import unicodedata

from models.types import CONTROL


def test_the_character_class_is_exactly_the_categories_cc_and_cs() -> None:
    # Every code point, so the class cannot drift from what "control" means.
    differ = [
        point
        for point in range(sys.maxunicode + 1)
        if (unicodedata.category(chr(point)) in ("Cc", "Cs"))
        != (CONTROL.search(chr(point)) is not None)
    ]
    assert differ == []
