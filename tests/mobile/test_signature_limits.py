"""The signing pad stops where the server's rule stops (models.schemas signature limits)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mobile.state.signing import SignatureDraft, StrokePad
from models.schemas import (
    SIGNATURE_MAX_POINTS,
    SIGNATURE_MAX_STROKES,
    SIGNATURE_MIN_POINTS,
    signature_problem,
)

HASH = "0" * 64


def _draft(pad: StrokePad) -> SignatureDraft:
    return SignatureDraft(signer_name="Kari Nordmann", role="foresatt", pad=pad)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=300))
def test_whatever_the_pad_takes_the_server_takes(lengths: list[int]) -> None:
    pad = StrokePad()
    for stroke, length in enumerate(lengths):
        pad.begin_stroke(float(stroke), 0.0)
        for step in range(length):
            pad.extend_stroke(float(stroke), float(step))
    assert len(pad.strokes) <= SIGNATURE_MAX_STROKES
    assert pad.point_count <= SIGNATURE_MAX_POINTS
    draft = _draft(pad)
    if draft.problems():
        assert pad.point_count < SIGNATURE_MIN_POINTS
        return
    signature = draft.to_signature(decision_id="d1", period="2026-03", content_hash=HASH)
    assert signature_problem(signature.strokes) is None


def test_a_pad_full_to_the_limit_still_signs() -> None:
    pad = StrokePad()
    pad.begin_stroke(0.0, 0.0)
    for step in range(SIGNATURE_MAX_POINTS + 500):
        pad.extend_stroke(float(step % 300), float(step % 100))
    assert pad.point_count == SIGNATURE_MAX_POINTS
    signature = _draft(pad).to_signature(decision_id="d1", period="2026-03", content_hash=HASH)
    assert sum(len(stroke) for stroke in signature.strokes) == SIGNATURE_MAX_POINTS
