"""People through the service, on SQLite and PostgreSQL: add, accredit, revoke, disable,
passwords and sign-in; each change recorded in the audit log."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.audit.verify import verify_log
from safepupil.errors import NotFound, UserError
from safepupil.governance import service
from safepupil.governance.refusals import Refusal
from safepupil.governance.roles import Role
from tests.governance.support import TODAY, add_cast, kinds

PASSWORD = "a long enough passphrase"


def test_a_person_is_added_with_roles_and_listed(engine: sa.Engine) -> None:
    added = service.add_person(
        engine,
        name="  Lena   Submitter ",
        email="Lena@LA201.gov.uk",
        roles=[Role.LA_SUBMITTER, Role.RESEARCHER],
        organisation="City of London",
        la_code="201",
    )
    assert (added.name, added.email, added.la_code) == (
        "Lena Submitter",
        "lena@la201.gov.uk",
        "201",
    )
    assert added.roles == {Role.LA_SUBMITTER, Role.RESEARCHER} and added.active
    assert added.accredited_until is None
    assert service.list_people(engine) == [added]
    assert service.find_person(engine, "LENA@la201.gov.uk") == added
    [entry] = read_entries(engine)
    assert entry.kind == "person_added" and entry.actor_id is None
    assert entry.payload == {"person_id": added.id, "roles": ["la-submitter", "researcher"]}


def test_an_address_has_one_account(engine: sa.Engine) -> None:
    service.add_person(engine, name="A", email="a@x.org", roles=[Role.CUSTODIAN], organisation="X")
    with pytest.raises(UserError, match="already has an account"):
        service.add_person(
            engine, name="B", email="A@X.org", roles=[Role.APPROVER], organisation="Y"
        )
    assert len(service.list_people(engine)) == 1 and kinds(engine) == ["person_added"]


def test_an_invalid_person_writes_nothing(engine: sa.Engine) -> None:
    with pytest.raises(UserError, match="needs the LA"):
        service.add_person(
            engine, name="A", email="a@x.org", roles=[Role.LA_SUBMITTER], organisation="X"
        )
    assert service.list_people(engine) == [] and kinds(engine) == []


def test_accreditation_is_granted_revoked_and_recorded(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    until = TODAY + dt.timedelta(days=30)
    person = service.accredit(engine, cast.member.id, until, actor_id=cast.custodian.id)
    assert person.accredited_until == until
    person = service.revoke_accreditation(engine, cast.member.id, actor_id=cast.custodian.id)
    assert person.accredited_until is None
    [granted, revoked] = read_entries(engine, limit=2)
    assert granted.kind == "accreditation_granted" and granted.actor_id == cast.custodian.id
    assert granted.payload == {"person_id": cast.member.id, "until": until.isoformat()}
    assert revoked.kind == "accreditation_revoked"
    with pytest.raises(UserError, match="cannot end in the past"):
        service.accredit(engine, cast.member.id, TODAY - dt.timedelta(days=1))


def test_only_custodians_manage_people(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    before = kinds(engine)
    with pytest.raises(Refusal) as raised:
        service.accredit(engine, cast.member.id, TODAY, actor_id=cast.approver_1.id)
    assert raised.value.rule == "not-a-custodian"
    with pytest.raises(Refusal):
        service.add_person(
            engine,
            name="Z",
            email="z@x.org",
            roles=[Role.APPROVER],
            organisation="X",
            actor_id=cast.member.id,
        )
    service.disable_person(engine, cast.custodian.id)
    with pytest.raises(Refusal, match="not an active custodian"):
        service.disable_person(engine, cast.member.id, actor_id=cast.custodian.id)
    assert kinds(engine) == [*before, "person_disabled"]


def test_disabling_keeps_the_account_and_unknown_people_are_not_found(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    disabled = service.disable_person(engine, cast.member.id)
    assert not disabled.active and service.get_person(engine, cast.member.id) == disabled
    with pytest.raises(NotFound, match="no person with id 999"):
        service.disable_person(engine, 999)
    with pytest.raises(NotFound, match="nobody has the address"):
        service.find_person(engine, "ghost@example.org")


def test_passwords_are_stored_as_scrypt_hashes_and_checked(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    service.set_password(engine, cast.member.id, PASSWORD, actor_id=cast.member.id)
    with engine.connect() as connection:
        stored = connection.execute(
            sa.text("SELECT password_hash FROM people WHERE id = :i"), {"i": cast.member.id}
        ).scalar_one()
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert service.check_password(engine, cast.member.email, PASSWORD)
    assert not service.check_password(engine, cast.member.email, PASSWORD + "!")
    assert not service.check_password(engine, "ghost@example.org", PASSWORD)
    with pytest.raises(Refusal) as raised:  # one researcher may not set another's
        service.set_password(engine, cast.applicant.id, PASSWORD, actor_id=cast.member.id)
    assert raised.value.rule == "not-a-custodian"
    assert kinds(engine)[-1] == "password_set"


def test_sign_in_is_recorded_and_a_failure_does_not_say_what_was_wrong(engine: sa.Engine) -> None:
    cast = add_cast(engine)
    service.set_password(engine, cast.member.id, PASSWORD)
    assert service.sign_in(engine, cast.member.email, PASSWORD) == cast.member
    messages = []
    for email, password in [
        (cast.member.email, "wrong password!!"),
        ("ghost@example.org", PASSWORD),
    ]:
        with pytest.raises(Refusal) as raised:
            service.sign_in(engine, email, password)
        messages.append(raised.value.message)
    service.disable_person(engine, cast.member.id)
    with pytest.raises(Refusal):
        service.sign_in(engine, cast.member.email, PASSWORD)
    assert len(set(messages)) == 1  # the same answer whatever was wrong
    entries = read_entries(engine, limit=5)
    reasons = [e.payload.get("reason") for e in entries if e.kind == "sign_in_refused"]
    assert reasons == ["wrong password", "no account has this address", "account disabled"]
    assert entries[0].kind == "sign_in" and entries[0].actor_id == cast.member.id
    assert verify_log(engine).ok
