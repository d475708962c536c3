"""JSON-ready views of service objects, shared by the API and the pages' JSON twins.

Small pure functions: a service object in, a dict of plain JSON values out. None of
them ever includes a true (unprotected) value: a protected table is shown only as the
release pipeline made it, and a held release shows its reasons, never its cells.
The names are stable: pages and the API import them.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from safepupil.governance.people import Person
from safepupil.governance.projects import Project
from safepupil.governance.tokens import ApiToken, IssuedToken
from safepupil.release.history import OwnRelease, OwnReleases
from safepupil.release.result import ProtectedTable, ReleaseStatus
from safepupil.release.review import (
    APPROVALS_NEEDED,
    HeldRelease,
    ReleaseState,
    ReleaseSummary,
    ReviewOutcome,
)
from safepupil.store.intake import IntakeOutcome

Json = dict[str, Any]


def _when(moment: dt.date | dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, dt.datetime):
        return moment.isoformat(timespec="seconds")
    return moment.isoformat()


def person_view(person: Person) -> Json:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "organisation": person.organisation,
        "roles": list(person.role_names),
        "la_code": person.la_code,
        "accredited_until": _when(person.accredited_until),
        "active": person.active,
    }


def project_view(project: Project) -> Json:
    application = project.application
    rejection = project.rejection
    return {
        "id": project.id,
        "title": application.title,
        "purpose": application.purpose,
        "public_benefit": application.public_benefit,
        "legal_basis": application.legal_basis.value,
        "organisation": application.organisation,
        "organisation_type": application.organisation_type.value,
        "datasets": list(application.datasets),
        "items": [str(item) for item in sorted(application.items)],
        "start": _when(application.start),
        "end": _when(application.end),
        "status": project.status.value,
        "applicant_id": project.applicant_id,
        "members": sorted(project.members),
        "approvers": sorted(project.approvers),
        "rejection": (
            None if rejection is None else {"approver_id": rejection[0], "reason": rejection[1]}
        ),
        "applied_at": _when(project.applied_at),
    }


def token_view(token: ApiToken, now: dt.datetime | None = None) -> Json:
    """A token's dates and state: never the secret, which is not kept."""
    return {
        "id": token.id,
        "person_id": token.person_id,
        "created_at": _when(token.created_at),
        "expires_at": _when(token.expires_at),
        "revoked_at": _when(token.revoked_at),
        "state": token.state(now or dt.datetime.now(dt.UTC)).value,
    }


def issued_token_view(issued: IssuedToken) -> Json:
    """A new token, with its secret: shown once, in the answer to the person who made it."""
    return {
        "id": issued.token_id,
        "person_id": issued.person_id,
        "expires_at": _when(issued.expires_at),
        "token": issued.secret,
        "note": "the token is shown only now; keep it as you would a password",
    }


def held_release_view(held: HeldRelease) -> Json:
    """A release waiting for review, for output checkers: who, what, why; no value."""
    return {
        "release_id": held.id,
        "project_id": held.project_id,
        "dataset": held.dataset,
        "requester_id": held.requester_id,
        "created_at": _when(held.created_at),
        "reasons": list(held.reasons),
        "approvals": list(held.approvals),
        "approvals_needed": APPROVALS_NEEDED,
    }


def release_summary_view(summary: ReleaseSummary) -> Json:
    """One release for an output checker: status, reasons and reviews; no value."""
    return {
        "release_id": summary.id,
        "project_id": summary.project_id,
        "dataset": summary.dataset,
        "requester_id": summary.requester_id,
        "created_at": _when(summary.created_at),
        "status": summary.status,
        "reasons": list(summary.reasons),
        "reviews": [
            {"checker_id": checker, "decision": decision, "note": note}
            for checker, decision, note in summary.reviews
        ],
    }


def release_state_view(state: ReleaseState) -> Json:
    """The requester's view of their release; the table only once it was released
    after review (values as shown: rounded counts and symbols)."""
    return {
        "release_id": state.release_id,
        "status": state.status,
        "reasons": list(state.reasons),
        "columns": list(state.columns),
        "rows": [list(row) for row in state.rows],
        "checksum_sha256_csv": state.checksum,
    }


def own_release_view(release: OwnRelease) -> Json:
    """One release in its requester's list: the figures only for a released table
    (None otherwise), and where to read it and, when kept, download it."""
    return {
        "release_id": release.id,
        "created_at": _when(release.created_at),
        "project_id": release.project_id,
        "project_title": release.project_title,
        "dataset": release.dataset,
        "status": release.status,
        "state": release.state,
        "cells": release.cells,
        "cells_suppressed": release.cells_suppressed,
        "pupils": release.pupils,
        "page": f"/workbench/releases/{release.id}",
        "csv": release_csv_path(release.id) if release.has_table else None,
    }


def own_releases_view(found: OwnReleases) -> Json:
    """A page of a person's own releases, newest first, with the total to page through."""
    return {
        "releases": [own_release_view(release) for release in found.releases],
        "total": found.total,
        "offset": found.offset,
        "limit": found.limit,
    }


def release_csv_path(release_id: str) -> str:
    """Where a kept release's table downloads as CSV (api/releases.py serves it)."""
    return f"/api/v1/releases/{release_id}/table.csv"


def protected_table_view(table: ProtectedTable) -> Json:
    """A released table: the same document as ``ProtectedTable.to_json_text``. A held
    one: its state and reasons only (its cells stay unseen until reviewed)."""
    if table.status is ReleaseStatus.HELD:
        return {
            "release_id": table.release_id,
            "dataset": table.dataset,
            "status": table.status.value,
            "reasons": list(table.reasons),
        }
    document: Json = json.loads(table.to_json_text())
    return document


def review_outcome_view(outcome: ReviewOutcome) -> Json:
    """One checker's decision and where the release stands; never the table itself
    (the requester fetches it)."""
    return {
        "release_id": outcome.release_id,
        "status": outcome.status,
        "approvals": list(outcome.approvals),
        "approvals_needed": APPROVALS_NEEDED,
        "reasons": list(outcome.reasons),
    }


def intake_outcome_view(outcome: IntakeOutcome, name: str) -> Json:
    """What one submission brought: counts and codes only. ``name`` is the file's name
    as uploaded (the outcome's path is a temporary file's)."""
    return {
        "file": name,
        "sha256": outcome.sha256,
        "la": outcome.la,
        "collection": outcome.collection,
        "year": outcome.year,
        "version": outcome.version,
        "already_loaded": outcome.already_loaded,
        "records_loaded": outcome.records_loaded,
        "new_pupils": outcome.new_pupils,
        "superseded_version": outcome.superseded_version,
        "aggregate_cells": outcome.aggregate_cells,
    }
