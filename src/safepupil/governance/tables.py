"""Governance tables on the control plane's ``Base``: people and their roles, API tokens,
projects with their items and members, and each approver's decision.

Nothing here is ever deleted: a person is disabled, a token revoked, a project rejected
or left to end, so the audit log's ids always name something that still exists.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from safepupil.controlplane.schema import Base
from safepupil.errors import InternalError

NAME_LENGTH = 200
EMAIL_LENGTH = 254  # the longest address SMTP allows
ROLE_LENGTH = 32
LA_CODE_LENGTH = 3
PASSWORD_HASH_LENGTH = 255
TOKEN_HASH_LENGTH = 64  # SHA-256, hexadecimal
CODE_LENGTH = 32  # organisation type, legal basis, status, decision
IDENTIFIER_LENGTH = 64  # catalogue dataset and item names


class PersonRow(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    organisation: Mapped[str] = mapped_column(String(NAME_LENGTH))
    la_code: Mapped[str | None] = mapped_column(String(LA_CODE_LENGTH))
    accredited_until: Mapped[dt.date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean)
    password_hash: Mapped[str | None] = mapped_column(String(PASSWORD_HASH_LENGTH))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PersonRoleRow(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(ROLE_LENGTH), primary_key=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(TOKEN_HASH_LENGTH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    purpose: Mapped[str] = mapped_column(Text)
    public_benefit: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(String(CODE_LENGTH))
    organisation: Mapped[str] = mapped_column(String(NAME_LENGTH))
    organisation_type: Mapped[str] = mapped_column(String(CODE_LENGTH))
    applicant_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(CODE_LENGTH))
    applied_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class ProjectItemRow(Base):
    __tablename__ = "project_items"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    dataset: Mapped[str] = mapped_column(String(IDENTIFIER_LENGTH), primary_key=True)
    item: Mapped[str] = mapped_column(String(IDENTIFIER_LENGTH), primary_key=True)


class ProjectMemberRow(Base):
    __tablename__ = "project_members"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class ProjectDecisionRow(Base):
    """One approver's decision on one project: approve, or reject with a reason."""

    __tablename__ = "project_decisions"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    decision: Mapped[str] = mapped_column(String(CODE_LENGTH))
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


def table_of(mapped: type[Base]) -> Table:
    """The Core table of a mapped class, typed as one (for insert, update and select)."""
    table = mapped.__table__
    if not isinstance(table, Table):
        raise InternalError(f"{mapped.__name__} is not mapped to a table")
    return table
