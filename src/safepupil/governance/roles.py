"""Roles a person may hold (docs/governance.md has what each may do)."""

from __future__ import annotations

import enum

from safepupil.governance.choices import parse_choice


class Role(enum.Enum):
    CUSTODIAN = "custodian"  # runs the service: people, keys, intake
    APPROVER = "approver"  # decides on project applications
    RESEARCHER = "researcher"  # applies for projects and, accredited, queries under them
    OUTPUT_CHECKER = "output-checker"  # reviews outputs the disclosure rules flag
    LA_SUBMITTER = "la-submitter"  # sends one LA's sealed returns


def parse_role(text: str) -> Role:
    """The role named ``text`` (``output_checker`` and ``Output-Checker`` are accepted)."""
    return parse_choice(Role, "role", text)


ROLE_NAMES = tuple(role.value for role in Role)
