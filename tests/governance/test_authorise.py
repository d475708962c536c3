"""``authorise_query``: only members, only of an approved project, only between its dates,
only its items, only accredited and active researchers. Each refusal names its rule
and is recorded; a grant's items feed the query layer's restriction step."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.errors import PermissionDenied
from safepupil.governance import service
from safepupil.governance.projects import Project
from safepupil.governance.refusals import Refusal
from safepupil.query.builder import dataset, item
from safepupil.query.restriction import RestrictionContext, restrict
from tests.governance.support import AP, TODAY, Cast, add_cast, an_application

ITEMS = ("sex", "la", "sen_provision")


def approved_project(engine: sa.Engine, cast: Cast, *, start: dt.date = TODAY) -> Project:
    project = service.apply_for_project(
        engine, an_application(*ITEMS, start=start), cast.applicant.id, [cast.member.id]
    )
    service.approve_project(engine, project.id, cast.approver_1.id)
    return service.approve_project(engine, project.id, cast.approver_2.id)


def test_a_member_gets_a_grant_of_the_projects_items(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = approved_project(engine, cast)
    grant = service.authorise_query(engine, cast.member.id, project.id, {"sex"}, AP, TODAY)
    assert grant.allowed_items == set(ITEMS) and grant.dataset == AP
    assert (grant.project_id, grant.person_id, grant.ends_on) == (
        project.id,
        cast.member.id,
        project.application.end,
    )
    # The grant is what the restriction step enforces, item by item.
    context = RestrictionContext(allowed_items=grant.allowed_items)
    allowed = dataset(AP).by("sex").count().build()
    assert restrict(allowed, context).query == allowed
    refused = dataset(AP).where(item("placement_reason") == "PEX").by("sex").count().build()
    with pytest.raises(PermissionDenied, match="not approved to use placement_reason"):
        restrict(refused, context)


Change = Callable[[sa.Engine, Cast, Project], None]


def nothing(engine: sa.Engine, cast: Cast, project: Project) -> None:
    return None


def expire_accreditation(engine: sa.Engine, cast: Cast, project: Project) -> None:
    service.accredit(engine, cast.member.id, TODAY, today=TODAY)


def revoke_accreditation(engine: sa.Engine, cast: Cast, project: Project) -> None:
    service.revoke_accreditation(engine, cast.member.id)


def disable_member(engine: sa.Engine, cast: Cast, project: Project) -> None:
    service.disable_person(engine, cast.member.id)


SEX = frozenset({"sex"})
SCHOOL = "school_census_2018"
CASES: list[tuple[str, Change, str, frozenset[str], str, int, str]] = [
    # (what, change, who, items, dataset, days from today, rule)
    ("not a member", nothing, "outsider", SEX, AP, 0, "not-a-member"),
    ("accreditation revoked", revoke_accreditation, "member", SEX, AP, 0, "accreditation-missing"),
    ("accreditation ended", expire_accreditation, "member", SEX, AP, 1, "accreditation-expired"),
    ("person disabled", disable_member, "member", SEX, AP, 0, "person-disabled"),
    ("before the start", nothing, "member", SEX, AP, -1, "outside-project-dates"),
    ("after the end", nothing, "member", SEX, AP, 181, "outside-project-dates"),
    ("item not approved", nothing, "member", SEX | {"ethnicity"}, AP, 0, "item-not-approved"),
    ("dataset not approved", nothing, "member", SEX, SCHOOL, 0, "dataset-not-approved"),
    ("not a researcher", nothing, "custodian", SEX, AP, 0, "not-a-researcher"),
]


@pytest.mark.parametrize(
    ("change", "who", "items", "dataset_name", "days", "rule"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_rule_refuses_by_name_and_is_recorded(
    engine: sa.Engine,
    change: Change,
    who: str,
    items: frozenset[str],
    dataset_name: str,
    days: int,
    rule: str,
) -> None:
    cast = add_cast(engine)
    project = approved_project(engine, cast)
    change(engine, cast, project)
    person = getattr(cast, who)
    on = TODAY + dt.timedelta(days=days)
    with pytest.raises(Refusal) as raised:
        service.authorise_query(engine, person.id, project.id, items, dataset_name, on)
    assert raised.value.rule == rule and raised.value.message.startswith(f"{rule}: ")
    [entry] = read_entries(engine, kind="access_refused")
    assert (entry.actor_id, entry.project_id, entry.payload["rule"]) == (
        person.id,
        project.id,
        rule,
    )
    assert entry.payload["items"] == sorted(items)


def test_the_first_and_last_days_of_a_project_are_inside_it(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = approved_project(engine, cast)
    for on in (project.application.start, project.application.end):
        assert service.authorise_query(engine, cast.member.id, project.id, {"la"}, AP, on)


def test_a_pending_project_grants_nothing(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(engine, an_application(*ITEMS), cast.applicant.id)
    service.approve_project(engine, project.id, cast.approver_1.id)
    with pytest.raises(Refusal) as raised:
        service.authorise_query(engine, cast.applicant.id, project.id, {"sex"}, AP, TODAY)
    assert raised.value.rule == "project-not-approved"


def test_inside_a_callers_transaction_the_refusal_goes_with_it(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = approved_project(engine, cast)
    with engine.begin() as connection:
        grant = service.authorise_query(connection, cast.member.id, project.id, set(), AP, TODAY)
        assert grant.allowed_items == set(ITEMS)
        with pytest.raises(Refusal):
            service.authorise_query(connection, cast.outsider.id, project.id, {"sex"}, AP, TODAY)
    assert len(read_entries(engine, kind="access_refused")) == 1
