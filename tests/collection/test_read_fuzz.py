"""Whatever is done to a return's bytes, reading it either works or raises one
InputFileError: never another exception, never a traceback for the officer."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safepupil.collection.read import read_return
from safepupil.errors import InputFileError
from tests.collection.conftest import clean_pupils, csv_return, xml_return

XML = xml_return(clean_pupils(2)).encode("utf-8")
CSV = csv_return(clean_pupils(2)).encode("utf-8")
ODD_BYTES = [
    b"<",
    b">",
    b"&",
    b'"',
    b",",
    b"\n",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"<!DOCTYPE x>",
    b"]]>",
]


@st.composite
def damaged(draw: st.DrawFn, original: bytes) -> bytes:
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        at = draw(st.integers(min_value=0, max_value=len(data)))
        action = draw(st.sampled_from(["cut", "insert", "delete"]))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from(ODD_BYTES))
        else:
            del data[at : at + draw(st.integers(min_value=1, max_value=20))]
    return bytes(data)


def _read_or_refuse(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    try:
        read_return(path)
    except InputFileError as error:
        assert error.where is not None
        assert error.where.file == str(path)


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=damaged(XML))
def test_damaged_xml_reads_or_is_refused_cleanly(tmp_path: Path, data: bytes) -> None:
    _read_or_refuse(tmp_path / "damaged.xml", data)


@settings(
    deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=damaged(CSV))
def test_damaged_csv_reads_or_is_refused_cleanly(tmp_path: Path, data: bytes) -> None:
    _read_or_refuse(tmp_path / "damaged.csv", data)
