"""The office's page arithmetic (mobile.office.state.common.Paging), for any list and moves."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from mobile.office.state.common import Paging

moves = st.lists(st.sampled_from(["next", "previous", "shrink", "search"]), max_size=30)


@given(count=st.integers(0, 2000), size=st.integers(1, 100))
def test_turning_pages_from_the_first_shows_every_item_once(count: int, size: int) -> None:
    paging = Paging(size=size)
    paging.settle(count)
    seen = 0
    while True:
        shown = min(size, count - paging.offset)
        assert paging.offset == seen
        seen += shown
        if not paging.has_next:
            break
        paging.next()
    assert seen == count
    assert not paging.has_next


@given(
    count=st.integers(0, 500),
    size=st.integers(1, 60),
    steps=moves,
    shrink_to=st.integers(0, 500),
)
def test_the_page_stays_on_a_page_of_the_list(
    count: int, size: int, steps: list[str], shrink_to: int
) -> None:
    paging = Paging(size=size)
    paging.settle(count)
    for step in steps:
        if step in ("next", "previous"):
            on_screen = paging.text(min(size, count - paging.at))
            paging.turn(step == "next")
            # Until the page turned to has come, the pager names the rows still shown.
            assert paging.text(min(size, count - paging.at)) == on_screen
            paging.settle(count)  # the page has come
        elif step == "shrink":
            count = min(count, shrink_to)
            paging.settle(count)  # the server's new count after items went away
        else:
            paging.search("ny")
            assert paging.offset == 0
            paging.settle(count)
        assert paging.offset % size == 0
        assert paging.offset >= 0
        assert paging.offset < count or paging.offset == 0
        shown = min(size, count - paging.offset)
        text = paging.text(shown)
        if count:
            numbers = re.fullmatch(r"Viser (\d+)–(\d+) av (\d+)", text)
            assert numbers is not None, text
            first, last, total = map(int, numbers.groups())
            assert (first, last, total) == (paging.offset + 1, paging.offset + shown, count)
        else:
            assert text in ("Ingen i listen.", "Ingen treff for «ny».")
