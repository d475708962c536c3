"""Sealed submissions over HTTP: ``POST /api/v1/submissions`` (multipart, one file).

An LA submitter may send only their own LA's submission: the LA the file's envelope
names is checked against theirs before intake, and a mismatch is refused and recorded.
The envelope is not trusted on its own say: intake then verifies the signature is that
LA's, and that the sealed header names the same LA. Custodians may send any LA's.

The upload is refused unread when it says it is larger than the limit, copied with a
running count into a temporary file inside the deployment home (never left there), and
loaded by the same intake as ``safepupil intake``.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from safepupil.audit.events import SubmissionLoaded, SubmissionRefused
from safepupil.audit.log import record
from safepupil.collection.seal import MAGIC
from safepupil.errors import IntegrityError, Location, SafepupilError
from safepupil.governance.people import Person
from safepupil.governance.refusals import Refusal
from safepupil.governance.roles import Role
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import open_store
from safepupil.store.intake import IntakeOutcome, intake_submission, load_intake_keys
from safepupil.web.context import ServiceContext, service_of
from safepupil.web.guards import with_role
from safepupil.web.principal import Principal
from safepupil.web.views import intake_outcome_view

GUARD = with_role(Role.LA_SUBMITTER, Role.CUSTODIAN)
MAX_SUBMISSION_BYTES = 512 * 1024 * 1024  # a large LA's AP return seals to a few MB
MAX_ENVELOPE_BYTES = 64 * 1024
CHUNK = 1024 * 1024
FIELD = "file"
INCOMING = "incoming"  # inside the deployment home
NOT_THIS_LA = "not-this-la"
INTAKE_REFUSED = "intake-refused"
# The sealed file's opening (collection/seal.py): MAGIC, format version, envelope length.
_ENVELOPE_LENGTH = struct.Struct(">BI")

router = APIRouter(prefix="/api/v1/submissions", tags=["submissions"])

UPLOAD_SCHEMA = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FIELD],
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


@router.post(
    "",
    dependencies=[Depends(GUARD)],
    summary="Upload one sealed submission; it is loaded as `safepupil intake` loads it",
    openapi_extra=UPLOAD_SCHEMA,
    responses={
        400: {"description": "integrity_failure: the file was refused; nothing changed"},
        403: {"description": "permission_denied: not-this-la"},
        413: {"description": "too_large"},
    },
)
async def upload(
    request: Request, principal: Annotated[Principal, Depends(GUARD)]
) -> dict[str, Any]:
    _refuse_if_too_large(request)
    form = await request.form(max_files=1, max_fields=1)
    upload = form.get(FIELD)
    if not isinstance(upload, UploadFile):
        raise RequestValidationError(
            [{"loc": ("body", FIELD), "msg": "one sealed submission file is required"}]
        )
    service = service_of(request)
    name = Path(upload.filename or "submission").name[:200]
    path = await _save(upload, service.deployment.home / INCOMING)
    try:
        outcome = await run_in_threadpool(receive_submission, service, principal.person, path)
    finally:
        path.unlink(missing_ok=True)
    return intake_outcome_view(outcome, name)


def receive_submission(service: ServiceContext, person: Person, path: Path) -> IntakeOutcome:
    """Check the sender may send this LA's file, then load it; refusals are recorded."""
    claimed = claimed_la(path)
    if not person.has(Role.CUSTODIAN) and claimed != person.la_code:
        refusal = Refusal(
            NOT_THIS_LA,
            f"{person.email} submits for LA {person.la_code}, and this file is from LA {claimed}",
            hint="send only your own LA's submission; a custodian can load another's",
            about=person,
        )
        _record_refusal(service, person, claimed, refusal.rule, refusal.logged)
        raise refusal
    deployment = service.deployment
    try:
        with open_store(deployment) as store:
            outcome = intake_submission(
                store, path, load_intake_keys(deployment.paths.keys), load_catalogue()
            )
    except SafepupilError as error:
        _record_refusal(service, person, claimed, INTAKE_REFUSED, error.message)
        raise
    if not outcome.already_loaded:
        record(
            service.control,
            SubmissionLoaded(
                actor_id=person.id,
                submission_id=outcome.sha256,
                la=outcome.la,
                collection=outcome.collection,
                year=outcome.year,
                version=outcome.version,
                records=outcome.records_loaded,
            ),
        )
    return outcome


def claimed_la(path: Path) -> str:
    """The LA the file's envelope names (not yet verified: intake checks the signature)."""
    with path.open("rb") as file:
        opening = file.read(len(MAGIC) + _ENVELOPE_LENGTH.size)
        if len(opening) < len(MAGIC) + _ENVELOPE_LENGTH.size or not opening.startswith(MAGIC):
            raise _not_a_submission(path)
        _, length = _ENVELOPE_LENGTH.unpack_from(opening, len(MAGIC))
        if length > MAX_ENVELOPE_BYTES:
            raise _not_a_submission(path)
        try:
            envelope = json.loads(file.read(length))
        except ValueError:
            raise _not_a_submission(path) from None
    la = envelope.get("la") if isinstance(envelope, dict) else None
    if not isinstance(la, str) or not la.isdigit() or len(la) != 3:
        raise _not_a_submission(path)
    return la


def _not_a_submission(path: Path) -> IntegrityError:
    return IntegrityError(
        "not a safepupil submission, or its envelope is damaged",
        where=Location(file=path.name),
        hint="upload the .sealed file the LA tool wrote",
    )


def _record_refusal(
    service: ServiceContext, person: Person, la: str | None, rule: str, reason: str
) -> None:
    record(
        service.control,
        SubmissionRefused(actor_id=person.id, la=la or "", rule=rule, reason=reason[:900]),
    )


def _refuse_if_too_large(request: Request) -> None:
    given = request.headers.get("content-length", "")
    if not given.isdigit() or int(given) > MAX_SUBMISSION_BYTES + CHUNK:  # room for the form
        raise HTTPException(
            413,
            f"a submission upload must say its length and be at most "
            f"{MAX_SUBMISSION_BYTES // (1024 * 1024)} MB",
        )


async def _save(upload: UploadFile, folder: Path) -> Path:
    """Copy the upload into ``folder`` with a running count; the file is the caller's
    to delete."""
    folder.mkdir(mode=0o700, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix="upload-", suffix=".sealed", dir=folder)
    path = Path(name)
    written = 0
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := await upload.read(CHUNK):
                written += len(chunk)
                if written > MAX_SUBMISSION_BYTES:
                    raise HTTPException(413, "the submission is larger than the limit")
                out.write(chunk)
    except BaseException:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    return path
