"""The audit summary the demo ends with: events by kind, pupils released per release, and
the result of verifying the hash chain (as ``safepupil audit verify`` does)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from safepupil.audit.log import MAX_LIST_LIMIT, read_entries
from safepupil.audit.verify import Verification, verify_log

RELEASE_MADE = "release_made"


@dataclass(frozen=True)
class ReleaseLine:
    seq: int  # the audit entry
    release_id: str
    project_id: int | None
    pupils: int


@dataclass(frozen=True)
class AuditSummary:
    by_kind: dict[str, int]
    releases: tuple[ReleaseLine, ...]
    verification: Verification

    @property
    def entries(self) -> int:
        return sum(self.by_kind.values())


def audit_summary(engine: Engine) -> AuditSummary:
    entries = read_entries(engine, limit=MAX_LIST_LIMIT)
    kinds = Counter(entry.kind for entry in entries)
    releases = tuple(
        ReleaseLine(
            seq=entry.seq,
            release_id=str(entry.payload.get("release_id", "")),
            project_id=entry.project_id,
            pupils=int(entry.pupils or 0),
        )
        for entry in entries
        if entry.kind == RELEASE_MADE
    )
    return AuditSummary(dict(sorted(kinds.items())), releases, verify_log(engine))
