"""A person with an account: a validated value object, and the checks on its parts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from safepupil.domain.local_authorities import is_known_la_code
from safepupil.errors import UserError
from safepupil.governance.roles import Role
from safepupil.governance.tables import EMAIL_LENGTH, NAME_LENGTH

# Deliberately loose: one @, something either side, a dot in the domain, no spaces.
# Whether the address works is for the person who adds it to know.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(text: str) -> str:
    """Addresses are compared without case: ``Ann@X.org`` and ``ann@x.org`` are one."""
    email = text.strip().lower()
    if len(email) > EMAIL_LENGTH or not EMAIL.match(email):
        raise UserError(
            f"{text[:80]!r} is not an email address", hint="give it as name@organisation.domain"
        )
    return email


def check_text(what: str, text: str, limit: int = NAME_LENGTH) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise UserError(f"the {what} must not be empty", hint=f"give the {what}")
    if len(cleaned) > limit:
        raise UserError(f"the {what} is longer than {limit} characters", hint="shorten it")
    return cleaned


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    roles: frozenset[Role]
    organisation: str
    la_code: str | None  # for LA submitters only: the LA whose returns they send
    accredited_until: dt.date | None  # last day of accreditation, inclusive
    active: bool

    def __post_init__(self) -> None:
        if self.id < 1:
            raise UserError("a person's id is a positive number")
        check_text("name", self.name)
        check_text("organisation", self.organisation)
        if normalise_email(self.email) != self.email:
            raise UserError(f"{self.email!r} is not a normalised email address")
        if not self.roles:
            raise UserError(
                f"{self.email} needs at least one role",
                hint="give --role custodian, approver, researcher, output-checker or la-submitter",
            )
        _check_la(self.email, self.roles, self.la_code)

    def has(self, role: Role) -> bool:
        return self.active and role in self.roles

    @property
    def role_names(self) -> tuple[str, ...]:
        return tuple(sorted(role.value for role in self.roles))


def _check_la(email: str, roles: frozenset[Role], la_code: str | None) -> None:
    if Role.LA_SUBMITTER in roles and la_code is None:
        raise UserError(
            f"{email} is an LA submitter and needs the LA they submit for",
            hint="give --la with the LA's three-digit DfE number, e.g. --la 201",
        )
    if la_code is not None and Role.LA_SUBMITTER not in roles:
        raise UserError(
            f"only LA submitters are tied to an LA, and {email} is not one",
            hint="leave out --la, or add --role la-submitter",
        )
    if la_code is not None and not is_known_la_code(la_code):
        raise UserError(
            f"{la_code!r} is not a DfE LA number",
            hint="give the three-digit DfE number, e.g. 201 for the City of London",
        )
