"""The check every use of data passes: may this person, under this project, on this day,
read these items of this dataset?

The query and release layers call ``authorise_query`` first and feed the grant's
``allowed_items`` to ``query.restriction.RestrictionContext``. Anything not allowed is
refused, naming the rule, and the refusal is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.engine import Connection, Engine

from safepupil.audit.events import AccessRefused
from safepupil.audit.log import record
from safepupil.errors import UserError
from safepupil.governance.accreditation import AccreditationState, accreditation_state
from safepupil.governance.people import Person
from safepupil.governance.projects import Project, ProjectStatus
from safepupil.governance.records import load_person, load_project
from safepupil.governance.refusals import (
    ACCREDITATION_EXPIRED,
    ACCREDITATION_MISSING,
    DATASET_NOT_APPROVED,
    ITEM_NOT_APPROVED,
    NOT_A_MEMBER,
    NOT_A_RESEARCHER,
    OUTSIDE_PROJECT_DATES,
    PERSON_DISABLED,
    PROJECT_NOT_APPROVED,
    Refusal,
)
from safepupil.governance.roles import Role


@dataclass(frozen=True)
class ProjectGrant:
    """What a person may read under a project on the day it was checked."""

    project_id: int
    person_id: int
    dataset: str
    allowed_items: frozenset[str]  # every item of ``dataset`` the project was approved for
    ends_on: dt.date  # the project's last day

    def __post_init__(self) -> None:
        if not self.allowed_items:
            raise UserError(f"a grant for project {self.project_id} needs at least one item")


def authorise_query(
    target: Engine | Connection,
    person_id: int,
    project_id: int,
    items: Iterable[str],
    dataset: str,
    on: dt.date,
) -> ProjectGrant:
    """The grant, or a Refusal naming the first rule that fails. Given an Engine, a
    refusal is recorded (and committed) before it is raised; given a Connection, it is
    recorded in the caller's transaction, which the caller must commit."""
    wanted = frozenset(items)
    if isinstance(target, Engine):
        with target.connect() as connection:
            person, project = _load(connection, person_id, project_id)
    else:
        person, project = _load(target, person_id, project_id)
    try:
        check_use(person, project, wanted, dataset, on)
    except Refusal as refusal:
        record(
            target,
            AccessRefused(
                actor_id=person_id,
                project_id=project_id,
                rule=refusal.rule,
                dataset=dataset,
                items=tuple(sorted(wanted)),
                reason=refusal.logged,
            ),
        )
        raise
    return ProjectGrant(
        project_id=project.id,
        person_id=person.id,
        dataset=dataset,
        allowed_items=project.application.items_of(dataset),
        ends_on=project.application.end,
    )


def _load(connection: Connection, person_id: int, project_id: int) -> tuple[Person, Project]:
    return load_person(connection, person_id), load_project(connection, project_id)


def check_use(
    person: Person, project: Project, items: frozenset[str], dataset: str, on: dt.date
) -> None:
    """The rules, in order: who the person is, then the project, then what is asked."""
    _check_person(person, on)
    if person.id not in project.members:
        raise Refusal(
            NOT_A_MEMBER,
            f"{person.email} is not a member of project {project.id}",
            hint="only the project's members may use its data",
            about=person,
        )
    if project.status is not ProjectStatus.APPROVED:
        raise Refusal(
            PROJECT_NOT_APPROVED,
            f"project {project.id} is {project.status.value}, not approved",
            hint="a project needs two approvals before its data can be used",
        )
    start, end = project.application.start, project.application.end
    if not start <= on <= end:
        raise Refusal(
            OUTSIDE_PROJECT_DATES,
            f"project {project.id} runs from {start} to {end}, not on {on}",
            hint="data can be used only within the project's dates",
        )
    _check_items(project, items, dataset)


def _check_person(person: Person, on: dt.date) -> None:
    if not person.active:
        raise Refusal(PERSON_DISABLED, f"{person.email}'s account is disabled", about=person)
    if Role.RESEARCHER not in person.roles:
        raise Refusal(
            NOT_A_RESEARCHER, f"{person.email} does not hold the researcher role", about=person
        )
    state = accreditation_state(person.accredited_until, on)
    if state is AccreditationState.NONE:
        raise Refusal(
            ACCREDITATION_MISSING,
            f"{person.email} is not accredited",
            hint="a researcher must be accredited before using data; ask a custodian",
            about=person,
        )
    if state is AccreditationState.EXPIRED:
        raise Refusal(
            ACCREDITATION_EXPIRED,
            f"{person.email}'s accreditation ended on {person.accredited_until}",
            hint="renew the accreditation; ask a custodian",
            about=person,
        )


def _check_items(project: Project, items: frozenset[str], dataset: str) -> None:
    if dataset not in project.application.datasets:
        raise Refusal(
            DATASET_NOT_APPROVED,
            f"project {project.id} is not approved to use dataset {dataset}",
            hint=f"its datasets: {', '.join(project.application.datasets)}",
        )
    refused = sorted(items - project.application.items_of(dataset))
    if refused:
        raise Refusal(
            ITEM_NOT_APPROVED,
            f"project {project.id} is not approved to use {', '.join(refused)} of {dataset}",
            hint="leave them out, or apply for a project that includes them",
        )
