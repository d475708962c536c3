"""Pseudonymisation at source: what each item of a return becomes before it leaves the LA.

``TREATMENTS`` is the one source of truth: the pseudonymiser applies it and the
manifest (manifest.py) describes it, so the two cannot disagree. Default deny: a
column with no treatment stops the run rather than passing through.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.model import ParsedReturn
from safepupil.collection.policy import StatisticsOnlyPolicy
from safepupil.domain.upn import normalise
from safepupil.errors import ConfigError, InputFileError, Location

TOKEN_BYTES = 16  # 128-bit tokens: collisions among tens of millions of pupils are negligible
TOKEN_PERSON = b"safepupil-upn"  # BLAKE2b personalisation: tokens are for UPNs only
PSEUDONYM_KEY_BYTES = 32
SCHEMA_NAME = b"safepupil.pseudonymised_record/1"
# Outward code (2-4 characters), optionally followed by the 3-character inward code, once
# spaces are removed and letters upper-cased: "LS12 4AB", "ls124ab" -> "LS12".
_POSTCODE = r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?:[0-9][A-Z]{2})?$"


class Treatment(enum.Enum):
    DROP = "drop"
    KEYED_HASH = "keyed_hash"
    BIRTH_YEAR_MONTH = "birth_year_month"
    POSTCODE_OUTWARD = "postcode_outward"
    KEEP = "keep"  # a coded or reference item, as recorded (a policy may withhold codes)
    KEEP_DATE = "keep_date"
    FROM_HEADER = "from_header"  # a return header item, repeated on every record


@dataclass(frozen=True)
class ItemTreatment:
    item: str  # the input column (or header item)
    treatment: Treatment
    output: str | None  # the output column; None when the item does not leave as a column
    leaves_as: str  # plain words for the manifest and privacy notices

    @property
    def leaves(self) -> bool:
        return self.treatment is not Treatment.DROP


DOES_NOT_LEAVE = "does not leave"
_AS_RECORDED = "as recorded"


def _drop(item: str, why: str = "") -> ItemTreatment:
    return ItemTreatment(item, Treatment.DROP, None, f"{DOES_NOT_LEAVE}{why}")


def _keep(item: str, treatment: Treatment = Treatment.KEEP) -> ItemTreatment:
    return ItemTreatment(item, treatment, item, _AS_RECORDED)


# The return header's items (collection.model.HEADER_COLUMNS), then the record's items.
HEADER_TREATMENTS: tuple[ItemTreatment, ...] = (
    ItemTreatment("collection", Treatment.FROM_HEADER, None, "in the submission header"),
    ItemTreatment("year", Treatment.FROM_HEADER, "year", "census year, on every record"),
    ItemTreatment("reference_date", Treatment.FROM_HEADER, None, "in the submission header"),
    ItemTreatment("return_la", Treatment.FROM_HEADER, "la", "LA number, on every record"),
)
TREATMENTS: tuple[ItemTreatment, ...] = (
    _drop("record_no", " (a record's place in the file can follow the order of names)"),
    ItemTreatment(
        "upn",
        Treatment.KEYED_HASH,
        "pupil_token",
        "pupil token: keyed BLAKE2b of the normalised UPN, key held by the key custodian; "
        "the same pupil has the same token in every LA and year",
    ),
    _drop("uln"),
    _drop("surname"),
    _drop("forename"),
    _drop("middle_names"),
    _drop("preferred_surname"),
    ItemTreatment(
        "dob", Treatment.BIRTH_YEAR_MONTH, "birth_year_month", "year and month of birth (YYYY-MM)"
    ),
    _keep("sex"),
    _keep("ethnicity"),
    _drop("address"),
    ItemTreatment(
        "postcode",
        Treatment.POSTCODE_OUTWARD,
        "postcode_outward",
        "outward code only (e.g. LS12); blank when the postcode cannot be parsed",
    ),
    _drop("uprn"),
    _keep("sen_provision"),
    _keep("sen_type_1"),
    _keep("sen_type_2"),
    _keep("placement_la"),
    _keep("urn"),
    _keep("ukprn"),
    _keep("ap_setting_type"),
    _keep("placement_reason"),
    _keep("placement_start", Treatment.KEEP_DATE),
    _keep("placement_end", Treatment.KEEP_DATE),
)
INPUT_COLUMNS: frozenset[str] = frozenset(t.item for t in TREATMENTS)

_OUTPUT_TYPES = {
    Treatment.KEYED_HASH: pa.string(),
    Treatment.BIRTH_YEAR_MONTH: pa.string(),
    Treatment.POSTCODE_OUTWARD: pa.string(),
    Treatment.KEEP: pa.string(),
    Treatment.KEEP_DATE: pa.date32(),
}
_HEADER_TYPES = {"la": pa.string(), "year": pa.int16()}


def pseudonymised_schema(policy: StatisticsOnlyPolicy) -> pa.Schema:
    """The schema of records.parquet: header columns, then every item that leaves."""
    fields = [pa.field(name, kind, nullable=False) for name, kind in _HEADER_TYPES.items()]
    for treatment in TREATMENTS:
        if treatment.output is None:
            continue
        fields.append(pa.field(treatment.output, _OUTPUT_TYPES[treatment.treatment]))
        withheld = policy.withheld_item(treatment.item)
        if withheld is not None:
            fields.append(pa.field(withheld.flag_column, pa.bool_(), nullable=False))
    return pa.schema(fields, metadata={b"schema": SCHEMA_NAME})


def pseudonymise(parsed: ParsedReturn, key: bytes, policy: StatisticsOnlyPolicy) -> pa.Table:
    """The return's records as they leave the LA, in token order (not file order)."""
    check_input_columns(parsed.records.column_names, source=parsed.source.name)
    records = parsed.records
    schema = pseudonymised_schema(policy)
    columns: dict[str, pa.Array | pa.ChunkedArray] = {
        "la": pa.array([parsed.header.la] * len(records), pa.string()),
        "year": pa.array([parsed.header.year] * len(records), pa.int16()),
    }
    for treatment in TREATMENTS:
        if treatment.output is None:
            continue
        values = _apply(treatment, records.column(treatment.item), key, parsed.source.name)
        withheld = policy.withheld_item(treatment.item)
        if withheld is not None:
            values, flags = withhold_codes(values, withheld.codes)
            columns[withheld.flag_column] = flags
        columns[treatment.output] = values
    table = pa.table([columns[name] for name in schema.names], schema=schema)
    return table.sort_by("pupil_token")


def check_input_columns(names: Iterable[str], *, source: str) -> None:
    """Default deny: refuse any column without a treatment, and any missing one."""
    present = set(names)
    unknown = sorted(present - INPUT_COLUMNS)
    missing = sorted(INPUT_COLUMNS - present)
    if unknown:
        raise ConfigError(
            f"{len(unknown)} column(s) have no pseudonymisation treatment: {', '.join(unknown)}",
            where=Location(file=source),
            hint="an unknown column never leaves silently: add it to pseudonymise.TREATMENTS "
            "(and so to the manifest) or remove it from the table",
        )
    if missing:
        raise ConfigError(
            f"columns missing from the parsed return: {', '.join(missing)}",
            where=Location(file=source),
            hint="the table must have the flat record's columns (docs/formats.md)",
        )


def _apply(
    treatment: ItemTreatment, column: pa.ChunkedArray, key: bytes, source: str
) -> pa.Array | pa.ChunkedArray:
    kind = treatment.treatment
    if kind is Treatment.KEYED_HASH:
        return pupil_tokens(column, key)
    if kind is Treatment.BIRTH_YEAR_MONTH:
        dates = _dates(column, treatment.item, source)
        return pc.strftime(pc.cast(dates, pa.timestamp("s")), format="%Y-%m")
    if kind is Treatment.POSTCODE_OUTWARD:
        return postcode_outward(column)
    if kind is Treatment.KEEP_DATE:
        return _dates(column, treatment.item, source)
    if kind is Treatment.KEEP:
        return column
    raise ConfigError(f"treatment {kind.value} cannot make a column", hint="fix TREATMENTS")


def pupil_token(upn: str, key: bytes) -> str:
    """The pupil token of one UPN (hex of a keyed BLAKE2b of the normalised UPN)."""
    return _keyed_hasher(key)(upn)


def pupil_tokens(upns: pa.Array | pa.ChunkedArray, key: bytes) -> pa.Array:
    """Tokens for a column of UPNs; null stays null."""
    token_of = _keyed_hasher(key)
    return pa.array([None if u is None else token_of(u) for u in upns.to_pylist()], pa.string())


def _keyed_hasher(key: bytes) -> Callable[[str], str]:
    if len(key) != PSEUDONYM_KEY_BYTES:
        raise ConfigError(
            f"the pseudonymisation key must be {PSEUDONYM_KEY_BYTES} bytes",
            hint="use the key file the key custodian provided",
        )
    keyed = hashlib.blake2b(key=key, digest_size=TOKEN_BYTES, person=TOKEN_PERSON)

    def token_of(upn: str) -> str:
        hasher = keyed.copy()  # copying the keyed state is cheaper than re-keying per UPN
        hasher.update(normalise(upn).encode("utf-8"))
        return hasher.hexdigest()

    return token_of


def postcode_outward(postcodes: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The outward code of each postcode; null when it does not parse as a UK postcode."""
    squeezed = pc.replace_substring_regex(pc.utf8_upper(postcodes), r"\s+", "")
    return pc.struct_field(pc.extract_regex(squeezed, _POSTCODE), [0])


def withhold_codes(
    values: pa.Array | pa.ChunkedArray, codes: tuple[str, ...]
) -> tuple[pa.Array | pa.ChunkedArray, pa.Array | pa.ChunkedArray]:
    """Blank the withheld codes; the flag says a value existed and was withheld.

    Compared trimmed and upper-cased, so " prg" is withheld too rather than leaking.
    """
    normalised = pc.utf8_upper(pc.utf8_trim_whitespace(values))
    flags = pc.fill_null(pc.is_in(normalised, value_set=pa.array(codes, pa.string())), False)
    return pc.if_else(flags, pa.scalar(None, pa.string()), values), flags


def _dates(column: pa.ChunkedArray, item: str, source: str) -> pa.ChunkedArray:
    try:
        return pc.cast(column, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputFileError(
            "a value is not a date written YYYY-MM-DD",
            where=Location(file=source, field=item),
            hint="run `safepupil la validate` on the return and correct the dates it reports",
        ) from None
