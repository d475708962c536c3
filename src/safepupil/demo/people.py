"""The demo's people: a custodian, two approvers, two accredited researchers, two output
checkers and an LA submitter, each with a password made for this demo only, and an API
token for the first researcher.

Every change goes through the governance service, so the audit log records it: the
operator adds the custodian, and the custodian adds and accredits everyone else.
Passwords are random on every run and written, with the token, only to a 0600 file in
the demo folder (``demo-credentials.txt``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from safepupil.collection.keys.atomic_file import atomic_write_bytes
from safepupil.governance import service
from safepupil.governance.people import Person
from safepupil.governance.roles import Role

CREDENTIALS_FILE = "demo-credentials.txt"
CREDENTIALS_MODE = 0o600
ACCREDITED_DAYS = 365
TOKEN_DAYS = 30
PASSWORD_BYTES = 12  # token_urlsafe(12): 16 characters, above the 12-character minimum
DEMO_LA = "201"  # City of London: the LA submitter's authority


@dataclass(frozen=True)
class PersonPlan:
    """One demo person as planned: who they are and what they may do."""

    key: str
    name: str
    email: str
    organisation: str
    roles: tuple[Role, ...]
    accredited: bool = False
    la_code: str | None = None


CAST: tuple[PersonPlan, ...] = (
    PersonPlan(
        "custodian", "Cass Custodian", "custodian@dfe.example", "Data custodian", (Role.CUSTODIAN,)
    ),
    PersonPlan(
        "approver_1", "Alex Approver", "alex@panel.example", "Access panel", (Role.APPROVER,)
    ),
    PersonPlan("approver_2", "Bea Approver", "bea@panel.example", "Access panel", (Role.APPROVER,)),
    PersonPlan(
        "researcher_1",
        "Ann Researcher",
        "ann@leeds.example",
        "University of Leeds",
        (Role.RESEARCHER,),
        accredited=True,
    ),
    PersonPlan(
        "researcher_2",
        "Raj Researcher",
        "raj@childrens-charity.example",
        "Children's Education Trust",
        (Role.RESEARCHER,),
        accredited=True,
    ),
    PersonPlan(
        "checker_1",
        "Olu Checker",
        "olu@outputs.example",
        "Output checking team",
        (Role.OUTPUT_CHECKER,),
    ),
    PersonPlan(
        "checker_2",
        "Pat Checker",
        "pat@outputs.example",
        "Output checking team",
        (Role.OUTPUT_CHECKER,),
    ),
    PersonPlan(
        "la_submitter",
        "Lee Submitter",
        "lee@cityoflondon.example",
        "City of London",
        (Role.LA_SUBMITTER,),
        la_code=DEMO_LA,
    ),
)


@dataclass(frozen=True)
class DemoPerson:
    person: Person
    password: str  # made for this demo only

    @property
    def id(self) -> int:
        return self.person.id


@dataclass(frozen=True)
class DemoPeople:
    by_key: dict[str, DemoPerson]
    token: str  # the first researcher's API token
    token_expires: dt.datetime
    credentials_file: Path

    def __getitem__(self, key: str) -> DemoPerson:
        return self.by_key[key]

    @property
    def everyone(self) -> tuple[DemoPerson, ...]:
        return tuple(self.by_key.values())


def add_demo_people(engine: Engine, folder: Path) -> DemoPeople:
    """Add the cast, set passwords, make the token and write the credentials file."""
    today = dt.date.today()
    made: dict[str, DemoPerson] = {}
    custodian_id: int | None = None  # the operator adds the custodian, who adds the rest
    for plan in CAST:
        person = service.add_person(
            engine,
            name=plan.name,
            email=plan.email,
            roles=plan.roles,
            organisation=plan.organisation,
            la_code=plan.la_code,
            actor_id=custodian_id,
        )
        if plan.accredited:
            until = today + dt.timedelta(days=ACCREDITED_DAYS)
            person = service.accredit(engine, person.id, until, actor_id=custodian_id)
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        service.set_password(engine, person.id, password, actor_id=custodian_id)
        made[plan.key] = DemoPerson(person, password)
        if custodian_id is None:
            custodian_id = person.id
    researcher = made["researcher_1"]
    issued = service.create_token(engine, researcher.id, days=TOKEN_DAYS, actor_id=researcher.id)
    path = folder / CREDENTIALS_FILE
    people = DemoPeople(made, issued.secret, issued.expires_at, path)
    write_credentials(people, path)
    return people


def write_credentials(people: DemoPeople, path: Path) -> None:
    """Demo sign-in details, readable by this user only (written whole, then renamed)."""
    lines = [
        "# safepupil demo credentials: made for this demo deployment only; never reuse them.",
        "# email\tpassword\troles",
    ]
    for entry in people.everyone:
        roles = ",".join(entry.person.role_names)
        lines.append(f"{entry.person.email}\t{entry.password}\t{roles}")
    lines.append(f"# API token of {people['researcher_1'].person.email}:")
    lines.append(f"SAFEPUPIL_TOKEN={people.token}")
    atomic_write_bytes(path, ("\n".join(lines) + "\n").encode("utf-8"), CREDENTIALS_MODE)
