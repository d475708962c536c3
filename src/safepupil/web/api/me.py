"""Who am I: the signed-in person, their roles and accreditation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from safepupil.web.guards import signed_in
from safepupil.web.principal import Principal

router = APIRouter(prefix="/api/v1", tags=["people"], dependencies=[Depends(signed_in)])


@router.get("/me", summary="The person the token or session belongs to")
def me(principal: Principal = Depends(signed_in)) -> dict[str, Any]:
    person = principal.person
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "organisation": person.organisation,
        "roles": list(person.role_names),
        "la_code": person.la_code,
        "accredited_until": (
            person.accredited_until.isoformat() if person.accredited_until else None
        ),
        "signed_in_by": "token" if principal.by_token else "session",
    }
