"""Managing people: add, accredit, revoke accreditation, disable, passwords and sign-in.

Each change happens in one transaction with its audit event (``audit.log.writing``).
``actor_id`` is who asks: None for the operator at the deployment's command line (who
holds the deployment itself), otherwise an active custodian; anyone else is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError as DatabaseIntegrityError

from safepupil.audit.events import (
    AccreditationGranted,
    AccreditationRevoked,
    PasswordSet,
    PersonAdded,
    PersonDisabled,
    SignIn,
    SignInRefused,
)
from safepupil.audit.log import record, writing
from safepupil.errors import NotFound, UserError
from safepupil.governance.accreditation import check_accreditation_end
from safepupil.governance.passwords import hash_password, password_matches
from safepupil.governance.people import Person, check_text, normalise_email
from safepupil.governance.records import (
    PEOPLE,
    ROLES,
    all_people,
    inserted_id,
    load_person,
    password_hash_of,
    person_by_email,
)
from safepupil.governance.refusals import NOT_A_CUSTODIAN, SIGN_IN_FAILED, Refusal
from safepupil.governance.roles import Role


def require_custodian(connection: Connection, actor_id: int | None) -> None:
    """Let the operator (None) or an active custodian through; refuse anyone else."""
    if actor_id is None:
        return
    actor = load_person(connection, actor_id)
    if not actor.has(Role.CUSTODIAN):
        raise Refusal(
            NOT_A_CUSTODIAN,
            f"{actor.email} is not an active custodian and cannot manage people",
            hint="ask a custodian",
            about=actor,
        )


def add_person(
    engine: Engine,
    *,
    name: str,
    email: str,
    roles: Iterable[Role],
    organisation: str,
    la_code: str | None = None,
    actor_id: int | None = None,
) -> Person:
    address = normalise_email(email)
    chosen = frozenset(roles)
    Person(  # checked as a whole before anything is written; the id is a placeholder
        id=1,
        name=check_text("name", name),
        email=address,
        roles=chosen,
        organisation=organisation,
        la_code=la_code,
        accredited_until=None,
        active=True,
    )
    try:
        with writing(engine) as connection:
            require_custodian(connection, actor_id)
            person_id = _insert_person(connection, name, address, chosen, organisation, la_code)
            record(
                connection,
                PersonAdded(
                    actor_id=actor_id,
                    person_id=person_id,
                    roles=tuple(sorted(r.value for r in chosen)),
                ),
            )
            return load_person(connection, person_id)
    except DatabaseIntegrityError:  # the unique address, taken between check and insert
        raise _address_taken(address) from None


def _insert_person(
    connection: Connection,
    name: str,
    email: str,
    roles: frozenset[Role],
    organisation: str,
    la_code: str | None,
) -> int:
    taken = connection.execute(sa.select(PEOPLE.c.id).where(PEOPLE.c.email == email)).first()
    if taken is not None:
        raise _address_taken(email)
    result = connection.execute(
        sa.insert(PEOPLE),
        {
            "name": check_text("name", name),
            "email": email,
            "organisation": check_text("organisation", organisation),
            "la_code": la_code,
            "accredited_until": None,
            "active": True,
            "password_hash": None,
            "created_at": dt.datetime.now(dt.UTC),
        },
    )
    person_id = inserted_id(result)
    connection.execute(
        sa.insert(ROLES), [{"person_id": person_id, "role": role.value} for role in roles]
    )
    return person_id


def _address_taken(email: str) -> UserError:
    return UserError(
        f"{email} already has an account", hint="see `safepupil people list`; addresses are unique"
    )


def list_people(engine: Engine) -> list[Person]:
    with engine.connect() as connection:
        return all_people(connection)


def find_person(engine: Engine, email: str) -> Person:
    with engine.connect() as connection:
        return person_by_email(connection, email)


def get_person(engine: Engine, person_id: int) -> Person:
    with engine.connect() as connection:
        return load_person(connection, person_id)


def accredit(
    engine: Engine,
    person_id: int,
    until: dt.date,
    *,
    actor_id: int | None = None,
    today: dt.date | None = None,
) -> Person:
    """Accredit until ``until`` (the last day, inclusive); replaces an earlier date."""
    check_accreditation_end(until, today or dt.date.today())
    with writing(engine) as connection:
        require_custodian(connection, actor_id)
        _update_person(connection, person_id, accredited_until=until)
        record(
            connection,
            AccreditationGranted(actor_id=actor_id, person_id=person_id, until=until.isoformat()),
        )
        return load_person(connection, person_id)


def revoke_accreditation(engine: Engine, person_id: int, *, actor_id: int | None = None) -> Person:
    with writing(engine) as connection:
        require_custodian(connection, actor_id)
        _update_person(connection, person_id, accredited_until=None)
        record(connection, AccreditationRevoked(actor_id=actor_id, person_id=person_id))
        return load_person(connection, person_id)


def disable_person(engine: Engine, person_id: int, *, actor_id: int | None = None) -> Person:
    """A disabled person can do nothing: not sign in, use a token, apply, approve or query.
    The account stays, so everything it did still names it."""
    with writing(engine) as connection:
        require_custodian(connection, actor_id)
        _update_person(connection, person_id, active=False)
        record(connection, PersonDisabled(actor_id=actor_id, person_id=person_id))
        return load_person(connection, person_id)


def _update_person(connection: Connection, person_id: int, **values: object) -> None:
    result = connection.execute(sa.update(PEOPLE).where(PEOPLE.c.id == person_id).values(values))
    if result.rowcount != 1:
        raise NotFound(f"no person with id {person_id}", hint="see `safepupil people list`")


def set_password(
    engine: Engine, person_id: int, password: str, *, actor_id: int | None = None
) -> None:
    """Set the web sign-in password: by the person themself, a custodian or the operator."""
    stored = hash_password(password)  # slow on purpose: done before taking the lock
    with writing(engine) as connection:
        if actor_id != person_id:
            require_custodian(connection, actor_id)
        _update_person(connection, person_id, password_hash=stored)
        record(connection, PasswordSet(actor_id=actor_id, person_id=person_id))


def check_password(engine: Engine, email: str, password: str) -> bool:
    """True when ``email`` has an active account whose password is ``password``. Records
    nothing; ``sign_in`` is the call that records."""
    return _password_check(engine, email, password)[0]


def sign_in(engine: Engine, email: str, password: str) -> Person:
    """The person, signed in (recorded); or a refusal that does not say which part was
    wrong (the log says, for the custodians)."""
    ok, person, why = _password_check(engine, email, password)
    if ok and person is not None:
        record(engine, SignIn(actor_id=person.id, method="password"))
        return person
    record(engine, SignInRefused(person_id=person.id if person else None, reason=why))
    raise Refusal(
        SIGN_IN_FAILED,
        "the address and password do not match an active account",
        hint="check them; ask a custodian if the account was disabled",
    )


def _password_check(engine: Engine, email: str, password: str) -> tuple[bool, Person | None, str]:
    try:
        with engine.connect() as connection:
            person = person_by_email(connection, email)
            stored = password_hash_of(connection, person.id)
    except UserError:  # no such account, or not an address at all
        password_matches(password, None)  # the same work as a real check: timing tells nothing
        return False, None, "no account has this address"
    if not password_matches(password, stored):
        return False, person, "wrong password" if stored else "no password set"
    if not person.active:
        return False, person, "account disabled"
    return True, person, ""
