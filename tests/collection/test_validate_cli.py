"""``safepupil la validate``: table, JSON, exit codes, several files, and errors."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safepupil.cli import main
from safepupil.collection.rules import RULES
from safepupil.errors import InputFileError
from tests.collection.conftest import WriteReturn, clean_pupils, csv_return, pupil, xml_return

runner = CliRunner()
MESSY_NAME = "ap_census_2018_202.csv"


def _invoke(*args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(main.app, ["la", "validate", *args])
    return result.exit_code, result.stdout, result.exception


@pytest.fixture
def messy_csv(write_return: WriteReturn) -> Path:
    pupils = clean_pupils(3)
    pupils[1].update(sex="ZZZ")
    pupils[2].update(sen_type_1=None)  # a query only
    return write_return(csv_return(pupils), MESSY_NAME)


def test_clean_return_exits_0_with_a_summary(clean_xml: Path) -> None:
    code, out, _ = _invoke(str(clean_xml))
    assert code == 0
    assert "5 pupils read, 0 errors, 0 queries" in out


def test_errors_exit_1_and_are_tabled_without_pupil_values(messy_csv: Path) -> None:
    code, out, _ = _invoke(str(messy_csv))
    assert code == 1
    assert "AP-SEX-01" in out
    assert "AP-SEN-05" in out
    assert "3 pupils read, 1 errors, 1 queries" in out
    assert "Surname" not in out
    assert "AB1 2CD" not in out


def test_queries_alone_exit_0(write_return: WriteReturn) -> None:
    path = write_return(csv_return([pupil(1, sen_type_1=None)]), "q.csv")
    assert _invoke(str(path))[0] == 0


def test_json_document(messy_csv: Path) -> None:
    code, out, _ = _invoke(str(messy_csv), "--json")
    document = json.loads(out)
    assert code == 1
    assert document["source"] == str(messy_csv)
    assert (document["pupils_read"], document["errors"], document["queries"]) == (3, 1, 1)
    assert document["findings"][0] == {
        "file": MESSY_NAME,
        "record": 2,
        "field": "sex",
        "rule": "AP-SEX-01",
        "severity": "error",
        "message": document["findings"][0]["message"],
    }


def test_age_options_reach_validation(write_return: WriteReturn) -> None:
    path = write_return(csv_return([pupil(1, dob="2013-01-19", uln=None)]), "young.csv")
    assert _invoke(str(path))[0] == 0
    code, out, _ = _invoke(str(path), "--min-age", "5", "--json")
    assert code == 1
    assert json.loads(out)["findings"][0]["rule"] == "AP-AGE-01"


def test_malformed_file_raises_input_file_error_for_run_to_report(
    write_return: WriteReturn,
) -> None:
    path = write_return(xml_return(clean_pupils(2))[:-40])
    code, _, exception = _invoke(str(path))
    assert isinstance(exception, InputFileError)
    assert code != 0


def test_run_reports_a_malformed_file_in_one_line_with_exit_2(
    write_return: WriteReturn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_return(xml_return(clean_pupils(2))[:-40])
    monkeypatch.setattr(sys, "argv", ["safepupil", "la", "validate", str(path)])
    with pytest.raises(SystemExit) as exited:
        main.run()
    assert exited.value.code == 2
    err = capsys.readouterr().err.replace("\n", "")  # the console may wrap long lines
    assert str(path) in err
    assert "line 6, column" in err
    assert "Traceback" not in err


def test_several_files_and_folders_are_reported_each(
    write_return: WriteReturn, clean_xml: Path, messy_csv: Path
) -> None:
    broken = write_return(b"<Message><Header>", "ap_census_2018_203.xml")
    write_return("not,a,return\n", "injected_errors.csv")  # not named as a return: skipped
    code, out, _ = _invoke(str(clean_xml.parent), "--json")
    documents = json.loads(out)
    assert code == 2  # one file could not be read at all
    by_name = {Path(d["source"]).name: d for d in documents}
    assert set(by_name) == {clean_xml.name, messy_csv.name, broken.name}
    assert by_name[clean_xml.name]["errors"] == 0
    assert by_name[messy_csv.name]["errors"] == 1
    assert by_name[broken.name]["error"]["code"] == "bad_input_file"


def test_two_good_files_one_with_errors_exit_1(clean_xml: Path, messy_csv: Path) -> None:
    code, out, _ = _invoke(str(clean_xml), str(messy_csv))
    assert code == 1
    assert out.count("pupils read") == 2


def test_empty_folder_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    _, _, exception = _invoke(str(tmp_path / "empty"))
    assert isinstance(exception, InputFileError)


def test_rules_option_lists_the_catalogue() -> None:
    result = runner.invoke(main.app, ["la", "validate", "--rules"], terminal_width=200)
    assert result.exit_code == 0
    for rule in RULES:
        assert rule.id in result.stdout


def test_long_tables_are_cut_with_a_pointer_to_json(write_return: WriteReturn) -> None:
    pupils = [pupil(n, sex="ZZZ") for n in range(1, 8)]
    path = write_return(csv_return(pupils), "many.csv")
    code, out, _ = _invoke(str(path), "--max-rows", "3")
    assert code == 1
    assert "and 4 more findings" in out


def test_file_names_are_shown_literally_not_as_markup(write_return: WriteReturn) -> None:
    path = write_return(csv_return([pupil(1, sex="ZZZ")]), "[bold]odd.csv")
    code, out, _ = _invoke(str(path))
    assert code == 1
    assert "[bold]odd.csv" in out
