"""Who am I: the signed-in person, their roles and accreditation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from safepupil.web.guards import signed_in
from safepupil.web.principal import Principal
from safepupil.web.views import person_view

router = APIRouter(prefix="/api/v1", tags=["people"], dependencies=[Depends(signed_in)])


@router.get("/me", summary="The person the token or session belongs to")
def me(principal: Principal = Depends(signed_in)) -> dict[str, Any]:
    return {**person_view(principal.person), "signed_in_by": _how(principal)}


def _how(principal: Principal) -> str:
    return "token" if principal.by_token else "session"
