"""Reading people and projects from the control plane into value objects."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from safepupil.errors import InternalError, NotFound
from safepupil.governance.approvals import Decision
from safepupil.governance.people import Person, normalise_email
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    Project,
    ProjectApplication,
    ProjectStatus,
    RequestedItem,
)
from safepupil.governance.roles import Role
from safepupil.governance.tables import (
    PersonRoleRow,
    PersonRow,
    ProjectDecisionRow,
    ProjectItemRow,
    ProjectMemberRow,
    ProjectRow,
    table_of,
)

PEOPLE = table_of(PersonRow)
ROLES = table_of(PersonRoleRow)
PROJECTS = table_of(ProjectRow)
ITEMS = table_of(ProjectItemRow)
MEMBERS = table_of(ProjectMemberRow)
DECISIONS = table_of(ProjectDecisionRow)


def inserted_id(result: sa.CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    if key is None:
        raise InternalError("the database gave no id for a new row")
    return int(key[0])


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands times back without a zone; safepupil writes UTC only."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# ---- people -----------------------------------------------------------------------------


def load_person(connection: Connection, person_id: int) -> Person:
    people = _people(connection, PEOPLE.c.id == person_id)
    if not people:
        raise NotFound(f"no person with id {person_id}", hint="see `safepupil people list`")
    return people[0]


def person_by_email(connection: Connection, email: str) -> Person:
    address = normalise_email(email)
    people = _people(connection, PEOPLE.c.email == address)
    if not people:
        raise NotFound(
            f"nobody has the address {address}",
            hint="see `safepupil people list`, or add them with `safepupil people add`",
        )
    return people[0]


def all_people(connection: Connection) -> list[Person]:
    return _people(connection, sa.true())


def _people(connection: Connection, where: sa.ColumnElement[bool]) -> list[Person]:
    rows = connection.execute(sa.select(PEOPLE).where(where).order_by(PEOPLE.c.id)).all()
    ids = [row.id for row in rows]
    roles: dict[int, set[Role]] = defaultdict(set)
    for person_id, role in connection.execute(
        sa.select(ROLES.c.person_id, ROLES.c.role).where(ROLES.c.person_id.in_(ids))
    ):
        roles[person_id].add(Role(role))
    return [
        Person(
            id=row.id,
            name=row.name,
            email=row.email,
            roles=frozenset(roles[row.id]),
            organisation=row.organisation,
            la_code=row.la_code,
            accredited_until=row.accredited_until,
            active=row.active,
        )
        for row in rows
    ]


def password_hash_of(connection: Connection, person_id: int) -> str | None:
    value = connection.execute(
        sa.select(PEOPLE.c.password_hash).where(PEOPLE.c.id == person_id)
    ).scalar_one_or_none()
    return str(value) if value is not None else None


# ---- projects ---------------------------------------------------------------------------


def load_project(connection: Connection, project_id: int) -> Project:
    projects = _projects(connection, PROJECTS.c.id == project_id)
    if not projects:
        raise NotFound(f"no project {project_id}", hint="see `safepupil projects list`")
    return projects[0]


def all_projects(connection: Connection) -> list[Project]:
    return _projects(connection, sa.true())


def deciders(connection: Connection, project_id: int) -> frozenset[int]:
    """Everyone who has approved or rejected the project."""
    rows = connection.execute(
        sa.select(DECISIONS.c.approver_id).where(DECISIONS.c.project_id == project_id)
    )
    return frozenset(row.approver_id for row in rows)


def _projects(connection: Connection, where: sa.ColumnElement[bool]) -> list[Project]:
    rows = connection.execute(sa.select(PROJECTS).where(where).order_by(PROJECTS.c.id)).all()
    ids = [row.id for row in rows]
    items: dict[int, set[RequestedItem]] = defaultdict(set)
    for row in connection.execute(sa.select(ITEMS).where(ITEMS.c.project_id.in_(ids))):
        items[row.project_id].add(RequestedItem(row.dataset, row.item))
    members: dict[int, set[int]] = defaultdict(set)
    for row in connection.execute(sa.select(MEMBERS).where(MEMBERS.c.project_id.in_(ids))):
        members[row.project_id].add(row.person_id)
    approvers: dict[int, set[int]] = defaultdict(set)
    rejections: dict[int, tuple[int, str]] = {}
    for row in connection.execute(sa.select(DECISIONS).where(DECISIONS.c.project_id.in_(ids))):
        if row.decision == Decision.APPROVE.value:
            approvers[row.project_id].add(row.approver_id)
        else:
            rejections[row.project_id] = (row.approver_id, row.reason or "")
    return [
        Project(
            id=row.id,
            application=_application(row, frozenset(items[row.id])),
            applicant_id=row.applicant_id,
            members=frozenset(members[row.id]),
            status=ProjectStatus(row.status),
            approvers=frozenset(approvers[row.id]),
            rejection=rejections.get(row.id),
            applied_at=as_utc(row.applied_at),
        )
        for row in rows
    ]


def _application(row: sa.Row[Any], items: frozenset[RequestedItem]) -> ProjectApplication:
    return ProjectApplication(
        title=row.title,
        purpose=row.purpose,
        public_benefit=row.public_benefit,
        legal_basis=LegalBasis(row.legal_basis),
        organisation=row.organisation,
        organisation_type=OrganisationType(row.organisation_type),
        items=items,
        start=row.start_date,
        end=row.end_date,
    )
