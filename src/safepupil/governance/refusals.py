"""A refusal names the rule that refused, so a person (and the audit log) can tell why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from safepupil.errors import PermissionDenied

if TYPE_CHECKING:
    from safepupil.governance.people import Person

# The rules, by name. A refusal's message starts with its rule: "not-a-member: ...".
ACCESS_POLICY = "access-policy"
PERSON_DISABLED = "person-disabled"
NOT_A_RESEARCHER = "not-a-researcher"
ACCREDITATION_MISSING = "accreditation-missing"
ACCREDITATION_EXPIRED = "accreditation-expired"
NOT_A_MEMBER = "not-a-member"
PROJECT_NOT_APPROVED = "project-not-approved"
OUTSIDE_PROJECT_DATES = "outside-project-dates"
DATASET_NOT_APPROVED = "dataset-not-approved"
ITEM_NOT_APPROVED = "item-not-approved"
NOT_AN_APPROVER = "not-an-approver"
APPROVER_IS_APPLICANT = "approver-is-applicant"
APPROVER_IS_MEMBER = "approver-is-member"
ALREADY_DECIDED = "already-decided"
PROJECT_NOT_PENDING = "project-not-pending"
NOT_A_CUSTODIAN = "not-a-custodian"
# Rule names, not secrets (ruff's S105 reads "token" in a name as a password).
NOT_THE_TOKEN_HOLDER = "not-the-token-holder"  # noqa: S105
TOKEN_UNKNOWN = "token-unknown"  # noqa: S105
TOKEN_EXPIRED = "token-expired"  # noqa: S105
TOKEN_REVOKED = "token-revoked"  # noqa: S105
SIGN_IN_FAILED = "sign-in-failed"


class Refusal(PermissionDenied):
    """PermissionDenied that carries the name of the rule that refused.

    The message names people by address, for the person reading it; ``logged`` names
    them by id, for the audit log, which is kept for good and should hold no address.
    """

    def __init__(
        self, rule: str, detail: str, *, hint: str = "", about: Person | None = None
    ) -> None:
        super().__init__(f"{rule}: {detail}", hint=hint)
        self.rule = rule
        self.detail = detail
        self.logged = detail.replace(about.email, f"person {about.id}") if about else detail
