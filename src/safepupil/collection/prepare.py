"""``la prepare``: read, validate, pseudonymise, aggregate and seal one census return.

Nothing is written unless every step succeeds; the return itself is only ever read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safepupil import __version__
from safepupil.collection.aggregate import WithheldAggregate, aggregate_withheld
from safepupil.collection.keys.fingerprint import fingerprint, secret_key_id
from safepupil.collection.keys.load import LaToolKeys
from safepupil.collection.manifest import build_manifest, count_return
from safepupil.collection.model import ParsedReturn, ValidationReport
from safepupil.collection.policy import StatisticsOnlyPolicy
from safepupil.collection.pseudonymise import pseudonymise
from safepupil.collection.read import read_return
from safepupil.collection.seal import (
    AGGREGATES_MEMBER,
    MANIFEST_MEMBER,
    RECORDS_MEMBER,
    VALIDATION_MEMBER,
    build_bundle,
    envelope_for,
    json_bytes,
    parquet_bytes,
    seal,
    sha256_hex,
    write_submission,
)
from safepupil.collection.validate import ValidationSettings, validate_return
from safepupil.errors import ConfigError, DisclosureRefused, Location, UserError, ValidationFailed

SUBMISSION_FORMAT = 1
SOFTWARE = f"safepupil {__version__}"
_HASH_CHUNK = 1 << 20

KeyLoader = Callable[[str], LaToolKeys]  # the LA's keys, given its code from the header


@dataclass(frozen=True)
class Receipt:
    """What the officer keeps: what was sent, where, and its fingerprint. No pupil values."""

    submission: Path
    sha256: str  # of the submission file
    size_bytes: int
    la: str
    collection: str
    year: int
    created: str
    records_sent: int
    withheld: tuple[tuple[str, int], ...]  # (item, records whose value was withheld)
    aggregate_cells: int
    aggregate_cells_suppressed: int
    aggregate_tables: tuple[str, ...]  # e.g. "placement_reason x sex"
    return_sha256: str  # of the original return, which stays at the LA
    members: tuple[tuple[str, str], ...]  # (member, SHA-256)
    recipient: str  # fingerprint of the national key it was encrypted to
    signer: str  # fingerprint of the LA key that signed it


def prepare_submission(
    return_path: Path,
    out_path: Path,
    keys: KeyLoader,
    policy: StatisticsOnlyPolicy,
    *,
    validation: ValidationSettings | None = None,
    created: dt.datetime | None = None,
    overwrite: bool = False,
) -> Receipt:
    """Seal ``return_path`` into ``out_path``; refuses a return with validation errors.

    Raises ValidationFailed (nothing written) when the return has errors, ConfigError
    for a key or output problem, DisclosureRefused if the aggregates' audit fails.
    """
    _check_paths(return_path, out_path, overwrite)
    return_sha256 = file_sha256(return_path)
    parsed = read_return(return_path)
    report = validate_return(parsed, validation or ValidationSettings())
    _refuse_errors(report, parsed)
    la_keys = keys(parsed.header.la)
    _check_keys(la_keys, parsed)
    records = pseudonymise(parsed, la_keys.pseudonym_key, policy)
    aggregates = aggregate_withheld(parsed, policy)
    _refuse_unprotected(aggregates, parsed)
    counts = count_return(parsed, policy)
    members = {
        RECORDS_MEMBER: parquet_bytes(records),
        AGGREGATES_MEMBER: json_bytes(_aggregates_body(aggregates, policy)),
        MANIFEST_MEMBER: json_bytes(build_manifest(policy, counts).to_dict()),
        VALIDATION_MEMBER: json_bytes(validation_summary(report)),
    }
    stamp = (created or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    header = _header(parsed, la_keys, policy, stamp, records.num_rows)
    sealed = seal(
        build_bundle(header, members),
        envelope_for(header, la_keys.signing_key, la_keys.national_public),
        la_keys.signing_key,
        la_keys.national_public,
    )
    write_submission(out_path, sealed)
    return Receipt(
        submission=out_path,
        sha256=sha256_hex(sealed),
        size_bytes=len(sealed),
        la=parsed.header.la,
        collection=parsed.header.collection,
        year=parsed.header.year,
        created=stamp,
        records_sent=records.num_rows,
        withheld=counts.withheld,
        aggregate_cells=sum(a.cells for a in aggregates),
        aggregate_cells_suppressed=sum(a.suppressed for a in aggregates),
        aggregate_tables=tuple(" x ".join(t) for a in aggregates for t in a.tables),
        return_sha256=return_sha256,
        members=tuple(sorted((name, sha256_hex(data)) for name, data in members.items())),
        recipient=header["recipient"],
        signer=header["signer"],
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def validation_summary(report: ValidationReport) -> dict[str, Any]:
    """Counts per rule only: no record numbers, no messages, no values."""
    per_rule = Counter((f.rule_id, f.severity.value) for f in report.findings)
    return {
        "pupils_read": report.pupils_read,
        "errors": len(report.errors),
        "queries": len(report.queries),
        "rules": [
            {"rule": rule, "severity": severity, "count": count}
            for (rule, severity), count in sorted(per_rule.items())
        ],
    }


def _check_paths(return_path: Path, out_path: Path, overwrite: bool) -> None:
    where = Location(file=str(out_path))
    if out_path.resolve() == return_path.resolve():
        raise UserError(
            "the submission would replace the return",
            where=where,
            hint="give --out a different file; the return is never modified",
        )
    if not out_path.parent.is_dir():
        raise UserError(
            "the folder for the submission does not exist", where=where, hint="create it first"
        )
    if out_path.exists() and not overwrite:
        raise UserError(
            "a file already exists where the submission would go",
            where=where,
            hint="choose another --out, or pass --force to replace it",
        )


def _refuse_errors(report: ValidationReport, parsed: ParsedReturn) -> None:
    if report.ok:
        return
    records = len({f.record for f in report.errors})
    raise ValidationFailed(
        f"the return has {len(report.errors)} validation errors in {records} records or the "
        "header; nothing was written",
        where=Location(file=str(parsed.source)),
        hint=f"run `safepupil la validate {parsed.source}` to see each one, correct the return, "
        "then prepare it again",
    )


def _check_keys(keys: LaToolKeys, parsed: ParsedReturn) -> None:
    if keys.la_code != parsed.header.la:
        raise ConfigError(
            f"the signing key is LA {keys.la_code}'s but the return is LA {parsed.header.la}'s",
            where=Location(file=str(parsed.source)),
            hint="prepare each LA's return with that LA's own key",
        )


def _refuse_unprotected(aggregates: tuple[WithheldAggregate, ...], parsed: ParsedReturn) -> None:
    for aggregate in aggregates:
        if aggregate.release is not None and not aggregate.release.audit.protected:
            raise DisclosureRefused(
                f"the audit of the {aggregate.item} counts found a recoverable suppressed cell; "
                "nothing was written",
                where=Location(file=str(parsed.source)),
                hint="report this: secondary suppression should never fail its own audit",
            )


def _aggregates_body(
    aggregates: tuple[WithheldAggregate, ...], policy: StatisticsOnlyPolicy
) -> dict[str, Any]:
    return {
        "threshold": policy.threshold,
        "protection_width": policy.protection_width,
        "items": [aggregate.to_dict() for aggregate in aggregates],
    }


def _header(
    parsed: ParsedReturn,
    keys: LaToolKeys,
    policy: StatisticsOnlyPolicy,
    created: str,
    records: int,
) -> dict[str, Any]:
    header = parsed.header
    return {
        "format": SUBMISSION_FORMAT,
        "collection": header.collection,
        "year": header.year,
        "reference_date": header.reference_date.isoformat(),
        "la": header.la,
        "created": created,
        "software": SOFTWARE,
        "records": records,
        "pseudonym_key_id": secret_key_id(keys.pseudonym_key),
        "policy_sha256": policy.sha256,
        "recipient": fingerprint(bytes(keys.national_public)),
        "signer": fingerprint(bytes(keys.signing_key.verify_key)),
    }
