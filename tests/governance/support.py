"""A cast of people and a project application, made through the service functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from safepupil.audit.log import read_entries
from safepupil.governance import service
from safepupil.governance.people import Person
from safepupil.governance.projects import (
    LegalBasis,
    OrganisationType,
    ProjectApplication,
    resolve_items,
)
from safepupil.governance.roles import Role
from safepupil.store.catalogue import load_catalogue

TODAY = dt.date.today()
AP = "ap_census_2018"


@dataclass(frozen=True)
class Cast:
    custodian: Person
    approver_1: Person
    approver_2: Person
    approver_3: Person
    applicant: Person  # an accredited researcher
    member: Person  # another accredited researcher
    outsider: Person  # an accredited researcher in no project


def add_cast(engine: sa.Engine) -> Cast:
    def add(name: str, *roles: Role, accredited: bool = False) -> Person:
        person = service.add_person(
            engine,
            name=name.title(),
            email=f"{name.replace(' ', '.')}@example.org",
            roles=roles,
            organisation="Example",
        )
        if accredited:
            person = service.accredit(engine, person.id, TODAY + dt.timedelta(days=365))
        return person

    return Cast(
        custodian=add("cus todian", Role.CUSTODIAN),
        approver_1=add("approver one", Role.APPROVER),
        approver_2=add("approver two", Role.APPROVER),
        approver_3=add("approver three", Role.APPROVER, Role.RESEARCHER),
        applicant=add("ann applicant", Role.RESEARCHER, accredited=True),
        member=add("mo member", Role.RESEARCHER, accredited=True),
        outsider=add("otto outsider", Role.RESEARCHER, accredited=True),
    )


def an_application(
    *items: str,
    organisation_type: OrganisationType = OrganisationType.ACADEMIC,
    legal_basis: LegalBasis = LegalBasis.PUBLIC_TASK,
    start: dt.date = TODAY,
    days: int = 180,
) -> ProjectApplication:
    return ProjectApplication(
        title="Return to school after alternative provision",
        purpose="Measure how many pupils placed in AP return to a mainstream school.",
        public_benefit="Better placement decisions by local authorities.",
        legal_basis=legal_basis,
        organisation="University of Somewhere",
        organisation_type=organisation_type,
        items=resolve_items(load_catalogue(), [AP], items or ("sex", "la")),
        start=start,
        end=start + dt.timedelta(days=days),
    )


def kinds(engine: sa.Engine) -> list[str]:
    return [entry.kind for entry in read_entries(engine, limit=1_000)]
