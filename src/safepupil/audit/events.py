"""Audit events: one frozen dataclass per kind, checked when built.

Every event says who acted (``actor_id``, a person's id; None for the operator at the
deployment's command line or the service itself) and, when it concerns one, which
project. The remaining fields are the payload. Payload values are ids, codes, counts,
dates as ISO text and short reasons: never a pupil-level value, which is why a payload
field may only be text, a whole number, a flag or a tuple of those.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import ClassVar

from safepupil.errors import InternalError

MAX_TEXT = 1_000  # a refusal reason is one sentence; anything longer is a mistake
MAX_TUPLE = 500  # item lists and the like
KIND_PATTERN = re.compile(r"^[a-z][a-z_]{1,62}$")
PayloadScalar = str | int | bool | None
PayloadValue = PayloadScalar | tuple[str, ...] | tuple[int, ...]
ENVELOPE_FIELDS = frozenset({"actor_id", "project_id", "pupils"})  # columns, not payload


@dataclass(frozen=True, kw_only=True)
class AuditEvent:
    """The base of every event kind; never recorded itself."""

    kind: ClassVar[str] = ""
    actor_id: int | None = None
    project_id: int | None = None

    def __post_init__(self) -> None:
        if not KIND_PATTERN.match(self.kind):
            raise InternalError(f"{type(self).__name__} has no valid audit kind")
        for field in dataclasses.fields(self):
            _check_value(self.kind, field.name, getattr(self, field.name))
        for name in ("actor_id", "project_id"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise InternalError(f"audit event {self.kind}: {name} must be a positive id")

    def pupils_touched(self) -> int | None:
        """How many pupils the event released (releases only)."""
        return None

    def payload(self) -> dict[str, PayloadValue]:
        return {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if field.name not in ENVELOPE_FIELDS
        }


def _check_value(kind: str, name: str, value: object) -> None:
    where = f"audit event {kind}, field {name}"
    if isinstance(value, tuple):
        if len(value) > MAX_TUPLE:
            raise InternalError(f"{where}: more than {MAX_TUPLE} values")
        for element in value:
            if element is None or isinstance(element, tuple):
                raise InternalError(f"{where}: a tuple may hold only text or whole numbers")
            _check_value(kind, name, element)
        return
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if value < 0:
            raise InternalError(f"{where}: counts and ids are never negative")
        return
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise InternalError(f"{where}: text longer than {MAX_TEXT} characters")
        return
    raise InternalError(f"{where}: {type(value).__name__} cannot be recorded")


def _require_text(event: AuditEvent, *names: str) -> None:
    for name in names:
        if not getattr(event, name):
            raise InternalError(f"audit event {event.kind}: {name} must not be empty")


# ---- people, sign-in and tokens ---------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PersonAdded(AuditEvent):
    kind: ClassVar[str] = "person_added"
    person_id: int
    roles: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PersonDisabled(AuditEvent):
    kind: ClassVar[str] = "person_disabled"
    person_id: int


@dataclass(frozen=True, kw_only=True)
class AccreditationGranted(AuditEvent):
    kind: ClassVar[str] = "accreditation_granted"
    person_id: int
    until: str  # ISO date


@dataclass(frozen=True, kw_only=True)
class AccreditationRevoked(AuditEvent):
    kind: ClassVar[str] = "accreditation_revoked"
    person_id: int


@dataclass(frozen=True, kw_only=True)
class PasswordSet(AuditEvent):
    kind: ClassVar[str] = "password_set"
    person_id: int


@dataclass(frozen=True, kw_only=True)
class SignIn(AuditEvent):
    kind: ClassVar[str] = "sign_in"
    method: str  # "password"


@dataclass(frozen=True, kw_only=True)
class SignInRefused(AuditEvent):
    kind: ClassVar[str] = "sign_in_refused"
    person_id: int | None  # None when no account has the address given
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reason")


@dataclass(frozen=True, kw_only=True)
class SignOut(AuditEvent):
    kind: ClassVar[str] = "sign_out"
    session_id: str  # the first characters of the session's hash: enough to match sign-in


@dataclass(frozen=True, kw_only=True)
class TokenCreated(AuditEvent):
    kind: ClassVar[str] = "token_created"
    token_id: int
    person_id: int
    expires_at: str  # ISO time


@dataclass(frozen=True, kw_only=True)
class TokenRevoked(AuditEvent):
    kind: ClassVar[str] = "token_revoked"
    token_id: int
    person_id: int


@dataclass(frozen=True, kw_only=True)
class TokenUsed(AuditEvent):
    kind: ClassVar[str] = "token_used"
    token_id: int


@dataclass(frozen=True, kw_only=True)
class TokenRefused(AuditEvent):
    kind: ClassVar[str] = "token_refused"
    token_id: int | None  # None for a token nobody was ever given
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reason")


# ---- projects ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProjectApplied(AuditEvent):
    kind: ClassVar[str] = "project_applied"
    organisation_type: str
    datasets: tuple[str, ...]
    items: tuple[str, ...]  # dataset.item
    members: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ApplicationRefused(AuditEvent):
    kind: ClassVar[str] = "application_refused"
    rule: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "rule", "reason")


@dataclass(frozen=True, kw_only=True)
class ApprovalGiven(AuditEvent):
    kind: ClassVar[str] = "approval_given"
    approvals: int  # how many distinct approvers so far, this one included


@dataclass(frozen=True, kw_only=True)
class ApprovalRefused(AuditEvent):
    kind: ClassVar[str] = "approval_refused"
    rule: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "rule", "reason")


@dataclass(frozen=True, kw_only=True)
class ProjectApproved(AuditEvent):
    kind: ClassVar[str] = "project_approved"
    approvers: tuple[int, ...]


@dataclass(frozen=True, kw_only=True)
class ProjectRejected(AuditEvent):
    kind: ClassVar[str] = "project_rejected"
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reason")


@dataclass(frozen=True, kw_only=True)
class AccessRefused(AuditEvent):
    """``authorise_query`` refused a person's use of data under a project."""

    kind: ClassVar[str] = "access_refused"
    rule: str
    dataset: str
    items: tuple[str, ...]
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "rule", "reason")


# ---- queries, releases, intake and keys (recorded by the layers that do them) -----------


@dataclass(frozen=True, kw_only=True)
class QuerySubmitted(AuditEvent):
    kind: ClassVar[str] = "query_submitted"
    query_id: str
    dataset: str
    items: tuple[str, ...]

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "query_id", "dataset")


@dataclass(frozen=True, kw_only=True)
class ReleaseMade(AuditEvent):
    """Recorded before the release is shown (security property 3)."""

    kind: ClassVar[str] = "release_made"
    release_id: str
    query_id: str
    cells: int
    pupils: int  # how many distinct pupils contributed to the released cells

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "release_id", "query_id")

    def pupils_touched(self) -> int | None:
        return self.pupils


@dataclass(frozen=True, kw_only=True)
class ReleaseRefused(AuditEvent):
    kind: ClassVar[str] = "release_refused"
    query_id: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "query_id", "reason")


@dataclass(frozen=True, kw_only=True)
class ReleaseReviewed(AuditEvent):
    """One output checker's decision on a held release."""

    kind: ClassVar[str] = "release_reviewed"
    release_id: str
    decision: str  # approve or reject

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "release_id", "decision")


@dataclass(frozen=True, kw_only=True)
class SubmissionLoaded(AuditEvent):
    kind: ClassVar[str] = "submission_loaded"
    submission_id: str
    la: str
    collection: str
    year: int
    version: int
    records: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "submission_id", "la", "collection")


@dataclass(frozen=True, kw_only=True)
class SubmissionRefused(AuditEvent):
    """An uploaded submission refused before intake (e.g. another LA's file)."""

    kind: ClassVar[str] = "submission_refused"
    la: str  # the LA the file says it is from
    rule: str
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "rule", "reason")


@dataclass(frozen=True, kw_only=True)
class KeyUsed(AuditEvent):
    kind: ClassVar[str] = "key_used"
    key_id: str  # a fingerprint or key id, never key material
    purpose: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "key_id", "purpose")


# ---- transparency: access codes for pupils and parents ----------------------------------
# The pupil is never named: not the UPN, not the token. The code's id links the events.


@dataclass(frozen=True, kw_only=True)
class AccessCodeIssued(AuditEvent):
    kind: ClassVar[str] = "access_code_issued"
    access_code_id: int
    expires_at: str  # ISO time
    uses_allowed: int


@dataclass(frozen=True, kw_only=True)
class AccessCodeUsed(AuditEvent):
    kind: ClassVar[str] = "access_code_used"
    access_code_id: int
    uses: int  # how many times it has been used, this time included


@dataclass(frozen=True, kw_only=True)
class AccessCodeRefused(AuditEvent):
    kind: ClassVar[str] = "access_code_refused"
    access_code_id: int | None  # None for a code nobody was ever given
    reason: str

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "reason")


# ---- pupils' rights: corrections, objections, retention --------------------------------
# Ids and item names only: never the pupil's token, a proposed value or anyone's words.


@dataclass(frozen=True, kw_only=True)
class CorrectionRaised(AuditEvent):
    kind: ClassVar[str] = "correction_raised"
    correction_id: int
    la: str
    dataset: str
    item: str
    channel: str  # "access-code" (a pupil or parent) or "la" (entered by the LA)


@dataclass(frozen=True, kw_only=True)
class CorrectionReviewed(AuditEvent):
    kind: ClassVar[str] = "correction_reviewed"
    correction_id: int
    decision: str  # accepted or rejected


@dataclass(frozen=True, kw_only=True)
class CorrectionApplied(AuditEvent):
    kind: ClassVar[str] = "correction_applied"
    correction_id: int
    dataset: str
    item: str
    amendment_number: int


@dataclass(frozen=True, kw_only=True)
class ObjectionRecorded(AuditEvent):
    kind: ClassVar[str] = "objection_recorded"
    objection_id: int
    la: str


@dataclass(frozen=True, kw_only=True)
class ObjectionWithdrawn(AuditEvent):
    kind: ClassVar[str] = "objection_withdrawn"
    objection_id: int
    la: str


@dataclass(frozen=True, kw_only=True)
class RetentionApplied(AuditEvent):
    """What one run of ``retention apply`` removed from one dataset: item i expired on
    ``expired_on[i]`` and lost ``values_removed[i]`` stored values."""

    kind: ClassVar[str] = "retention_applied"
    dataset: str
    on: str  # ISO date the run counted from
    items: tuple[str, ...]
    expired_on: tuple[str, ...]
    values_removed: tuple[int, ...]
    records_dropped: int  # records whose every item had expired
    amendments_cleared: int

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_text(self, "dataset", "on")
        if not len(self.items) == len(self.expired_on) == len(self.values_removed):
            raise InternalError("audit event retention_applied: lists of unequal length")


def _all_kinds() -> dict[str, type[AuditEvent]]:
    kinds: dict[str, type[AuditEvent]] = {}
    pending = list(AuditEvent.__subclasses__())
    while pending:
        cls = pending.pop()
        if cls.kind in kinds:
            raise InternalError(f"audit kind {cls.kind} is used twice")
        kinds[cls.kind] = cls
        pending.extend(cls.__subclasses__())
    return dict(sorted(kinds.items()))


EVENT_KINDS: dict[str, type[AuditEvent]] = _all_kinds()
