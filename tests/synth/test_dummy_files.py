"""Dummy data files and ``safepupil dummy``: Parquet or CSV by suffix, read back exactly."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.errors import InputFileError, QueryError, UserError
from safepupil.store.catalogue import Catalogue, load_catalogue
from safepupil.synth.dummy import make_dummy
from safepupil.synth.dummy_io import read_dummy, write_dummy

runner = CliRunner()
ROWS = 7_000


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="module")
def ap_table(catalogue: Catalogue) -> pa.Table:
    return make_dummy(catalogue, "ap_census_2018", ROWS, 5)


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_written_and_read_back_unchanged(
    catalogue: Catalogue, ap_table: pa.Table, tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"ap{suffix}"
    write_dummy(ap_table, path)
    assert read_dummy(path, catalogue.dataset("ap_census_2018")).equals(ap_table)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left


def test_a_file_missing_columns_is_refused_with_a_hint(
    catalogue: Catalogue, ap_table: pa.Table, tmp_path: Path
) -> None:
    path = tmp_path / "short.parquet"
    pq.write_table(ap_table.drop_columns(["sex", "pupil_id"]), path)
    with pytest.raises(InputFileError) as caught:
        read_dummy(path, catalogue.dataset("ap_census_2018"))
    assert "sex, pupil_id" in caught.value.message
    assert "safepupil dummy ap_census_2018" in caught.value.hint


def test_a_file_of_another_dataset_is_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "school.parquet"
    write_dummy(make_dummy(catalogue, "school_census_2018", 50, 1), path)
    with pytest.raises(InputFileError, match="lacks columns of ap_census_2018"):
        read_dummy(path, catalogue.dataset("ap_census_2018"))


def test_a_file_that_is_not_parquet_is_refused(catalogue: Catalogue, tmp_path: Path) -> None:
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(InputFileError, match="cannot read the dummy file"):
        read_dummy(path, catalogue.dataset("ap_census_2018"))


def test_the_command_writes_the_file_and_says_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "school.parquet"
    arguments = ["dummy", "school_census_2018", "--rows", str(ROWS), "--out", str(path)]
    result = runner.invoke(app, [*arguments, "--seed", "4"])
    assert result.exit_code == 0, result.output
    table = pq.read_table(path)
    assert table.num_rows == ROWS and "attainment8" in table.column_names
    assert f"Wrote {ROWS:,} dummy records of school_census_2018" in result.output
    assert "152 LAs" in result.output


def test_the_command_warns_when_too_small_for_the_guarantee(tmp_path: Path) -> None:
    path = tmp_path / "ap.csv"
    result = runner.invoke(app, ["dummy", "ap_census_2018", "--rows", "300", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "not every code appears in every LA" in result.output
    assert path.read_text("utf-8").startswith('"pupil_token","la","year","sex"')


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (["ap_census_2018", "--out", "x.txt"], UserError, "cannot tell the format of x.txt"),
        (["ap_censu_2018", "--out", "x.csv"], QueryError, "no dataset 'ap_censu_2018'"),
        (["ap_census_2018", "--out", "x.csv", "--rows", "0"], UserError, "--rows 0"),
        (["ap_census_2018", "--out", "nowhere/x.csv"], UserError, "does not exist"),
    ],
)
def test_the_command_refuses_bad_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, arguments: list[str], error: type, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["dummy", *arguments])
    assert isinstance(result.exception, error)
    assert message in str(result.exception)
    assert list(tmp_path.iterdir()) == []
