"""Which projects a person may see, as a table: members see their project; approvers and
custodians see every project; any other role sees only projects it is a member of."""

from __future__ import annotations

import datetime as dt

import pytest

from safepupil.governance.projects import Project, ProjectStatus
from safepupil.governance.refusals import NOT_A_MEMBER, Refusal
from safepupil.governance.roles import Role
from safepupil.governance.visibility import (
    check_may_see_project,
    may_see_project,
    visible_projects,
)
from tests.governance.test_values import application, person

MEMBER, OTHER = 1, 5


def _project(project_id: int = 7, members: frozenset[int] = frozenset({MEMBER, 2})) -> Project:
    return Project(
        id=project_id,
        application=application(),
        applicant_id=min(members),
        members=members,
        status=ProjectStatus.APPROVED,
        approvers=frozenset(),
        rejection=None,
        applied_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("person_id", "roles", "active", "sees"),
    [
        (MEMBER, {Role.RESEARCHER}, True, True),
        (OTHER, {Role.RESEARCHER}, True, False),
        (OTHER, {Role.APPROVER}, True, True),
        (OTHER, {Role.CUSTODIAN}, True, True),
        (OTHER, {Role.RESEARCHER, Role.APPROVER}, True, True),
        (OTHER, {Role.OUTPUT_CHECKER}, True, False),
        (OTHER, {Role.APPROVER}, False, False),  # a disabled approver holds no role
        (MEMBER, {Role.RESEARCHER}, False, True),  # membership, not the role, decides
    ],
)
def test_who_may_see_a_project(person_id: int, roles: set[Role], active: bool, sees: bool) -> None:
    who = person(id=person_id, roles=frozenset(roles), active=active)
    assert may_see_project(who, _project()) is sees


def test_visible_projects_keep_their_order_and_drop_the_others() -> None:
    projects = [_project(9, frozenset({MEMBER})), _project(3, frozenset({2})), _project(4)]
    assert [p.id for p in visible_projects(person(id=MEMBER), projects)] == [9, 4]


def test_a_person_who_may_not_see_a_project_is_refused_naming_the_rule() -> None:
    outsider = person(id=OTHER, email="otto@uni.ac.uk")
    with pytest.raises(Refusal) as refused:
        check_may_see_project(outsider, _project())
    assert refused.value.rule == NOT_A_MEMBER
    assert refused.value.message == "not-a-member: otto@uni.ac.uk is not a member of project 7"
    assert "otto@uni.ac.uk" not in refused.value.logged  # the audit log names ids, not addresses
    check_may_see_project(person(id=MEMBER), _project())  # a member passes
