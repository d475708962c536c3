"""Two-person approval: who may decide on a project, and when it becomes approved.

A project is approved once two different approvers have approved it, neither of them
the applicant nor a member: nobody approves their own work, and no one person can
open data to a project alone. One eligible approver's rejection (with a reason) ends
the application.
"""

from __future__ import annotations

import enum

from safepupil.governance.people import Person
from safepupil.governance.projects import Project, ProjectStatus
from safepupil.governance.refusals import (
    ALREADY_DECIDED,
    APPROVER_IS_APPLICANT,
    APPROVER_IS_MEMBER,
    NOT_AN_APPROVER,
    PERSON_DISABLED,
    PROJECT_NOT_PENDING,
    Refusal,
)
from safepupil.governance.roles import Role

REQUIRED_APPROVALS = 2


class Decision(enum.Enum):
    APPROVE = "approve"
    REJECT = "reject"


def check_can_decide(project: Project, approver: Person, decided: frozenset[int]) -> None:
    """Refuse, naming the rule, unless ``approver`` may decide on ``project`` now.
    ``decided`` holds everyone who has already decided on it."""
    if not approver.active:
        raise Refusal(PERSON_DISABLED, f"{approver.email}'s account is disabled", about=approver)
    if Role.APPROVER not in approver.roles:
        raise Refusal(
            NOT_AN_APPROVER,
            f"{approver.email} does not hold the approver role",
            hint="ask a custodian to add the role, or ask an approver",
            about=approver,
        )
    if approver.id == project.applicant_id:
        raise Refusal(
            APPROVER_IS_APPLICANT,
            f"{approver.email} applied for project {project.id} and cannot decide on it",
            hint="another approver must decide",
            about=approver,
        )
    if approver.id in project.members:
        raise Refusal(
            APPROVER_IS_MEMBER,
            f"{approver.email} is a member of project {project.id} and cannot decide on it",
            hint="another approver must decide",
            about=approver,
        )
    if project.status is not ProjectStatus.PENDING:
        raise Refusal(
            PROJECT_NOT_PENDING,
            f"project {project.id} is already {project.status.value}",
            hint="a decided project is not decided again; a new application can be made",
        )
    if approver.id in decided:
        raise Refusal(
            ALREADY_DECIDED,
            f"{approver.email} has already decided on project {project.id}",
            hint=f"approval needs {REQUIRED_APPROVALS} different approvers",
            about=approver,
        )


def status_after_approvals(approvals: int) -> ProjectStatus:
    return ProjectStatus.APPROVED if approvals >= REQUIRED_APPROVALS else ProjectStatus.PENDING
