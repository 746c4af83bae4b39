"""Login, logout and who-am-I."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field

from models.schemas import Role
from server.deps import CurrentUser, DbDep, SettingsDep
from server.services import auth
from server.tables import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
me_router = APIRouter(prefix="/api/v1", tags=["auth"])


class LoginRequest(BaseModel):
    """Username and password."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=500)


class LoginResponse(BaseModel):
    """A bearer token and when it stops working."""

    token: str
    role: Role
    expires_at: datetime
    user_id: str
    contact_id: str | None


class Me(BaseModel):
    """The signed-in user."""

    user_id: str
    username: str
    role: Role
    contact_id: str | None


@router.post(
    "/login",
    responses={
        401: {"description": "wrong username or password"},
        429: {"description": "throttled"},
    },
)
def login(body: LoginRequest, request: Request, db: DbDep, settings: SettingsDep) -> LoginResponse:
    address = request.client.host if request.client else "unknown"
    result = auth.login(
        db, settings=settings, username=body.username, password=body.password, address=address
    )
    return LoginResponse(
        token=result.token,
        role=Role(result.user.role),
        expires_at=result.expires_at,
        user_id=result.user.id,
        contact_id=result.user.contact_id,
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(actor: CurrentUser, db: DbDep) -> None:
    auth.logout(db, actor=actor)


@me_router.get("/me")
def me(actor: CurrentUser, db: DbDep) -> Me:
    user = db.get(User, actor.user_id)
    assert user is not None  # authenticate() found it a moment ago
    return Me(user_id=user.id, username=user.username, role=actor.role, contact_id=user.contact_id)
