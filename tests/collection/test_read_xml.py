"""Reading XML returns: the flat record, tolerance, and refusal of bad or hostile files."""

from __future__ import annotations

import datetime as dt
import tracemalloc
from pathlib import Path

import pytest

from safepupil.collection.model import record_schema
from safepupil.collection.read import read_return
from safepupil.errors import InputFileError
from tests.collection.conftest import (
    WriteReturn,
    clean_pupils,
    pupil,
    xml_return,
)

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Message><Header><CollectionDetails><Collection>&lol9;</Collection></CollectionDetails></Header></Message>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE Message [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Message><Header><CollectionDetails><Collection>&secret;</Collection></CollectionDetails></Header></Message>
"""


def test_clean_return_reads_header_and_flat_records(write_return: WriteReturn) -> None:
    parsed = read_return(write_return(xml_return(clean_pupils(3))))
    assert parsed.header.collection == "AP"
    assert parsed.header.year == 2018
    assert parsed.header.reference_date == dt.date(2018, 1, 18)
    assert parsed.header.la == "201"
    assert (parsed.header.software, parsed.header.serial_no) == ("TEST", "001")
    assert parsed.records.schema == record_schema()
    assert parsed.pupil_count == 3
    assert parsed.records.column("record_no").to_pylist() == [1, 2, 3]
    first = parsed.records.slice(0, 1).to_pylist()[0]
    expected = {"record_no": 1, **pupil(1)}
    assert first == expected


def test_address_lines_join_and_sen_needs_go_by_rank(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1, address="Flat 2, 12 Example Road, Townsville")])
    # Put the secondary need first in the file: rank, not order, decides.
    text = text.replace(
        "<SENneed><SENtype>ASD</SENtype><SENtypeRank>1</SENtypeRank></SENneed>"
        "<SENneed><SENtype>SLCN</SENtype><SENtypeRank>2</SENtypeRank></SENneed>",
        "<SENneed><SENtypeRank>2</SENtypeRank><SENtype>SLCN</SENtype></SENneed>"
        "<SENneed><SENtype>ASD</SENtype><SENtypeRank>1</SENtypeRank></SENneed>",
    )
    row = read_return(write_return(text)).records.to_pylist()[0]
    assert row["address"] == "Flat 2, 12 Example Road, Townsville"
    assert (row["sen_type_1"], row["sen_type_2"]) == ("ASD", "SLCN")


def test_sen_need_without_rank_takes_the_first_free_place(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)]).replace("<SENtypeRank>1</SENtypeRank>", "")
    text = text.replace("<SENtypeRank>2</SENtypeRank>", "")
    row = read_return(write_return(text)).records.to_pylist()[0]
    assert (row["sen_type_1"], row["sen_type_2"]) == ("ASD", "SLCN")


@pytest.mark.parametrize("namespace", ["http://www.dfe.gov.uk/CBDS", "urn:any:uri"])
def test_namespaced_shuffled_return_reads_identically(
    write_return: WriteReturn, namespace: str
) -> None:
    pupils = [*clean_pupils(4), pupil(5, sen_type_1=None, sen_type_2=None, uln=None)]
    plain = read_return(write_return(xml_return(pupils), "plain.xml"))
    fancy_text = xml_return(pupils, namespace=namespace, shuffle_seed=7, pretty=False)
    fancy = read_return(write_return(fancy_text, "fancy.xml"))
    assert fancy_text != xml_return(pupils, namespace=namespace, pretty=False)
    assert fancy.header == plain.header
    assert fancy.records.equals(plain.records)


def test_whitespace_is_trimmed_and_empty_items_are_absent(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)])
    text = text.replace("<Sex>M</Sex>", "<Sex>\n      M  \n</Sex>")
    text = text.replace("<MiddleNames>Middle</MiddleNames>", "<MiddleNames>   </MiddleNames>")
    text = text.replace("<Year>2018</Year>", "<Year> 2018 </Year>")
    row = read_return(write_return(text)).records.to_pylist()[0]
    assert row["sex"] == "M"
    assert row["middle_names"] is None


def test_unknown_elements_are_ignored(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)]).replace("<Sex>", "<Extra><Deep>x</Deep></Extra><Sex>")
    assert read_return(write_return(text)).records.to_pylist()[0]["sex"] == "M"


def test_return_with_no_pupils_reads(write_return: WriteReturn) -> None:
    parsed = read_return(write_return(xml_return([])))
    assert parsed.pupil_count == 0
    assert parsed.records.schema == record_schema()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(BILLION_LAUGHS, "DTD", id="billion-laughs"),
        pytest.param(EXTERNAL_ENTITY, "DTD", id="external-entity"),
    ],
)
def test_hostile_xml_is_refused_quickly(
    write_return: WriteReturn, content: str, expected: str
) -> None:
    path = write_return(content)
    tracemalloc.start()
    with pytest.raises(InputFileError) as raised:
        read_return(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert expected in raised.value.message
    assert raised.value.where is not None
    assert raised.value.where.file == str(path)
    assert raised.value.where.position == "line 2, column 1"
    assert peak < 5_000_000  # refused before any entity is expanded


def _error(path: Path) -> InputFileError:
    with pytest.raises(InputFileError) as raised:
        read_return(path)
    return raised.value


def test_truncated_xml_names_file_and_position(write_return: WriteReturn) -> None:
    text = xml_return(clean_pupils(3))
    cut = text[: text.index("<Surname>Surname3") + len("<Surname>Sur")]
    error = _error(write_return(cut))
    assert "truncated" in error.message
    assert error.where is not None
    assert error.where.position is not None
    assert error.where.position.startswith("line ")
    assert "Surname" not in str(error)
    assert error.hint


def test_malformed_xml_says_what_and_where(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)]).replace("</Forename>", "</Forname>")
    error = _error(write_return(text))
    assert "mismatched tag" in error.message
    assert error.where is not None
    assert error.where.position is not None
    assert "Forename1" not in str(error)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"<Message>\n<Pupils>\xff\xfe</Pupils></Message>", "not UTF-8", id="latin"),
        pytest.param(b"<Message><Pupils/></Message>", "no <Header>", id="no-header"),
        pytest.param(b"not xml at all", "not well-formed", id="not-xml"),
    ],
)
def test_unreadable_files_get_a_clear_error(
    write_return: WriteReturn, content: bytes, expected: str
) -> None:
    assert expected in _error(write_return(content)).message


def test_non_utf8_error_gives_line_and_column(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1, surname="Renée")]).encode("utf-8")
    latin = text.replace("Renée".encode(), "Renée".encode("latin-1"))
    error = _error(write_return(latin))
    line = latin[: latin.index(b"Ren")].count(b"\n") + 1
    assert error.where is not None
    assert error.where.position is not None
    assert error.where.position.startswith(f"line {line}, column ")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("<LEA>201</LEA><SoftwareCode>", "<SoftwareCode>", "no la"),
        ("<Year>2018</Year>", "<Year>18</Year>", "year"),
        ("<Year>2018</Year>", "<Year>0000</Year>", "year"),
        (
            "<ReferenceDate>2018-01-18</ReferenceDate>",
            "<ReferenceDate>18/01/2018</ReferenceDate>",
            "reference date",
        ),
        (
            "<ReferenceDate>2018-01-18</ReferenceDate>",
            "<ReferenceDate>2018-02-30</ReferenceDate>",
            "reference date",
        ),
    ],
)
def test_unusable_header_is_refused(
    write_return: WriteReturn, old: str, new: str, expected: str
) -> None:
    text = xml_return([pupil(1)])
    assert old in text
    assert expected in _error(write_return(text.replace(old, new))).message


def test_two_headers_are_refused(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)])
    header = text[text.index("<Header>") : text.index("</Header>") + len("</Header>")]
    doubled = text.replace(header, header + header)
    assert "more than one <Header>" in _error(write_return(doubled)).message


def test_an_item_given_twice_in_a_record_is_refused(write_return: WriteReturn) -> None:
    text = xml_return(clean_pupils(2))
    text = text.replace("<Sex>F</Sex>", "<Sex>F</Sex><Sex>M</Sex>")
    error = _error(write_return(text))
    assert error.where is not None
    assert (error.where.row, error.where.field) == (2, "sex")


def test_a_sen_need_of_rank_3_is_refused(write_return: WriteReturn) -> None:
    text = xml_return([pupil(1)]).replace("<SENtypeRank>2<", "<SENtypeRank>3<")
    error = _error(write_return(text))
    assert "rank" in error.message
    assert error.where is not None
    assert error.where.row == 1


@pytest.mark.slow
def test_reading_streams_without_keeping_pupils_as_python_objects(
    write_return: WriteReturn,
) -> None:
    pupils = 10_000
    text = xml_return([pupil(n) for n in range(1, 1001)] * (pupils // 1000))
    path = write_return(text)
    tracemalloc.start()
    parsed = read_return(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert parsed.pupil_count == pupils
    # Holding every pupil's elements or dicts would take hundreds of MB of Python
    # objects; streaming holds one batch of values (Arrow memory is not traced).
    assert peak < 30_000_000
