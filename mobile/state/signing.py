"""The signing screen (`mobile/views/signing.py`): who signs, as what, and the pad."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import flet as ft

from mobile import fmt
from mobile.i18n import DEFAULT_LANGUAGE, tr
from models.schemas import (
    SIGNATURE_MAX_POINTS,
    SIGNATURE_MAX_STROKES,
    SIGNATURE_MIN_POINTS,
    Point,
    SignatureCreate,
    SignerRole,
)

SIGNER_ROLES: dict[str, SignerRole] = {
    "recipient": SignerRole.recipient,
    "foresatt": SignerRole.guardian,
    "verge": SignerRole.guardian,
    "other": SignerRole.other,
}
ROLE_LABEL_KEYS = {
    "recipient": "role_recipient",
    "foresatt": "role_foresatt",
    "verge": "role_verge",
    "other": "role_other",
}


def handover_title(period: str, contact_name: str | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """'Timeliste for mars 2026 · Støttekontakt: Kari Nordmann': the month and whose sheet it
    is, so the signer knows what they sign. Until a pull has named the contact, the month."""
    month = fmt.period(period, lang)
    if contact_name and contact_name.strip():
        return tr("handover_title_contact", lang, period=month, contact=contact_name.strip())
    return tr("handover_title", lang, period=month)


FEEDBACK_KINDS = {"praise": "fb_praise", "wish": "fb_wish", "complaint": "fb_complaint"}


@ft.observable
@dataclass
class StrokePad:
    """The signature as drawn: strokes of points in the pad's own coordinates.

    Kept apart from `SignatureDraft` so that drawing re-renders only the pad,
    not the whole hand-over screen, at every finger move.
    """

    strokes: list[list[tuple[float, float]]] = field(default_factory=list)

    @property
    def point_count(self) -> int:
        return sum(len(stroke) for stroke in self.strokes)

    def begin_stroke(self, x: float, y: float) -> None:
        if len(self.strokes) >= SIGNATURE_MAX_STROKES or self.point_count >= SIGNATURE_MAX_POINTS:
            return
        self.strokes.append([(round(x, 1), round(y, 1))])

    def extend_stroke(self, x: float, y: float) -> None:
        if not self.strokes or self.point_count >= SIGNATURE_MAX_POINTS:
            return
        self.strokes[-1].append((round(x, 1), round(y, 1)))
        # The inner list is a plain list: tell the canvas. (ft.observable mixes in
        # `notify` at run time, out of mypy's sight.)
        self.notify()  # type: ignore[attr-defined]

    def clear(self) -> None:
        self.strokes = []


@ft.observable
@dataclass
class SignatureDraft:
    """The hand-over screen: who signs, as what, the pad and an optional message."""

    signer_name: str = ""
    role: str = ""  # a key of SIGNER_ROLES
    pad: StrokePad = field(default_factory=StrokePad)
    feedback_kind: str = ""  # a key of FEEDBACK_KINDS, or ""
    message: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    busy: bool = False

    @property
    def strokes(self) -> list[list[tuple[float, float]]]:
        return self.pad.strokes

    def problems(self, lang: str = DEFAULT_LANGUAGE) -> dict[str, str]:
        errors = {}
        if not self.signer_name.strip():
            errors["signer_name"] = tr("need_name", lang)
        if self.role not in SIGNER_ROLES:
            errors["role"] = tr("need_role", lang)
        if self.pad.point_count < SIGNATURE_MIN_POINTS:
            errors["signature"] = tr("need_signature", lang)
        return errors

    def full_message(self, lang: str = DEFAULT_LANGUAGE) -> str | None:
        """The message to the municipality, led by its kind in bokmål (the office's language)."""
        text = self.message.strip()
        if not text:
            return None
        if self.feedback_kind in FEEDBACK_KINDS:
            return f"{tr(FEEDBACK_KINDS[self.feedback_kind], 'nb')}: {text}"
        return text

    def to_signature(
        self,
        *,
        decision_id: str,
        period: str,
        content_hash: str,
        signed_at: datetime | None = None,
    ) -> SignatureCreate:
        role_note = "" if self.role in ("recipient", "other") else f" ({self.role})"
        return SignatureCreate(
            decision_id=decision_id,
            period=period,
            content_hash=content_hash,
            signer_name=self.signer_name.strip() + role_note,
            signer_role=SIGNER_ROLES[self.role],
            strokes=[[Point(x=x, y=y) for x, y in stroke] for stroke in self.strokes if stroke],
            signed_at=signed_at or datetime.now(UTC),
            message=self.full_message(),
        )
