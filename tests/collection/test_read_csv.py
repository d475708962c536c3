"""Reading CSV returns: the same flat record as XML, and clear refusals."""

from __future__ import annotations

import pytest

from safepupil.collection.model import record_schema
from safepupil.collection.read import read_return
from safepupil.errors import InputFileError
from tests.collection.conftest import (
    HEADER,
    WriteReturn,
    clean_pupils,
    csv_return,
    pupil,
    xml_return,
)

CSV_NAME = "ap_census_2018_201.csv"


def _error(write_return: WriteReturn, content: str | bytes) -> InputFileError:
    with pytest.raises(InputFileError) as raised:
        read_return(write_return(content, CSV_NAME))
    return raised.value


def test_csv_and_xml_of_the_same_return_read_identically(write_return: WriteReturn) -> None:
    pupils = [
        *clean_pupils(3),
        pupil(4, address="Flat 1, 2 High St, Town", sen_type_1=None, sen_type_2=None),
        pupil(5, uln=None, placement_end="2017-12-15", ukprn=None),
    ]
    from_csv = read_return(write_return(csv_return(pupils), CSV_NAME))
    from_xml = read_return(write_return(xml_return(pupils), "ap_census_2018_201.xml"))
    assert from_csv.records.schema == record_schema()
    assert from_csv.records.equals(from_xml.records)
    assert from_csv.header.year == from_xml.header.year
    assert from_csv.header.reference_date == from_xml.header.reference_date
    assert from_csv.header.la == from_xml.header.la == "201"


def test_values_are_trimmed_and_empty_is_absent(write_return: WriteReturn) -> None:
    text = csv_return([pupil(1)]).replace(",M,", ", M ,").replace(",Middle,", ",  ,")
    row = read_return(write_return(text, CSV_NAME)).records.to_pylist()[0]
    assert row["sex"] == "M"
    assert row["middle_names"] is None


def test_byte_order_mark_is_accepted(write_return: WriteReturn) -> None:
    content = b"\xef\xbb\xbf" + csv_return([pupil(1)]).encode()
    assert read_return(write_return(content, CSV_NAME)).pupil_count == 1


@pytest.mark.parametrize("column", ["collection", "year", "reference_date", "return_la"])
def test_header_disagreement_names_the_first_line_that_differs(
    write_return: WriteReturn, column: str
) -> None:
    lines = csv_return(clean_pupils(5)).splitlines()
    names = lines[0].split(",")
    for line_no in (4, 6):  # lines 4 and 6 differ: line 4 is named
        cells = lines[line_no - 1].split(",")
        cells[names.index(column)] = "" if column == "return_la" else "X"
        lines[line_no - 1] = ",".join(cells)
    error = _error(write_return, "\n".join(lines) + "\n")
    assert error.where is not None
    assert error.where.position == "line 4"
    assert error.where.field == column


def test_missing_columns_are_all_named(write_return: WriteReturn) -> None:
    text = csv_return([pupil(1)])
    header, rest = text.split("\n", 1)
    renames = {"surname": "family_name", "placement_end": "end"}
    renamed = ",".join(renames.get(name, name) for name in header.split(","))
    error = _error(write_return, renamed + "\n" + rest)
    assert "surname" in error.message
    assert "placement_end" in error.message
    assert "preferred_surname" not in error.message


def test_a_line_with_too_few_values_is_named_without_its_content(
    write_return: WriteReturn,
) -> None:
    lines = csv_return(clean_pupils(4)).splitlines()
    lines[2] = lines[2].rsplit(",", 3)[0]  # line 3 loses its last values
    error = _error(write_return, "\n".join(lines) + "\n")
    assert error.where is not None
    assert error.where.position == "line 3"
    assert "Surname2" not in str(error)


def test_truncated_csv_with_open_quote_is_refused(write_return: WriteReturn) -> None:
    text = csv_return(clean_pupils(3))
    cut = text[: text.rindex('"2 Example') + 5]
    error = _error(write_return, cut)
    assert error.where is not None
    assert error.where.position is not None
    assert "Example" not in str(error)


def test_non_utf8_csv_names_the_line(write_return: WriteReturn) -> None:
    content = csv_return(clean_pupils(3)).encode().replace(b"Surname2", b"Sur\xe9name2")
    error = _error(write_return, content)
    assert "UTF-8" in error.message
    assert error.where is not None
    column = content.splitlines()[2].index(b"\xe9") + 1
    assert error.where.position == f"line 3, column {column}"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(csv_return([]), "no pupil lines", id="names-only"),
        pytest.param(b"\xff\xfeupn\n", "UTF-8", id="utf16-bom"),
        pytest.param("file,record\nx.xml,1\n", "none of the columns", id="not-a-return"),
    ],
)
def test_unusable_csv_gets_a_clear_error(
    write_return: WriteReturn, content: str | bytes, expected: str
) -> None:
    assert expected in _error(write_return, content).message


def test_header_values_must_make_a_header(write_return: WriteReturn) -> None:
    text = csv_return([pupil(1)], {**HEADER, "reference_date": "18/01/2018"})
    assert "reference date" in _error(write_return, text).message


def test_windows_line_endings_read_the_same(write_return: WriteReturn) -> None:
    text = csv_return(clean_pupils(3))
    plain = read_return(write_return(text, "plain.csv"))
    crlf = read_return(write_return(text.replace("\n", "\r\n"), "crlf.csv"))
    assert crlf.records.equals(plain.records)


def test_a_column_name_with_spaces_is_reported_missing(write_return: WriteReturn) -> None:
    text = csv_return([pupil(1)]).replace(",upn,", ", upn,", 1)
    assert "no column upn" in _error(write_return, text).message
