"""Your own API tokens: list (never the secret), create (the secret shown once), revoke.
``revoke_token`` refuses another person's token (``not-the-token-holder``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from safepupil.governance import service
from safepupil.governance.tokens import DEFAULT_TOKEN_DAYS, MAX_TOKEN_DAYS
from safepupil.web.context import service_of
from safepupil.web.guards import signed_in
from safepupil.web.principal import Principal
from safepupil.web.views import issued_token_view, token_view

GUARD = signed_in
router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])
TokenId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    days: int = Field(default=DEFAULT_TOKEN_DAYS, ge=1, le=MAX_TOKEN_DAYS)


@router.get("", dependencies=[Depends(GUARD)], summary="Your tokens (never their secrets)")
def list_tokens(
    request: Request, principal: Annotated[Principal, Depends(GUARD)]
) -> list[dict[str, Any]]:
    tokens = service.list_tokens(service_of(request).control, principal.person.id)
    return [token_view(t) for t in tokens]


@router.post("", dependencies=[Depends(GUARD)], status_code=201, summary="A new token, shown once")
def create_token(
    request: Request,
    principal: Annotated[Principal, Depends(GUARD)],
    body: TokenBody | None = None,
) -> dict[str, Any]:
    person_id = principal.person.id
    issued = service.create_token(
        service_of(request).control,
        person_id,
        days=(body or TokenBody()).days,
        actor_id=person_id,
    )
    return issued_token_view(issued)


@router.delete("/{token_id}", dependencies=[Depends(GUARD)], summary="Revoke a token")
def revoke_token(
    request: Request, token_id: TokenId, principal: Annotated[Principal, Depends(GUARD)]
) -> dict[str, Any]:
    token = service.revoke_token(
        service_of(request).control, token_id, actor_id=principal.person.id
    )
    return token_view(token)
