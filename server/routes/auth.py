"""Login, logout and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.contract import LoginResponse, Me
from models.schemas import Role
from models.types import no_control
from server.config import Settings
from server.deps import DbDep, SettingsDep, SignedIn
from server.services import auth
from server.tables import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
me_router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginRequest(BaseModel):
    """Username and password; `otp` the authenticator's code (or a recovery code) when
    the user has a second factor (a 401 with error code `totp_required` asks for it)."""

    model_config = ConfigDict(extra="forbid")
    username: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_control)]
    password: str = Field(min_length=1, max_length=500)
    otp: Annotated[str, Field(max_length=20), AfterValidator(no_control)] | None = None


def _gate(request: Request, settings: Settings) -> auth.HashGate:
    gate: auth.HashGate | None = getattr(request.app.state, "hash_gate", None)
    if gate is None:
        gate = auth.HashGate(settings.login_concurrent_hashes, settings.login_queue_seconds)
        request.app.state.hash_gate = gate
    return gate


@router.post(
    "/login",
    responses={
        401: {"description": "Feil brukernavn eller passord"},
        429: {"description": "For mange mislykkede forsøk; se Retry-After"},
        503: {"description": "Mange logger inn akkurat nå; se Retry-After"},
    },
)
async def login(body: LoginRequest, request: Request, settings: SettingsDep) -> LoginResponse:
    """A bearer token for a username and password.

    Async on purpose: a login waiting for its turn at the password hash
    (`HashGate`) holds neither a worker thread nor a database connection.
    """
    address = request.client.host if request.client else "unknown"
    result = await auth.login_async(
        request.app.state.sessionmaker,
        _gate(request, settings),
        settings=settings,
        username=body.username,
        password=body.password,
        otp=body.otp,
        address=address,
    )
    return LoginResponse(
        token=result.token,
        role=Role(result.user.role),
        expires_at=result.expires_at,
        user_id=result.user.id,
        contact_id=result.user.contact_id,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(actor: SignedIn, db: DbDep) -> None:
    auth.logout(db, actor=actor)


@me_router.get("/me")
def me(actor: SignedIn, db: DbDep) -> Me:
    user = db.get(User, actor.user_id)
    assert user is not None  # authenticate() found it a moment ago
    return Me(user_id=user.id, username=user.username, role=actor.role, contact_id=user.contact_id)
