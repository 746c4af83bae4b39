"""The second factor's wire shapes (docs/rules.md §10), shared by the server's
routes and the office's client: TOTP enrolment and the admin's requirement."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

Code = Annotated[str, Field(min_length=1, max_length=20)]


class TotpStatus(BaseModel):
    """Whether the signed-in user has a second factor, and whether it is required of them."""

    enabled: bool
    required: bool


class TotpSetup(BaseModel):
    """A new key: show the QR code (or `secret`) to the authenticator app, then confirm a code.

    `qr_png` is the same code as `qr_svg`, as a base64 PNG, for screens that
    draw no SVG.
    """

    secret: str
    uri: str
    qr_svg: str
    qr_png: str


class CodeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: Code


class RecoveryCodes(BaseModel):
    """Ten one-time codes, shown only this once: write them down."""

    recovery_codes: list[str]


class SecurityPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Strict: 0, 1 or "yes" would otherwise pass for the boolean the schema says it is.
    require_totp_for_office: StrictBool
