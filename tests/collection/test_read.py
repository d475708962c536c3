"""read_return dispatches on the suffix and refuses what it cannot read."""

from __future__ import annotations

from pathlib import Path

import pytest

from safepupil.collection.read import read_return
from safepupil.errors import InputFileError
from tests.collection.conftest import WriteReturn, clean_pupils, csv_return, xml_return


@pytest.mark.parametrize("name", ["RETURN.XML", "return.xml"])
def test_xml_suffix_in_any_case(write_return: WriteReturn, name: str) -> None:
    assert read_return(write_return(xml_return(clean_pupils(2)), name)).pupil_count == 2


def test_csv_suffix(write_return: WriteReturn) -> None:
    assert read_return(write_return(csv_return(clean_pupils(2)), "r.csv")).pupil_count == 2


@pytest.mark.parametrize(
    ("name", "expected"),
    [("return.txt", "format"), ("return", "format")],
)
def test_unknown_suffix_is_refused(write_return: WriteReturn, name: str, expected: str) -> None:
    with pytest.raises(InputFileError, match=expected):
        read_return(write_return("x", name))


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="no such file"):
        read_return(tmp_path / "absent.xml")
    folder = tmp_path / "folder.xml"
    folder.mkdir()
    with pytest.raises(InputFileError, match="not a file"):
        read_return(folder)


def test_hand_made_returns_in_both_formats_read_alike_and_validate_clean(
    test_data_dir: Path,
) -> None:
    from safepupil.collection.validate import validate_return

    xml = read_return(test_data_dir / "returns" / "ap_census_2018_201.xml")
    csv = read_return(test_data_dir / "returns" / "ap_census_2018_201.csv")
    assert xml.records.equals(csv.records)
    assert xml.header.software == "HANDMADE"
    second = xml.records.to_pylist()[1]
    assert second["address"] == "Flat 3, 4 High Street"
    assert (second["uln"], second["sen_type_1"], second["placement_end"]) == (None, None, None)
    for parsed in (xml, csv):
        assert validate_return(parsed).findings == ()
