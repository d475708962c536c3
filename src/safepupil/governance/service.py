"""The governance service: every function the CLI, the HTTP API and the web pages call.

Each changes the control plane in one transaction together with its audit event, and
refuses (``refusals.Refusal``, a PermissionDenied naming its rule) what a person may
not do. The functions live in modules by subject; this module gathers them.
"""

from __future__ import annotations

from safepupil.governance.authorise import ProjectGrant, authorise_query
from safepupil.governance.people_service import (
    accredit,
    add_person,
    check_password,
    disable_person,
    find_person,
    get_person,
    list_people,
    revoke_accreditation,
    set_password,
    sign_in,
)
from safepupil.governance.project_service import (
    apply_for_project,
    approve_project,
    get_project,
    list_projects,
    reject_project,
)
from safepupil.governance.token_service import (
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)

__all__ = [
    "ProjectGrant",
    "accredit",
    "add_person",
    "apply_for_project",
    "approve_project",
    "authenticate_token",
    "authorise_query",
    "check_password",
    "create_token",
    "disable_person",
    "find_person",
    "get_person",
    "get_project",
    "list_people",
    "list_projects",
    "list_tokens",
    "reject_project",
    "revoke_accreditation",
    "revoke_token",
    "set_password",
    "sign_in",
]
