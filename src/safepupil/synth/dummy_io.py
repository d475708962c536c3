"""Dummy data files: Parquet or CSV by suffix, written atomically, read back checked.

A file read back must hold the dataset's columns with the store's types (a CSV is
converted), so a query tried on it runs exactly as it would on a table from the store.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from safepupil.errors import InputFileError, Location, UserError
from safepupil.store.catalogue import Dataset
from safepupil.synth.dummy_render import ARROW_TYPES, PUPIL_ID_TYPE
from safepupil.synth.files import atomic_path

PUPIL_ID = "pupil_id"  # the store's integer per pupil, from which result bitmaps are made
PARQUET, CSV = ".parquet", ".csv"
SUFFIXES = (PARQUET, CSV)
CSV_TRUE, CSV_FALSE = "true", "false"  # as pyarrow writes booleans


def dummy_schema(dataset: Dataset) -> pa.Schema:
    """The dataset's items in catalogue order, then pupil_id: the store's view of it."""
    fields = [pa.field(item.name, ARROW_TYPES[item.type]) for item in dataset.items]
    return pa.schema([*fields, pa.field(PUPIL_ID, PUPIL_ID_TYPE)])


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UserError(
            f"cannot tell the format of {path.name} from its suffix",
            hint="name the file .parquet or .csv",
        )
    return suffix


def check_destination(path: Path) -> str:
    """The format to write ``path`` in; refuses a path that cannot be written to."""
    suffix = check_suffix(path)
    if not path.parent.is_dir():
        raise UserError(
            f"the folder {path.parent} does not exist", hint="create it, or choose another --out"
        )
    return suffix


def write_dummy(table: pa.Table, path: Path) -> None:
    suffix = check_destination(path)
    with atomic_path(path) as temporary:
        if suffix == PARQUET:
            pq.write_table(table, temporary, compression="zstd")
        else:
            pacsv.write_csv(table, temporary)


def read_dummy(path: Path, dataset: Dataset) -> pa.Table:
    """The file's table with exactly the dataset's columns and types."""
    suffix = check_suffix(path)
    schema = dummy_schema(dataset)
    where = Location(file=str(path))
    try:
        table = pq.read_table(path) if suffix == PARQUET else _read_csv(path, schema)
    except FileNotFoundError:
        raise UserError(f"no file {path}", hint="check the --dummy-file path") from None
    except (OSError, pa.ArrowInvalid) as error:
        raise InputFileError(
            f"cannot read the dummy file ({type(error).__name__})",
            where=where,
            hint=f"make one with: safepupil dummy {dataset.name} --out {path.name}",
        ) from None
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise InputFileError(
            f"the dummy file lacks columns of {dataset.name}: {', '.join(missing)}",
            where=where,
            hint=f"make one with: safepupil dummy {dataset.name} --out {path.name}",
        )
    try:
        return table.select(schema.names).cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputFileError(
            f"the dummy file's columns do not have the types of {dataset.name}",
            where=where,
            hint=f"make one with: safepupil dummy {dataset.name} --out {path.name}",
        ) from None


def _read_csv(path: Path, schema: pa.Schema) -> pa.Table:
    convert = pacsv.ConvertOptions(
        column_types={f.name: f.type for f in schema},
        strings_can_be_null=True,
        true_values=[CSV_TRUE],
        false_values=[CSV_FALSE],
    )
    return pacsv.read_csv(path, convert_options=convert)
