from __future__ import annotations

import datetime as dt

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from opora.accounts import services
from opora.accounts.models import ApiToken, Team, User
from opora.core.access import Perm, ensure_perm
from opora.core.http import AuthedRequest

router = Router(tags=["accounts"])


class TeamOut(Schema):
    id: int
    name: str


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    team: TeamOut | None
    language: str
    timezone: str
    is_active: bool


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


@router.get("/me", response=UserOut, summary="The user the request is authenticated as")
def me(request: AuthedRequest) -> User:
    return request.user


@router.get("/users", response=list[UserOut], summary="Staff users")
def user_list(request: AuthedRequest) -> list[User]:
    ensure_perm(request.user, Perm.VIEW_STAFF)
    return list(User.objects.select_related("team").order_by("full_name"))


@router.get("/teams", response=list[TeamOut], summary="Teams")
def team_list(request: AuthedRequest) -> list[Team]:
    ensure_perm(request.user, Perm.VIEW_STAFF)
    return list(Team.objects.order_by("name"))


@router.get("/tokens", response=list[TokenOut], summary="Your active API tokens")
def token_list(request: AuthedRequest) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=request.user, revoked_at=None))


@router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of your API tokens")
def token_revoke(request: AuthedRequest, token_id: int) -> Status[None]:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(actor=request.user, token=token, request=request)
    return Status(204, None)
