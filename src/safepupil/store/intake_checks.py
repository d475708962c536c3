"""What intake checks in a submission once its signature, encryption and checksums hold.

The crypto (collection.seal.open_submission) proves who sent the bytes; these checks
prove the bytes are what the store accepts: addressed to a dataset the catalogue
knows, from the LA that signed, with exactly the catalogue's columns and no raw
identifier, every token well formed. Messages give counts and column names, never a
value from a record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from safepupil.domain.local_authorities import la_by_code
from safepupil.errors import ConfigError, IntegrityError, Location
from safepupil.store.catalogue import Catalogue, Dataset, ItemType
from safepupil.store.pupil_store import COLLECTIONS, Collection

# Raw identifiers that must never reach the national store, whatever a file carries.
FORBIDDEN_COLUMNS = frozenset(
    {
        "upn",
        "uln",
        "surname",
        "forename",
        "middle_names",
        "preferred_surname",
        "name",
        "address",
        "postcode",
        "uprn",
        "dob",
        "date_of_birth",
    }
)
TOKEN_COLUMN = "pupil_token"  # noqa: S105 - a column name, not a secret
TOKEN_PATTERN = r"^[0-9a-f]{32}$"  # noqa: S105 - hex of the LA tool's 128-bit BLAKE2b
REPREPARE = "ask the LA to prepare the return again with `safepupil la prepare` and resend it"


@dataclass(frozen=True)
class Addressed:
    """Where a submission's records belong."""

    collection: Collection
    dataset: Dataset
    year: int
    la: str


def _is_string(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


ACCEPTED_TYPES: Mapping[ItemType, Callable[[pa.DataType], bool]] = {
    "token": _is_string,
    "code": _is_string,
    "year_month": _is_string,
    "date": pa.types.is_date,
    "integer": pa.types.is_integer,
    "decimal": _is_number,
    "boolean": pa.types.is_boolean,
}


def check_addressing(
    header: Mapping[str, Any], la: str, catalogue: Catalogue, where: Location
) -> Addressed:
    """The header names a known collection and year, and the LA that signed it."""
    collection = COLLECTIONS.get(str(header.get("collection")))
    if collection is None:
        raise IntegrityError(
            "the submission is for a collection the national store does not take",
            where=where,
            hint=f"the store takes: {', '.join(COLLECTIONS)}",
        )
    year = header.get("year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise IntegrityError(
            "the submission header has no census year", where=where, hint=REPREPARE
        )
    name = collection.dataset_name(year)
    if name not in catalogue.dataset_names:
        raise ConfigError(
            f"no dataset {name} in the catalogue for this {collection.code} {year} submission",
            where=where,
            hint="add the dataset to the catalogue before taking this year's returns",
        )
    dataset = catalogue.dataset(name)
    if header.get("la") != la or la_by_code(la, dataset.reference_date) is None:
        raise IntegrityError(
            f"the submission is not addressed from LA {la}, or {la} was not an LA on "
            f"{dataset.reference_date.isoformat()}",
            where=where,
            hint=REPREPARE,
        )
    return Addressed(collection=collection, dataset=dataset, year=year, la=la)


def check_columns(schema: pa.Schema, dataset: Dataset, where: Location) -> None:
    """Exactly the dataset's items, of fitting types; any raw identifier refuses the file."""
    names = list(schema.names)
    forbidden = sorted(set(names) & FORBIDDEN_COLUMNS)
    if forbidden:
        raise IntegrityError(
            f"the records carry raw identifiers ({', '.join(forbidden)}): refused, nothing "
            "was loaded",
            where=where,
            hint="names, addresses, dates of birth and UPNs never enter the national store; "
            + REPREPARE,
        )
    expected = [item.name for item in dataset.items]
    unknown = sorted(set(names) - set(expected))
    missing = [name for name in expected if name not in names]
    if unknown or missing or len(set(names)) != len(names):
        raise IntegrityError(
            f"the records' columns are not those of {dataset.name}: "
            f"unexpected {unknown or 'none'}, missing {missing or 'none'}",
            where=where,
            hint=REPREPARE,
        )
    wrong = [i.name for i in dataset.items if not ACCEPTED_TYPES[i.type](schema.field(i.name).type)]
    if wrong:
        raise IntegrityError(
            f"columns of the wrong type for {dataset.name}: {', '.join(wrong)}",
            where=where,
            hint=REPREPARE,
        )


def check_tokens(records: pa.Table, where: Location, *, unique: bool) -> None:
    """Every record has a well-formed token; with ``unique``, no token twice."""
    tokens = records.column(TOKEN_COLUMN)
    good = pc.fill_null(pc.match_substring_regex(tokens, TOKEN_PATTERN), False)
    malformed = len(tokens) - pc.sum(good).as_py() if len(tokens) else 0
    if malformed:
        raise IntegrityError(
            f"{malformed} records have a missing or malformed pupil token",
            where=where,
            hint="a token is 32 lower-case hex characters made by the LA tool; " + REPREPARE,
        )
    if unique and len(tokens) != pc.count_distinct(tokens).as_py():
        raise repeated_tokens(len(tokens) - pc.count_distinct(tokens).as_py(), where)


def repeated_tokens(count: int, where: Location) -> IntegrityError:
    return IntegrityError(
        f"{count} records repeat another record's pupil token",
        where=where,
        hint="each pupil has one record here; " + REPREPARE,
    )


def check_records_addressed(records: pa.Table, addressed: Addressed, where: Location) -> None:
    """Every record carries the header's LA and year (a misaddressed record is refused)."""
    checks = {"la": addressed.la, "year": addressed.year}
    for column, wanted in checks.items():
        values = records.column(column)
        matching = pc.sum(pc.fill_null(pc.equal(values, pa.scalar(wanted)), False)).as_py()
        if (matching or 0) != len(values):
            raise IntegrityError(
                f"{len(values) - (matching or 0)} records have a {column} other than the "
                "submission header's",
                where=where,
                hint=REPREPARE,
            )


def check_record_count(header: Mapping[str, Any], records: pa.Table, where: Location) -> None:
    if header.get("records") != records.num_rows:
        raise IntegrityError(
            "the number of records differs from the count in the submission header",
            where=where,
            hint=REPREPARE,
        )
