"""``safepupil dummy``: dummy data for a catalogue dataset (built in safepupil.synth.dummy)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.store.catalogue import load_catalogue
from safepupil.synth.dummy import DEFAULT_ROWS, DEFAULT_SEED, guarantee_rows, make_dummy
from safepupil.synth.dummy_io import PUPIL_ID, check_destination, write_dummy


def dummy(
    dataset: str = typer.Argument(..., help="A catalogue dataset, e.g. ap_census_2018."),
    rows: int = typer.Option(DEFAULT_ROWS, "--rows", help="Records to make."),
    out_file: Path = typer.Option(..., "--out", help="File to write: .parquet or .csv."),
    seed: int = typer.Option(DEFAULT_SEED, help="Same seed and arguments, same data."),
) -> None:
    """Make dummy data for a dataset: its exact columns and types, made-up pupils.

    For trying queries offline (safepupil query run --dummy-file). Nothing in it comes
    from a real pupil; every code appears in every LA among girls and among boys.
    """
    catalogue = load_catalogue()
    spec = catalogue.dataset(dataset)
    check_destination(out_file)  # refuse before the work, not after
    table = make_dummy(catalogue, dataset, rows, seed)
    write_dummy(table, out_file)
    pupils = pc.count_distinct(table.column(PUPIL_ID)).as_py()
    las = pc.count_distinct(table.column("la")).as_py() if "la" in table.column_names else 0
    out.print(
        f"Wrote {table.num_rows:,} dummy records of {spec.name} ({pupils:,} pupils, "
        f"{las} LAs) to {out_file}",
        highlight=False,
    )
    if rows < guarantee_rows(spec):
        out.print(
            f"Below {guarantee_rows(spec):,} rows not every code appears in every LA.",
            style="yellow",
        )
    out.print(_columns_table(table))


def _columns_table(table: pa.Table) -> Table:
    listing = Table(title="columns (dummy data: made-up pupils)")
    listing.add_column("column")
    listing.add_column("type")
    for field in table.schema:
        listing.add_row(field.name, str(field.type))
    return listing
