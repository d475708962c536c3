"""Which projects a person may see: the members of a project see it; approvers and
custodians see every project, because they decide on applications and run the service.

Seeing a project is reading its application (title, purpose, items, members); it gives
no access to data, which ``authorise.authorise_query`` decides on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

from safepupil.governance.people import Person
from safepupil.governance.projects import Project
from safepupil.governance.refusals import NOT_A_MEMBER, Refusal
from safepupil.governance.roles import Role

SEES_EVERY_PROJECT = (Role.APPROVER, Role.CUSTODIAN)


def may_see_project(person: Person, project: Project) -> bool:
    return person.id in project.members or any(person.has(r) for r in SEES_EVERY_PROJECT)


def visible_projects(person: Person, projects: Iterable[Project]) -> list[Project]:
    """The projects of ``projects`` the person may see, in the order given."""
    return [project for project in projects if may_see_project(person, project)]


def check_may_see_project(person: Person, project: Project) -> None:
    """Refuse (``not-a-member``) a person who may not see the project."""
    if not may_see_project(person, project):
        raise Refusal(
            NOT_A_MEMBER,
            f"{person.email} is not a member of project {project.id}",
            hint="ask the project's applicant to add you in a new application",
            about=person,
        )
