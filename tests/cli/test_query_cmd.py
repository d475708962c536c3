"""``safepupil query run``: SQL, Python and JSON query files run on dummy data, and every
refusal (no --dummy, a bad query file) said plainly."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.cli.main import run as main_run
from safepupil.errors import QueryError, UserError

runner = CliRunner()
ROWS = 8_000  # above the guarantee: every code in every LA among girls and boys

RARE_SQL = """SELECT la, COUNT(*) FROM ap_census_2018
WHERE placement_reason = 'SUS' AND sex = 'F' AND la = '201'
GROUP BY la
"""
BY_REGION_SQL = """SELECT region, sen_provision, COUNT(*), PROPORTION(placement_end IS NULL)
FROM ap_census_2018
WHERE sex = 'F' AND placement_reason IN ('PEX', 'SUS')
GROUP BY region, sen_provision
"""
BY_REGION_PY = """from safepupil.query.builder import dataset, item

query = (
    dataset("ap_census_2018")
    .where(item("sex") == "F", item("placement_reason").isin(["PEX", "SUS"]))
    .by("region", "sen_provision")
    .count()
    .proportion(item("placement_end").is_null())
)
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


def run_json(path: Path, *options: str) -> dict[str, Any]:
    result = runner.invoke(app, ["query", "run", str(path), "--dummy", "--json", *options])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def test_a_rare_combination_yields_rows_at_the_default_size(tmp_path: Path) -> None:
    document = run_json(write(tmp_path, "rare.sql", RARE_SQL))
    assert document["dummy"] is True and document["rows"] == 50_000
    [cell] = document["cells"]
    assert cell["codes"] == ["201"] and cell["labels"] == ["201 City of London"]
    assert cell["n_pupils"] >= 1 and cell["values"]["count"]["value"] == cell["n_pupils"]


def test_sql_python_and_json_files_give_the_same_answer(tmp_path: Path) -> None:
    from_sql = run_json(write(tmp_path, "q.sql", BY_REGION_SQL), "--rows", str(ROWS))
    from_py = run_json(write(tmp_path, "q.py", BY_REGION_PY), "--rows", str(ROWS))
    wire = json.dumps(from_sql["query"])
    from_wire = run_json(write(tmp_path, "q.json", wire), "--rows", str(ROWS))
    assert from_sql["query"] == from_py["query"] == from_wire["query"]
    assert from_sql["cells"] == from_py["cells"] == from_wire["cells"]
    assert len(from_sql["cells"]) == 9 * 4  # regions x SEN provision codes
    proportion = from_sql["measures"][1]
    assert all(0 <= c["values"][proportion]["value"] <= 1 for c in from_sql["cells"])


@pytest.mark.parametrize(
    ("sql", "dataset"),
    [
        ("SELECT sex, COUNT(*) FROM school_census_2018 GROUP BY sex", "school_census_2018"),
        # A pupil placed by two LAs is one pupil in each LA's cell: by LA, cells add to records.
        ("SELECT la, COUNT(*) FROM ap_census_2018 GROUP BY la", "ap_census_2018"),
    ],
)
def test_counts_without_a_filter_add_up_to_the_records(
    tmp_path: Path, sql: str, dataset: str
) -> None:
    document = run_json(write(tmp_path, "count.sql", sql), "--rows", str(ROWS))
    assert document["dataset"] == dataset
    assert sum(cell["n_pupils"] for cell in document["cells"]) == ROWS
    assert all(cell["interior"] for cell in document["cells"])


def test_margins_add_totals_with_england_at_the_top(tmp_path: Path) -> None:
    sql = "SELECT la, sex, COUNT(*) FROM school_census_2018 GROUP BY la, sex"
    document = run_json(write(tmp_path, "m.sql", sql), "--rows", str(ROWS), "--margins")
    margins = [c for c in document["cells"] if not c["interior"]]
    total = [c for c in margins if c["levels"] == ["england", None]]
    assert [c["labels"] for c in total] == [["England", "all"]]
    assert total[0]["n_pupils"] == ROWS
    assert {c["levels"][0] for c in margins} == {"la", "region", "england"}


def test_a_dummy_file_and_the_reference_engine_agree_with_duckdb(tmp_path: Path) -> None:
    data = tmp_path / "ap.parquet"
    made = runner.invoke(app, ["dummy", "ap_census_2018", "--rows", "7000", "--out", str(data)])
    assert made.exit_code == 0, made.output
    query = write(tmp_path, "q.sql", BY_REGION_SQL)
    on_duckdb = run_json(query, "--dummy-file", str(data))
    on_reference = run_json(query, "--dummy-file", str(data), "--engine", "reference")
    assert on_duckdb["cells"] == on_reference["cells"] and on_duckdb["cells"]
    assert on_duckdb["source"] == str(data) and on_duckdb["rows"] == 7000


def test_the_table_shows_labels_pupils_and_measures(tmp_path: Path) -> None:
    path = write(tmp_path, "rare.sql", RARE_SQL)
    result = runner.invoke(app, ["query", "run", str(path), "--dummy", "--rows", str(ROWS)])
    assert result.exit_code == 0, result.output
    assert "201 City of London" in result.output
    assert "pupils" in result.output and "count" in result.output
    assert "Dummy data: made-up pupils" in result.output


@pytest.mark.parametrize(
    ("extra", "expected", "hint"),
    [
        ([], "needs the number of an approved project", "add --dummy"),
        (["--project", "P-0001"], "needs the number of an approved project", "add --dummy"),
        (["--project", "7"], "no API token was given", "SAFEPUPIL_TOKEN"),
    ],
)
def test_without_dummy_the_real_store_needs_a_project_and_a_person(
    tmp_path: Path, extra: list[str], expected: str, hint: str
) -> None:
    path = write(tmp_path, "rare.sql", RARE_SQL)
    result = runner.invoke(app, ["query", "run", str(path), *extra], env={"SAFEPUPIL_TOKEN": ""})
    assert isinstance(result.exception, UserError)
    assert expected in str(result.exception)
    assert hint in result.exception.hint


def test_a_withheld_code_is_explained_not_left_as_an_empty_table(tmp_path: Path) -> None:
    sql = RARE_SQL.replace("'SUS'", "'YOF'")
    document = run_json(write(tmp_path, "yof.sql", sql), "--rows", str(ROWS))
    assert document["cells"] == []
    [withheld, *_] = document["notes"]
    assert "placement_reason codes YOF are statistics-only" in withheld
    assert "placement_reason_withheld = TRUE" in withheld
    shown = runner.invoke(app, ["query", "run", str(tmp_path / "yof.sql"), "--dummy"])
    assert "statistics-only" in shown.output and "no cells" in shown.output


def test_counting_withheld_records_through_the_flag_works(tmp_path: Path) -> None:
    sql = (
        "SELECT sex, COUNT(*) FROM ap_census_2018 "
        "WHERE placement_reason_withheld = TRUE GROUP BY sex"
    )
    document = run_json(write(tmp_path, "flag.sql", sql), "--rows", str(ROWS))
    assert {c["codes"][0] for c in document["cells"]} == {"F", "M", "U"}
    assert not any("statistics-only" in note for note in document["notes"])


def test_an_empty_result_on_small_dummy_data_says_why(tmp_path: Path) -> None:
    document = run_json(write(tmp_path, "rare.sql", RARE_SQL), "--rows", "300")
    assert document["cells"] == []
    assert "no records matching this filter" in document["notes"][0]
    assert "--rows 500,000" in document["notes"][0]


def test_a_refused_sql_construct_is_named_with_the_file(tmp_path: Path) -> None:
    sql = "SELECT la, COUNT(*) FROM ap_census_2018 GROUP BY la ORDER BY la"
    path = write(tmp_path, "ordered.sql", sql)
    result = runner.invoke(app, ["query", "run", str(path), "--dummy"])
    assert isinstance(result.exception, QueryError)
    assert "ORDER BY not allowed" in str(result.exception)
    assert str(path) in str(result.exception)


def test_the_entry_point_prints_a_bad_query_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "joined.sql", "SELECT la, COUNT(*) FROM a JOIN b ON x = y GROUP BY la")
    monkeypatch.setattr(sys, "argv", ["safepupil", "query", "run", str(path), "--dummy"])
    with pytest.raises(SystemExit) as exited:
        main_run()
    assert exited.value.code == QueryError.exit_code
    printed = capsys.readouterr()
    assert "JOIN not allowed" in printed.err and "joined.sql" in printed.err
    assert "Traceback" not in printed.err + printed.out


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("none.py", "x = 1\n", "must assign a variable `query`"),
        ("typo.py", "\n\nquery = dataset('ap_census_2018').by(la).count()\n", "NameError"),
        ("syntax.py", "query = (\n", "does not parse"),
        ("unknown.py", "query = dataset('ap_census_2018').by('sen_typ_1').count()\n", "did you"),
        ("wrong.json", '{"version": 1}', "missing"),
        ("bad.sql", "SELECT MAX(year) FROM ap_census_2018", "MAX"),
    ],
)
def test_bad_query_files_are_refused_with_the_file_named(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    result = runner.invoke(app, ["query", "run", str(path), "--dummy"])
    assert isinstance(result.exception, QueryError), result.output
    shown = str(result.exception)
    assert message in shown and str(path) in shown


def test_a_python_error_points_at_the_scripts_line(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.py", "\n\nquery = dataset('ap_census_2018').by(la).count()\n")
    result = runner.invoke(app, ["query", "run", str(path), "--dummy"])
    assert isinstance(result.exception, QueryError)
    assert "line 3" in str(result.exception)


def test_a_file_of_unknown_kind_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "query.txt", RARE_SQL)
    result = runner.invoke(app, ["query", "run", str(path), "--dummy"])
    assert isinstance(result.exception, UserError)
    assert ".sql" in result.exception.hint and ".py" in result.exception.hint
