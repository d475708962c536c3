"""Load an already pseudonymised school census as dataset ``school_census_<year>``.

The school census is not a sealed LA submission: it is the national population, read
from the national pupil database. A load replaces that year's school census as a
whole (no versions). Pupil ids come from the same ``pupils`` table as the AP census,
so a token seen in both gets the same pupil_id and the two datasets link. Everything
is set operations in DuckDB (no Python loop over pupils), for 8 million rows. The view
masks each item from its retention expiry on, with the same column expression as the
collection datasets' views (``pupil_store.retained_column``).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from safepupil.errors import ConfigError, IntegrityError, InternalError, Location
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.intake_checks import check_columns, check_tokens, repeated_tokens
from safepupil.store.pupil_store import (
    assign_pupil_ids,
    item_columns,
    quoted,
    retained_column,
    transaction,
)

# ruff: noqa: S608 - SQL text here is composed only of quoted() identifiers; values are bound

FAMILY = "school_census"
INCOMING = "incoming_school_census"


@dataclass(frozen=True)
class SchoolCensusLoaded:
    dataset: str
    pupils: int
    new_pupils: int  # pupils not seen before (in no AP census)


def load_school_census(
    store: duckdb.DuckDBPyConnection,
    table: pa.Table,
    year: int,
    catalogue: Catalogue | None = None,
) -> SchoolCensusLoaded:
    """Replace the view ``school_census_<year>`` with ``table`` (pseudonymised, one row per
    pupil); the columns must be exactly the catalogue's items for that dataset."""
    name = f"{FAMILY}_{year}"
    chosen = catalogue or load_catalogue()
    if name not in chosen.dataset_names:
        raise ConfigError(f"no dataset {name} in the catalogue", hint="add it to the catalogue")
    dataset = chosen.dataset(name)
    where = Location(file=f"school census {year}")
    check_columns(table.schema, dataset, where)
    check_tokens(table, where, unique=False)  # repeats are counted in DuckDB, faster
    _check_year(table, year, where)
    records = quoted(f"{name}_records")
    columns = item_columns(dataset)
    cast = ", ".join(f"CAST(i.{quoted(c)} AS {kind}) AS {quoted(c)}" for c, kind in columns)
    try:
        with transaction(store):
            store.register(INCOMING, table)
            assigned = assign_pupil_ids(store, INCOMING)
            if dataset.one_row_per_pupil and assigned.repeated:
                raise repeated_tokens(assigned.repeated, where)  # rolls the load back
            store.execute(
                f"CREATE OR REPLACE TABLE {records} AS SELECT p.pupil_id, {cast} "
                f"FROM {INCOMING} AS i JOIN pupils AS p USING (pupil_token)"
            )
            # Masked from each item's retention expiry, as the collection datasets' views
            # are: the expiry dates written into the view come from the checked catalogue.
            listed = ", ".join(
                retained_column(dataset, item, quoted(item.name)) for item in dataset.items
            )
            store.execute(
                f"CREATE OR REPLACE VIEW {quoted(name)} AS SELECT {listed}, pupil_id FROM {records}"
            )
    except duckdb.Error as error:
        # DuckDB's message may quote a value: only its kind is reported.
        raise InternalError(f"loading {name} failed ({type(error).__name__})") from None
    finally:
        store.unregister(INCOMING)
    return SchoolCensusLoaded(name, pupils=table.num_rows, new_pupils=assigned.new_pupils)


def _check_year(table: pa.Table, year: int, where: Location) -> None:
    matching = pc.sum(pc.fill_null(pc.equal(table.column("year"), pa.scalar(year)), False))
    if (matching.as_py() or 0) != table.num_rows:
        raise IntegrityError(
            f"some rows are not for census year {year}",
            where=where,
            hint="load each year's school census as its own dataset",
        )
