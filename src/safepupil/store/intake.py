"""Intake: verify, open and check a sealed submission, then load it in one transaction.

A submission is a new version of its (collection, year, LA). It supersedes the current
version, which stays in the store marked superseded, for audit. The same file twice
(same SHA-256) is a no-op. Every check happens before the transaction starts; inside
it, the submission row, new pupil ids, records and aggregates are written and the
previous version marked, then committed together: a refusal, an error or a killed
process leaves the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from nacl.public import PrivateKey
from nacl.signing import VerifyKey

from safepupil.collection.keys.fingerprint import fingerprint
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import load_la_verify_keys, load_national_box_key
from safepupil.collection.seal import OpenedSubmission, open_sealed
from safepupil.errors import IntegrityError, Location, SafepupilError
from safepupil.store.catalogue import Catalogue
from safepupil.store.intake_aggregates import Aggregates, read_aggregates
from safepupil.store.intake_checks import (
    REPREPARE,
    Addressed,
    check_addressing,
    check_columns,
    check_record_count,
    check_records_addressed,
    check_tokens,
)
from safepupil.store.intake_load import Loaded, Submission, load_submission, loaded_version

Hook = Callable[[], None]  # called inside the transaction, after the records are written


@dataclass(frozen=True)
class IntakeKeys:
    national: PrivateKey = field(repr=False)
    la_verify: Mapping[str, VerifyKey]


def load_intake_keys(layout: KeyLayout) -> IntakeKeys:
    return IntakeKeys(national=load_national_box_key(layout), la_verify=load_la_verify_keys(layout))


@dataclass(frozen=True)
class IntakeOutcome:
    """What happened to one file; counts and codes only, no pupil values."""

    source: Path
    sha256: str
    collection: str
    year: int
    la: str
    version: int
    records_loaded: int  # 0 when the file was already loaded
    new_pupils: int
    superseded_version: int | None
    aggregate_cells: int
    already_loaded: bool


@dataclass(frozen=True)
class FileResult:
    source: Path
    outcome: IntakeOutcome | None = None
    error: SafepupilError | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None


def intake_files(
    store: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    keys: IntakeKeys,
    catalogue: Catalogue,
    *,
    on_result: Callable[[FileResult], None] | None = None,
) -> tuple[FileResult, ...]:
    """Each file on its own: one refused file does not stop or undo the others.
    ``on_result`` hears of each file as soon as it is done (for a summary as it goes)."""
    results = []
    for path in paths:
        try:
            result = FileResult(path, outcome=intake_submission(store, path, keys, catalogue))
        except SafepupilError as error:
            result = FileResult(path, error=error)
        results.append(result)
        if on_result is not None:
            on_result(result)
    return tuple(results)


def intake_submission(
    store: duckdb.DuckDBPyConnection,
    path: Path,
    keys: IntakeKeys,
    catalogue: Catalogue,
    *,
    received_at: dt.datetime | None = None,
    inside_transaction: Hook | None = None,
) -> IntakeOutcome:
    """Load one sealed submission; IntegrityError (store unchanged) if it is refused."""
    where = Location(file=str(path))
    data = _read(path, where)  # read once: the bytes hashed are the bytes opened
    sha256 = hashlib.sha256(data).hexdigest()
    earlier = loaded_version(store, sha256)
    if earlier is not None:
        return _already_loaded(path, sha256, earlier)
    opened = open_sealed(data, keys.national, keys.la_verify, source=str(path))
    addressed, records, aggregates = _checked(opened, catalogue, where)
    submission = Submission(
        addressed=addressed,
        sha256=sha256,
        received_at=received_at or dt.datetime.now(dt.UTC),
        header=opened.header,
        signer=fingerprint(bytes(keys.la_verify[opened.la])),
    )
    loaded = load_submission(store, submission, records, aggregates, where, inside_transaction)
    return _outcome(path, submission, loaded, aggregates)


def _read(path: Path, where: Location) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError:
        raise IntegrityError(
            "the submission cannot be read", where=where, hint="check the path"
        ) from None


def _checked(
    opened: OpenedSubmission, catalogue: Catalogue, where: Location
) -> tuple[Addressed, pa.Table, Aggregates]:
    addressed = check_addressing(opened.header, opened.la, catalogue, where)
    try:
        records = opened.records()
        aggregates_body = opened.aggregates
    except (pa.ArrowException, ValueError):
        raise IntegrityError(
            "the submission's records or aggregates cannot be read", where=where, hint=REPREPARE
        ) from None
    check_columns(records.schema, addressed.dataset, where)
    check_record_count(opened.header, records, where)
    check_records_addressed(records, addressed, where)
    check_tokens(records, where, unique=True)  # one record per pupil in an LA's return
    return addressed, records, read_aggregates(aggregates_body, addressed.dataset, where)


def _already_loaded(path: Path, sha256: str, earlier: Loaded) -> IntakeOutcome:
    return IntakeOutcome(
        source=path,
        sha256=sha256,
        collection=earlier.collection,
        year=earlier.year,
        la=earlier.la,
        version=earlier.version,
        records_loaded=0,
        new_pupils=0,
        superseded_version=None,
        aggregate_cells=0,
        already_loaded=True,
    )


def _outcome(
    path: Path, submission: Submission, loaded: Loaded, aggregates: Aggregates
) -> IntakeOutcome:
    return IntakeOutcome(
        source=path,
        sha256=submission.sha256,
        collection=loaded.collection,
        year=loaded.year,
        la=loaded.la,
        version=loaded.version,
        records_loaded=loaded.records,
        new_pupils=loaded.new_pupils,
        superseded_version=loaded.superseded_version,
        aggregate_cells=aggregates.cell_count,
        already_loaded=False,
    )
