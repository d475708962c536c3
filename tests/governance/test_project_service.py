"""Projects through the service, on SQLite and PostgreSQL: applications checked against
the catalogue and the access policy, two-person approval, rejection; all recorded."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.audit.verify import verify_log
from safepupil.errors import UserError
from safepupil.governance import service
from safepupil.governance.access_policy import access_policy_from_toml
from safepupil.governance.projects import LegalBasis, OrganisationType, ProjectStatus
from safepupil.governance.refusals import Refusal
from tests.governance.support import TODAY, add_cast, an_application, kinds

NO_A_FOR_ACADEMICS = access_policy_from_toml(
    'version = 1\n[organisation_types]\nacademic = ["B","C","D","E"]\ngovernment = []\n'
    "charity = []\ncommercial = []\njournalism = []\npolice = []\n",
    "test policy",
)


def test_an_application_is_recorded_with_its_members_and_items(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(
        engine, an_application("sex", "placement_reason"), cast.applicant.id, [cast.member.id]
    )
    assert project.status is ProjectStatus.PENDING
    assert project.members == {cast.applicant.id, cast.member.id}
    assert project.application.items_of("ap_census_2018") == {"sex", "placement_reason"}
    assert service.get_project(engine, project.id) == project
    assert service.list_projects(engine) == [project]
    entry = read_entries(engine, kind="project_applied")[0]
    assert entry.project_id == project.id and entry.actor_id == cast.applicant.id
    assert entry.payload["items"] == ["ap_census_2018.placement_reason", "ap_census_2018.sex"]


@pytest.mark.parametrize(
    ("organisation_type", "legal_basis", "message"),
    [
        (
            OrganisationType.JOURNALISM,
            LegalBasis.PUBLIC_TASK,
            "access-policy: journalism projects may not use items of sensitivity A "
            "(placement_reason)",
        ),
        (
            OrganisationType.ACADEMIC,
            LegalBasis.LEGITIMATE_INTERESTS,
            "access-policy: items of sensitivity A need the legal basis public-task, "
            "not legitimate-interests (placement_reason)",
        ),
    ],
)
def test_the_access_policy_refuses_an_application_naming_its_rule(
    engine: sa.Engine, organisation_type: OrganisationType, legal_basis: LegalBasis, message: str
) -> None:
    cast = add_cast(engine)
    application = an_application(
        "placement_reason", organisation_type=organisation_type, legal_basis=legal_basis
    )
    with pytest.raises(Refusal) as raised:
        service.apply_for_project(engine, application, cast.applicant.id)
    assert raised.value.message == message
    assert service.list_projects(engine) == []
    [entry] = read_entries(engine, kind="application_refused")
    assert entry.payload["rule"] == "access-policy" and entry.project_id is None


def test_only_active_researchers_apply_or_join(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    with pytest.raises(Refusal) as raised:
        service.apply_for_project(engine, an_application(), cast.approver_1.id)
    assert raised.value.rule == "not-a-researcher"
    service.disable_person(engine, cast.member.id)
    with pytest.raises(Refusal) as raised:
        service.apply_for_project(engine, an_application(), cast.applicant.id, [cast.member.id])
    assert raised.value.rule == "person-disabled"
    with pytest.raises(UserError, match="has passed"):
        service.apply_for_project(
            engine, an_application(start=TODAY - dt.timedelta(days=10), days=5), cast.applicant.id
        )
    assert service.list_projects(engine) == []


def test_two_distinct_approvers_approve_a_project(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(engine, an_application(), cast.applicant.id)
    once = service.approve_project(engine, project.id, cast.approver_1.id)
    assert once.status is ProjectStatus.PENDING and once.approvers == {cast.approver_1.id}
    with pytest.raises(Refusal) as raised:
        service.approve_project(engine, project.id, cast.approver_1.id)
    assert raised.value.rule == "already-decided"
    twice = service.approve_project(engine, project.id, cast.approver_2.id)
    assert twice.status is ProjectStatus.APPROVED
    assert twice.approvers == {cast.approver_1.id, cast.approver_2.id}
    with pytest.raises(Refusal) as raised:
        service.approve_project(engine, project.id, cast.approver_3.id)
    assert raised.value.rule == "project-not-pending"
    assert kinds(engine)[-6:] == [
        "project_applied",
        "approval_given",
        "approval_refused",
        "approval_given",
        "project_approved",
        "approval_refused",
    ]
    approved = read_entries(engine, kind="project_approved")[0]
    assert approved.payload == {"approvers": sorted([cast.approver_1.id, cast.approver_2.id])}
    assert [e.payload["approvals"] for e in read_entries(engine, kind="approval_given")] == [1, 2]
    assert verify_log(engine).ok


@pytest.mark.parametrize("who", ["applicant", "member", "custodian", "outsider"])
def test_neither_the_applicant_nor_a_member_nor_a_non_approver_approves(
    engine: sa.Engine, who: str
) -> None:
    cast = add_cast(engine)
    # approver_3 is also a researcher: as a member, they may not approve their own project
    project = service.apply_for_project(
        engine, an_application(), cast.applicant.id, [cast.approver_3.id]
    )
    person = {
        "applicant": cast.applicant,
        "member": cast.approver_3,
        "custodian": cast.custodian,
        "outsider": cast.outsider,
    }[who]
    rule = {
        "applicant": "not-an-approver",
        "member": "approver-is-member",
        "custodian": "not-an-approver",
        "outsider": "not-an-approver",
    }[who]
    with pytest.raises(Refusal) as raised:
        service.approve_project(engine, project.id, person.id)
    assert raised.value.rule == rule
    assert service.get_project(engine, project.id).approvers == frozenset()
    assert read_entries(engine, kind="approval_refused")[0].payload["rule"] == rule


def test_an_approver_who_applied_cannot_approve_their_own_project(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(engine, an_application(), cast.approver_3.id)
    with pytest.raises(Refusal) as raised:
        service.approve_project(engine, project.id, cast.approver_3.id)
    assert raised.value.rule == "approver-is-applicant"


def test_the_access_policy_is_applied_again_at_approval(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(
        engine, an_application("placement_reason"), cast.applicant.id
    )
    with pytest.raises(Refusal) as raised:
        service.approve_project(engine, project.id, cast.approver_1.id, policy=NO_A_FOR_ACADEMICS)
    assert raised.value.rule == "access-policy"
    assert "academic projects may not use items of sensitivity A" in raised.value.message
    assert service.get_project(engine, project.id).approvers == frozenset()


def test_a_rejection_ends_the_application(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(engine, an_application(), cast.applicant.id)
    service.approve_project(engine, project.id, cast.approver_1.id)
    with pytest.raises(UserError, match="reason must not be empty"):
        service.reject_project(engine, project.id, cast.approver_2.id, "  ")
    rejected = service.reject_project(
        engine, project.id, cast.approver_2.id, "No public benefit shown."
    )
    assert rejected.status is ProjectStatus.REJECTED
    assert rejected.rejection == (cast.approver_2.id, "No public benefit shown.")
    with pytest.raises(Refusal, match="already rejected"):
        service.approve_project(engine, project.id, cast.approver_3.id)
    entry = read_entries(engine, kind="project_rejected")[0]
    assert entry.actor_id == cast.approver_2.id and entry.payload["reason"].startswith("No public")


def test_refusals_are_logged_with_ids_not_addresses(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    project = service.apply_for_project(engine, an_application(), cast.applicant.id)
    for approver in (cast.applicant, cast.custodian, cast.approver_1, cast.approver_1):
        with contextlib.suppress(Refusal):
            service.approve_project(engine, project.id, approver.id)
    with pytest.raises(Refusal):
        service.authorise_query(engine, cast.outsider.id, project.id, {"sex"}, "x", TODAY)
    refusals = [e for e in read_entries(engine, limit=100) if e.kind.endswith("_refused")]
    assert len(refusals) == 4
    assert all("@" not in str(e.payload) for e in refusals)
    assert f"person {cast.outsider.id} is not a member" in str(refusals[-1].payload["reason"])
