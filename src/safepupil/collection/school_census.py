"""Pseudonymise a school census population the way the LA tool treats an AP return.

The school census is not a return the officer validates item by item here; it arrives
as a typed table (``safepupil synth`` writes one). The same rules apply: the UPN becomes
the pupil token (the same keyed hash, so the national store links a pupil's AP and
school census records), names are dropped, date of birth becomes year and month, and
postcode its outward code. Columns with no treatment are refused, never passed on.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from safepupil.collection.pseudonymise import postcode_outward, pupil_tokens
from safepupil.errors import ConfigError

DROPPED = ("upn", "surname", "forename", "dob", "postcode")
KEPT = (
    "la",
    "sex",
    "ethnicity",
    "sen_provision",
    "sen_type_1",
    "fsm",
    "year_group",
    "sessions_possible",
    "sessions_absent",
    "attainment8",
)


def pseudonymise_school_census(table: pa.Table, key: bytes, year: int) -> pa.Table:
    """The national store's school census columns, with nothing that names a pupil."""
    unknown = sorted(set(table.column_names) - set(DROPPED) - set(KEPT))
    missing = sorted((set(DROPPED) | set(KEPT)) - set(table.column_names))
    if unknown or missing:
        raise ConfigError(
            "the school census table does not have the expected columns "
            f"(unknown: {', '.join(unknown) or 'none'}; missing: {', '.join(missing) or 'none'})",
            hint="give the columns of docs/formats.md; unknown columns are never passed on",
        )
    birth_year_month = pc.strftime(table.column("dob"), format="%Y-%m")
    columns = {
        "pupil_token": pupil_tokens(table.column("upn"), key),
        "la": table.column("la"),
        "year": pa.array([year] * table.num_rows, pa.int32()),
        "sex": table.column("sex"),
        "ethnicity": table.column("ethnicity"),
        "birth_year_month": birth_year_month,
        "postcode_outward": postcode_outward(table.column("postcode")),
    }
    columns |= {name: table.column(name) for name in KEPT if name not in columns}
    return pa.table(columns)
