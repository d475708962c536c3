"""Projects: apply, approve (two approvers), reject, list, show.

The access policy is applied when a project applies and again when each approval is
given (the policy may have changed in between). A refusal is recorded in the audit log
in a transaction of its own, since the transaction it refused is rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from safepupil.audit.events import (
    ApplicationRefused,
    ApprovalGiven,
    ApprovalRefused,
    ProjectApplied,
    ProjectApproved,
    ProjectRejected,
)
from safepupil.audit.log import record, writing
from safepupil.errors import UserError
from safepupil.governance.access_policy import AccessPolicy, load_access_policy
from safepupil.governance.approvals import Decision, check_can_decide, status_after_approvals
from safepupil.governance.people import Person, check_text
from safepupil.governance.projects import (
    MAX_STATEMENT_CHARS,
    Project,
    ProjectApplication,
    ProjectStatus,
)
from safepupil.governance.records import (
    DECISIONS,
    ITEMS,
    MEMBERS,
    PROJECTS,
    all_projects,
    deciders,
    inserted_id,
    load_person,
    load_project,
)
from safepupil.governance.refusals import NOT_A_RESEARCHER, PERSON_DISABLED, Refusal
from safepupil.governance.roles import Role
from safepupil.store.catalogue import Catalogue, load_catalogue


def apply_for_project(
    engine: Engine,
    application: ProjectApplication,
    applicant_id: int,
    member_ids: Iterable[int] = (),
    *,
    policy: AccessPolicy | None = None,
    catalogue: Catalogue | None = None,
    now: dt.datetime | None = None,
) -> Project:
    """Record an application from ``applicant_id`` (a member, with ``member_ids``)."""
    members = frozenset(member_ids) | {applicant_id}
    moment = now or dt.datetime.now(dt.UTC)
    if application.end < moment.date():
        raise UserError(
            f"the project's last day ({application.end}) has passed", hint="check --end"
        )
    try:
        with writing(engine) as connection:
            for person_id in sorted(members):
                _check_researcher(load_person(connection, person_id))
            _check_policy(application, policy, catalogue)
            project_id = _insert_project(connection, application, applicant_id, members, moment)
            record(connection, _applied_event(application, applicant_id, project_id, members))
            return load_project(connection, project_id)
    except Refusal as refusal:
        _record_refusal(engine, ApplicationRefused, applicant_id, None, refusal)
        raise


def approve_project(
    engine: Engine,
    project_id: int,
    approver_id: int,
    *,
    policy: AccessPolicy | None = None,
    catalogue: Catalogue | None = None,
    now: dt.datetime | None = None,
) -> Project:
    """One approver's approval; the second distinct approval approves the project."""
    moment = now or dt.datetime.now(dt.UTC)
    try:
        with writing(engine) as connection:
            project = load_project(connection, project_id)
            approver = load_person(connection, approver_id)
            check_can_decide(project, approver, deciders(connection, project_id))
            _check_policy(project.application, policy, catalogue)
            _insert_decision(connection, project_id, approver_id, Decision.APPROVE, None, moment)
            approvers = project.approvers | {approver_id}
            record(
                connection,
                ApprovalGiven(
                    actor_id=approver_id, project_id=project_id, approvals=len(approvers)
                ),
            )
            if status_after_approvals(len(approvers)) is ProjectStatus.APPROVED:
                _set_status(connection, project_id, ProjectStatus.APPROVED, moment)
                record(
                    connection,
                    ProjectApproved(
                        actor_id=approver_id,
                        project_id=project_id,
                        approvers=tuple(sorted(approvers)),
                    ),
                )
            return load_project(connection, project_id)
    except Refusal as refusal:
        _record_refusal(engine, ApprovalRefused, approver_id, project_id, refusal)
        raise


def reject_project(
    engine: Engine,
    project_id: int,
    approver_id: int,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Project:
    """An eligible approver rejects the application, saying why; that ends it."""
    why = check_text("reason", reason, MAX_STATEMENT_CHARS)
    moment = now or dt.datetime.now(dt.UTC)
    try:
        with writing(engine) as connection:
            project = load_project(connection, project_id)
            approver = load_person(connection, approver_id)
            check_can_decide(project, approver, deciders(connection, project_id))
            _insert_decision(connection, project_id, approver_id, Decision.REJECT, why, moment)
            _set_status(connection, project_id, ProjectStatus.REJECTED, moment)
            record(
                connection,
                ProjectRejected(actor_id=approver_id, project_id=project_id, reason=why),
            )
            return load_project(connection, project_id)
    except Refusal as refusal:
        _record_refusal(engine, ApprovalRefused, approver_id, project_id, refusal)
        raise


def list_projects(engine: Engine) -> list[Project]:
    with engine.connect() as connection:
        return all_projects(connection)


def get_project(engine: Engine, project_id: int) -> Project:
    with engine.connect() as connection:
        return load_project(connection, project_id)


def item_sensitivities(application: ProjectApplication, catalogue: Catalogue) -> dict[str, str]:
    """Each requested item's sensitivity, named plainly when the project has one dataset."""
    single = len(application.datasets) == 1
    return {
        (item.item if single else str(item)): catalogue.dataset(item.dataset)
        .item(item.item)
        .sensitivity
        for item in application.items
    }


def _check_researcher(person: Person) -> None:
    if not person.active:
        raise Refusal(PERSON_DISABLED, f"{person.email}'s account is disabled", about=person)
    if Role.RESEARCHER not in person.roles:
        raise Refusal(
            NOT_A_RESEARCHER,
            f"{person.email} does not hold the researcher role, so cannot join a project",
            hint="ask a custodian to add the role",
            about=person,
        )


def _check_policy(
    application: ProjectApplication, policy: AccessPolicy | None, catalogue: Catalogue | None
) -> None:
    chosen = policy or load_access_policy()
    sensitivities = item_sensitivities(application, catalogue or load_catalogue())
    chosen.check(application.organisation_type, application.legal_basis, sensitivities)


def _insert_project(
    connection: Connection,
    application: ProjectApplication,
    applicant_id: int,
    members: frozenset[int],
    moment: dt.datetime,
) -> int:
    result = connection.execute(
        sa.insert(PROJECTS),
        {
            "title": application.title,
            "purpose": application.purpose,
            "public_benefit": application.public_benefit,
            "legal_basis": application.legal_basis.value,
            "organisation": application.organisation,
            "organisation_type": application.organisation_type.value,
            "applicant_id": applicant_id,
            "start_date": application.start,
            "end_date": application.end,
            "status": ProjectStatus.PENDING.value,
            "applied_at": moment,
            "decided_at": None,
        },
    )
    project_id = inserted_id(result)
    connection.execute(
        sa.insert(ITEMS),
        [
            {"project_id": project_id, "dataset": i.dataset, "item": i.item}
            for i in sorted(application.items)
        ],
    )
    connection.execute(
        sa.insert(MEMBERS),
        [{"project_id": project_id, "person_id": p} for p in sorted(members)],
    )
    return project_id


def _insert_decision(
    connection: Connection,
    project_id: int,
    approver_id: int,
    decision: Decision,
    reason: str | None,
    moment: dt.datetime,
) -> None:
    connection.execute(
        sa.insert(DECISIONS),
        {
            "project_id": project_id,
            "approver_id": approver_id,
            "decision": decision.value,
            "reason": reason,
            "decided_at": moment,
        },
    )


def _set_status(
    connection: Connection, project_id: int, status: ProjectStatus, moment: dt.datetime
) -> None:
    connection.execute(
        sa.update(PROJECTS)
        .where(PROJECTS.c.id == project_id)
        .values(status=status.value, decided_at=moment)
    )


def _applied_event(
    application: ProjectApplication, applicant_id: int, project_id: int, members: frozenset[int]
) -> ProjectApplied:
    return ProjectApplied(
        actor_id=applicant_id,
        project_id=project_id,
        organisation_type=application.organisation_type.value,
        datasets=application.datasets,
        items=tuple(str(item) for item in sorted(application.items)),
        members=tuple(sorted(members)),
    )


def _record_refusal(
    engine: Engine,
    kind: type[ApplicationRefused] | type[ApprovalRefused],
    actor_id: int,
    project_id: int | None,
    refusal: Refusal,
) -> None:
    event = kind(actor_id=actor_id, project_id=project_id, rule=refusal.rule, reason=refusal.logged)
    record(engine, event)
