"""The access policy, two-person approval, passwords and tokens, as tables (no database)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safepupil.errors import ConfigError, UserError
from safepupil.governance.access_policy import (
    POLICY_FILE,
    access_policy_from_toml,
    load_access_policy,
)
from safepupil.governance.approvals import REQUIRED_APPROVALS, check_can_decide
from safepupil.governance.passwords import (
    MIN_PASSWORD_LENGTH,
    hash_password,
    password_matches,
)
from safepupil.governance.people import Person
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    Project,
    ProjectStatus,
    RequestedItem,
)
from safepupil.governance.refusals import Refusal
from safepupil.governance.roles import Role
from safepupil.governance.tokens import (
    MAX_TOKEN_DAYS,
    ApiToken,
    TokenState,
    check_token_days,
    looks_like_token,
    new_token,
    token_hash,
)
from tests.governance.test_values import application

ACADEMIC, GOVERNMENT = OrganisationType.ACADEMIC, OrganisationType.GOVERNMENT
CHARITY, COMMERCIAL = OrganisationType.CHARITY, OrganisationType.COMMERCIAL
JOURNALISM, POLICE = OrganisationType.JOURNALISM, OrganisationType.POLICE
PUBLIC_TASK, INTERESTS = LegalBasis.PUBLIC_TASK, LegalBasis.LEGITIMATE_INTERESTS
A_ITEM = {"placement_reason": "A"}
B_ITEM = {"ethnicity": "B"}
E_ITEM = {"la": "E"}


@pytest.mark.parametrize(
    ("organisation", "basis", "items", "refusal"),
    [
        (ACADEMIC, PUBLIC_TASK, A_ITEM, None),
        (GOVERNMENT, PUBLIC_TASK, A_ITEM, None),
        (ACADEMIC, INTERESTS, A_ITEM, "need the legal basis public-task, not legitimate-interests"),
        (ACADEMIC, INTERESTS, B_ITEM, None),
        (CHARITY, PUBLIC_TASK, A_ITEM, "charity projects may not use items of sensitivity A"),
        (CHARITY, INTERESTS, B_ITEM, None),
        (COMMERCIAL, INTERESTS, E_ITEM, None),
        (COMMERCIAL, PUBLIC_TASK, A_ITEM, "commercial projects may not use items"),
        (
            JOURNALISM,
            PUBLIC_TASK,
            A_ITEM,
            "journalism projects may not use items of sensitivity A (placement_reason)",
        ),
        (JOURNALISM, PUBLIC_TASK, E_ITEM, "journalism projects may not use items of sensitivity E"),
        (POLICE, PUBLIC_TASK, E_ITEM, "police projects may not use items of sensitivity E (la)"),
    ],
)
def test_the_default_policy(
    organisation: OrganisationType, basis: LegalBasis, items: dict[str, str], refusal: str | None
) -> None:
    found = load_access_policy().refusal(organisation, basis, items)
    if refusal is None:
        assert found is None
    else:
        assert found is not None and found.rule == "access-policy"
        assert str(found.message).startswith("access-policy: ") and refusal in found.message


def test_a_refusal_lists_every_barred_item_by_sensitivity() -> None:
    items = {"placement_reason": "A", "ethnicity": "B", "sen_type_1": "B", "la": "E"}
    found = load_access_policy().refusal(POLICE, PUBLIC_TASK, items)
    assert found is not None
    assert found.detail == (
        "police projects may not use items of sensitivity "
        "A (placement_reason), B (ethnicity, sen_type_1), E (la)"
    )


def test_a_deployment_may_have_its_own_policy(tmp_path: Path) -> None:
    assert load_access_policy(tmp_path).refusal(POLICE, PUBLIC_TASK, E_ITEM) is not None
    (tmp_path / POLICY_FILE).write_text(
        'version = 1\n[organisation_types]\nacademic = ["A","B","C","D","E"]\n'
        'government = ["E"]\ncharity = []\ncommercial = []\njournalism = []\npolice = ["E"]\n',
        "utf-8",
    )
    policy = load_access_policy(tmp_path)
    assert policy.refusal(POLICE, PUBLIC_TASK, E_ITEM) is None
    assert policy.refusal(ACADEMIC, INTERESTS, A_ITEM) is None  # no legal-basis condition


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 2\n[organisation_types]\n", "version = 1"),
        ("version = 1\n", "missing or bad entry"),
        ('version = 1\n[organisation_types]\nacademic = ["A"]\n', "says nothing of government"),
        ('version = 1\n[organisation_types]\nbank = ["A"]\n', "missing or bad entry"),
        ("version = 1\n[organisation_types\n", "not valid TOML"),
    ],
)
def test_a_bad_policy_file_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        access_policy_from_toml(text, "policy.toml")
    assert raised.value.where is not None and raised.value.where.file == "policy.toml"


def test_unknown_sensitivities_are_refused() -> None:
    text = (
        'version = 1\n[organisation_types]\nacademic = ["Z"]\ngovernment = []\ncharity = []\n'
        "commercial = []\njournalism = []\npolice = []\n"
    )
    with pytest.raises(ConfigError, match="unknown sensitivities"):
        access_policy_from_toml(text, "policy.toml")


def someone(person_id: int, *roles: Role, active: bool = True) -> Person:
    return Person(
        id=person_id,
        name=f"Person {person_id}",
        email=f"p{person_id}@example.org",
        roles=frozenset(roles),
        organisation="Somewhere",
        la_code=None,
        accredited_until=None,
        active=active,
    )


def pending_project(status: ProjectStatus = ProjectStatus.PENDING) -> Project:
    return Project(
        id=7,
        application=application(items=frozenset({RequestedItem("ap_census_2018", "sex")})),
        applicant_id=1,
        members=frozenset({1, 2}),
        status=status,
        approvers=frozenset(),
        rejection=(9, "no") if status is ProjectStatus.REJECTED else None,
        applied_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )


@pytest.mark.parametrize(
    ("approver", "decided", "status", "rule"),
    [
        (someone(5, Role.APPROVER), frozenset(), ProjectStatus.PENDING, None),
        (someone(5, Role.APPROVER), frozenset({6}), ProjectStatus.PENDING, None),
        (someone(5, Role.APPROVER, active=False), frozenset(), ProjectStatus.PENDING,
         "person-disabled"),
        (someone(5, Role.CUSTODIAN), frozenset(), ProjectStatus.PENDING, "not-an-approver"),
        (someone(1, Role.APPROVER), frozenset(), ProjectStatus.PENDING, "approver-is-applicant"),
        (someone(2, Role.APPROVER), frozenset(), ProjectStatus.PENDING, "approver-is-member"),
        (someone(5, Role.APPROVER), frozenset({5}), ProjectStatus.PENDING, "already-decided"),
        (someone(5, Role.APPROVER), frozenset(), ProjectStatus.APPROVED, "project-not-pending"),
        (someone(5, Role.APPROVER), frozenset(), ProjectStatus.REJECTED, "project-not-pending"),
    ],
)  # fmt: skip
def test_who_may_decide_on_a_project(
    approver: Person, decided: frozenset[int], status: ProjectStatus, rule: str | None
) -> None:
    if rule is None:
        check_can_decide(pending_project(status), approver, decided)
        return
    with pytest.raises(Refusal) as raised:
        check_can_decide(pending_project(status), approver, decided)
    assert raised.value.rule == rule and raised.value.message.startswith(f"{rule}: ")


def test_two_approvals_are_required() -> None:
    assert REQUIRED_APPROVALS == 2


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password("correct horse battery")  # about half a second: made once


def test_a_password_hash_checks_the_password_and_nothing_else(stored: str) -> None:
    assert stored.startswith("scrypt$131072$8$1$")
    assert password_matches("correct horse battery", stored)
    assert not password_matches("correct horse batterY", stored)
    assert not password_matches("correct horse battery", None)
    assert hash_password("correct horse battery") != stored  # a new salt every time


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s.replace("scrypt", "bcrypt"),
        lambda s: s.replace("$131072$", "$131073$"),  # not a power of two
        lambda s: s.replace("$131072$", "$1048576$"),  # more work than we ever ask
        lambda s: s.replace("$8$1$", "$9$1$"),
        lambda s: s[:-4],  # a truncated key
        lambda s: s + "$extra",
    ],
)
def test_a_damaged_hash_never_matches(stored: str, damage: object) -> None:
    assert not password_matches("correct horse battery", damage(stored))  # type: ignore[operator]


def test_passwords_shorter_than_the_policy_are_refused() -> None:
    with pytest.raises(UserError, match=f"at least {MIN_PASSWORD_LENGTH}"):
        hash_password("x" * (MIN_PASSWORD_LENGTH - 1))


def test_a_token_is_43_url_safe_characters_and_hashes_to_sha256() -> None:
    token = new_token()
    assert looks_like_token(token) and len(token) == 43 and token != new_token()
    assert len(token_hash(token)) == 64 and token_hash(token) != token_hash(new_token())
    assert not looks_like_token(token + "=") and not looks_like_token(token[:-1])


@pytest.mark.parametrize(
    ("days", "ok"), [(0, False), (1, True), (MAX_TOKEN_DAYS, True), (MAX_TOKEN_DAYS + 1, False)]
)
def test_token_lifetimes(days: int, ok: bool) -> None:
    if ok:
        assert check_token_days(days) == days
    else:
        with pytest.raises(UserError, match="lasts 1 to"):
            check_token_days(days)


def test_a_token_is_active_until_it_expires_or_is_revoked() -> None:
    made = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    token = ApiToken(1, 1, made, made + dt.timedelta(days=1), None)
    assert token.state(made) is TokenState.ACTIVE
    assert token.state(made + dt.timedelta(days=1)) is TokenState.EXPIRED
    revoked = ApiToken(1, 1, made, made + dt.timedelta(days=1), made)
    assert revoked.state(made) is TokenState.REVOKED
