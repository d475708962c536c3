"""The pupil store: encrypted at rest, sealed connections, schema, the school census link."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import load_pseudonym_key
from safepupil.collection.pseudonymise import postcode_outward, pupil_tokens
from safepupil.errors import ConfigError, IntegrityError
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.store.deployment import Deployment, open_store
from safepupil.store.duckdb_connect import check_extension, connect_store
from safepupil.store.intake_school_census import load_school_census
from tests.store.test_intake_support import (
    LAS,
    YEAR,
    National,
    copy_deployment,
    intake,
    shared_national,
    snapshot,
    tokens_of,
)


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> National:
    return shared_national(tmp_path_factory)


@pytest.fixture
def deployment(national: National, tmp_path: Path) -> Deployment:
    return copy_deployment(national, tmp_path / "home")


@pytest.fixture
def filled(national: National, deployment: Deployment) -> Deployment:
    for la in LAS:
        intake(deployment, national.sealed[la])
    return deployment


def test_the_store_file_holds_no_token_as_plain_bytes(
    national: National, filled: Deployment
) -> None:
    files = [p for p in filled.paths.store_folder.rglob("*") if p.is_file()]
    assert filled.paths.store_database in files
    contents = b"".join(path.read_bytes() for path in files)
    tokens = [token for la in LAS for token in tokens_of(national.sealed[la], national.template)]
    assert len(tokens) > 50
    assert not [token for token in tokens if token.encode() in contents]
    assert b"ap_census_records" not in contents  # not even the schema shows


def test_the_store_cannot_be_opened_without_its_key(filled: Deployment, tmp_path: Path) -> None:
    copied = tmp_path / "copied.duckdb"
    copied.write_bytes(filled.paths.store_database.read_bytes())
    with pytest.raises(duckdb.Error):
        duckdb.connect(str(copied))
    with pytest.raises(ConfigError, match="does not open this store"):
        connect_store(copied, b"\x07" * 32, temp_folder=tmp_path / "tmp")


def test_a_missing_store_is_not_created_by_accident(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no pupil store here"):
        connect_store(tmp_path / "nothing.duckdb", b"\x01" * 32, temp_folder=tmp_path / "t")
    assert not (tmp_path / "nothing.duckdb").exists()


def test_a_missing_extension_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="httpfs extension file is missing"):
        check_extension(tmp_path / "httpfs.duckdb_extension")


@pytest.mark.parametrize(
    "statement",
    [
        "COPY pupils TO '{folder}/leak.csv'",
        "SELECT * FROM read_csv('{folder}/anything.csv')",
        "ATTACH '{folder}/other.duckdb' AS other",
        "SET enable_external_access = true",
        "INSTALL httpfs",
        "DETACH store",
    ],
)
def test_a_store_connection_cannot_reach_files_or_undo_its_settings(
    filled: Deployment, tmp_path: Path, statement: str
) -> None:
    with open_store(filled) as store, pytest.raises(duckdb.Error):
        store.execute(statement.format(folder=tmp_path))
    assert not (tmp_path / "leak.csv").exists()


def test_a_store_connection_cannot_be_opened_twice_for_writing(filled: Deployment) -> None:
    with (
        open_store(filled),
        pytest.raises(ConfigError, match="open already"),
        open_store(filled),
    ):
        pass


def test_the_aggregates_table_has_no_pupil_columns(deployment: Deployment) -> None:
    with open_store(deployment, read_only=True) as store:
        for table in ("statistics_only_aggregates", "statistics_only_audits"):
            columns = {row[0] for row in store.execute(f"DESCRIBE {table}").fetchall()}
            assert not columns & {"pupil_id", "pupil_token", "upn"}, table


def test_every_intake_dataset_in_the_catalogue_has_a_view_from_the_start(
    deployment: Deployment,
) -> None:
    with open_store(deployment, read_only=True) as store:
        views = {row[0] for row in store.execute("SELECT view_name FROM duckdb_views()").fetchall()}
        empty = store.execute(f"SELECT count(*) FROM ap_census_{YEAR}").fetchone()[0]
    assert f"ap_census_{YEAR}" in views and empty == 0


# --- the school census -----------------------------------------------------------

SCHOOL_ITEMS = ("sex", "ethnicity", "sen_provision", "sen_type_1", "fsm", "year_group")
SCHOOL_MEASURES = ("sessions_possible", "sessions_absent", "attainment8")


def pseudonymised_school_census(national: National) -> pa.Table:
    """The synthetic school census as the national pupil database would hand it over."""
    raw = pq.read_table(national.returns / f"school_census_{YEAR}.parquet")
    key = load_pseudonym_key(KeyLayout(national.template).pseudonym_key)
    born = pc.strftime(pc.cast(raw["dob"], pa.timestamp("s")), format="%Y-%m")
    columns = {
        "pupil_token": pupil_tokens(raw["upn"], key),
        "la": raw["la"],
        "year": pa.array([YEAR] * raw.num_rows, pa.int16()),
        "birth_year_month": born,
        "postcode_outward": postcode_outward(raw["postcode"]),
    }
    columns.update({name: raw[name] for name in (*SCHOOL_ITEMS, *SCHOOL_MEASURES)})
    return pa.table(columns)


def test_school_census_pupils_share_pupil_ids_with_the_ap_census(
    national: National, deployment: Deployment
) -> None:
    intake(deployment, national.sealed[LAS[0]])  # some AP pupils known before...
    school = pseudonymised_school_census(national)
    with open_store(deployment) as store:
        loaded = load_school_census(store, school, YEAR)
    for la in LAS[1:]:  # ...and some only after the school census
        intake(deployment, national.sealed[la])
    with open_store(deployment, read_only=True) as store:
        linked, mismatched = store.execute(
            f"SELECT count(*), count(*) FILTER (WHERE a.pupil_id <> s.pupil_id) "
            f"FROM ap_census_{YEAR} a JOIN school_census_{YEAR} s USING (pupil_token)"
        ).fetchone()
        columns = [row[0] for row in store.execute(f"DESCRIBE school_census_{YEAR}").fetchall()]
        rows = store.execute(f"SELECT count(*) FROM school_census_{YEAR}").fetchone()[0]
    assert loaded.pupils == rows == school.num_rows
    assert linked > 0 and mismatched == 0
    items = [item.name for item in load_catalogue().dataset(f"school_census_{YEAR}").items]
    assert columns == [*items, "pupil_id"]


def test_school_census_with_raw_identifiers_is_refused(
    national: National, deployment: Deployment
) -> None:
    school = pseudonymised_school_census(national)
    with_upn = school.append_column("upn", pa.array(["x"] * school.num_rows))
    with open_store(deployment) as store, pytest.raises(IntegrityError, match="raw identifiers"):
        load_school_census(store, with_upn, YEAR)


def test_school_census_with_a_pupil_twice_is_refused_and_nothing_changes(
    national: National, deployment: Deployment
) -> None:
    school = pseudonymised_school_census(national)
    doubled = pa.concat_tables([school, school.slice(0, 3)])
    before = snapshot(deployment)
    with open_store(deployment) as store, pytest.raises(IntegrityError, match="3 records repeat"):
        load_school_census(store, doubled, YEAR)
    assert snapshot(deployment) == before


def with_retention(catalogue: Catalogue, dataset: str, item: str, years: int) -> Catalogue:
    """``catalogue`` with one item of one dataset kept ``years`` instead."""
    chosen = catalogue.dataset(dataset)
    items = tuple(
        dataclasses.replace(i, retention_years=years) if i.name == item else i for i in chosen.items
    )
    changed = dataclasses.replace(chosen, items=items)
    return Catalogue(tuple(changed if d.name == dataset else d for d in catalogue.datasets))


def test_a_school_census_item_past_retention_reads_as_null_in_its_view(
    national: National, deployment: Deployment
) -> None:
    # Kept 3 years from census day 2018: past retention since 2021-01-18, as the AP
    # census's placement reasons are; every other item is kept 10 years and still held.
    name = f"school_census_{YEAR}"
    catalogue = with_retention(load_catalogue(), name, "sen_provision", 3)
    school = pseudonymised_school_census(national)
    with open_store(deployment) as store:
        load_school_census(store, school, YEAR, catalogue)
    counted = "count(sen_provision), count(sex)"
    with open_store(deployment, read_only=True) as store:
        stored = store.execute(f"SELECT {counted} FROM {name}_records").fetchone()
        shown = store.execute(f"SELECT {counted} FROM {name}").fetchone()
    assert stored is not None and shown is not None
    stored_sen, stored_sex = stored
    shown_sen, shown_sex = shown
    assert stored_sen > 0 and shown_sen == 0  # held in storage, masked in the view
    assert shown_sex == stored_sex > 0  # an item still held is shown as stored
