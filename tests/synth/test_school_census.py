"""The school census population: columns and types, marginals, and its link to AP."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from safepupil.domain.census_calendar import age_on
from safepupil.domain.upn import is_valid_upn
from safepupil.synth import SynthResult
from tests.synth.readback import Record

CENSUS_DAY = dt.date(2018, 1, 18)
EXPECTED_SCHEMA = pa.schema(
    [
        ("upn", pa.string()),
        ("la", pa.string()),
        ("surname", pa.string()),
        ("forename", pa.string()),
        ("dob", pa.date32()),
        ("sex", pa.string()),
        ("ethnicity", pa.string()),
        ("postcode", pa.string()),
        ("sen_provision", pa.string()),
        ("sen_type_1", pa.string()),
        ("fsm", pa.bool_()),
        ("year_group", pa.int8()),
        ("sessions_possible", pa.int16()),
        ("sessions_absent", pa.int16()),
        ("attainment8", pa.float32()),
    ]
)


@pytest.fixture(scope="module")
def school(clean_run: SynthResult) -> pa.Table:
    return pq.read_table(clean_run.school_census)


def _share(table: pa.Table, column: str, value: object) -> float:
    return pc.sum(pc.equal(table[column], value)).as_py() / table.num_rows


def test_columns_and_types_are_those_of_the_format(school: pa.Table) -> None:
    assert school.schema.remove_metadata() == EXPECTED_SCHEMA
    assert school.num_rows == 200_000


def test_upns_valid_unique_and_of_their_la(school: pa.Table) -> None:
    upns = school["upn"].to_pylist()
    las = school["la"].to_pylist()
    assert len(set(upns)) == len(upns)
    assert all(u[1:4] == la for u, la in zip(upns, las, strict=True))
    assert all(is_valid_upn(u) for u in upns[::7])  # a sample keeps the test quick


@pytest.mark.parametrize(
    ("column", "value", "low", "high"),
    [
        ("sen_provision", "N", 0.82, 0.88),
        ("sen_provision", "K", 0.10, 0.14),
        ("sen_provision", "E", 0.02, 0.045),
        ("fsm", True, 0.12, 0.16),
        ("sex", "M", 0.49, 0.53),
        ("ethnicity", "WBRI", 0.55, 0.75),
    ],
)
def test_marginals(school: pa.Table, column: str, value: object, low: float, high: float) -> None:
    assert low <= _share(school, column, value) <= high


def test_year_groups_match_ages(school: pa.Table) -> None:
    groups = Counter(school["year_group"].to_pylist())
    assert set(groups) == set(range(12))
    for dob, group in zip(
        school["dob"].to_pylist()[:5000], school["year_group"].to_pylist()[:5000], strict=True
    ):
        age = age_on(dob.year, dob.month, dob.day, CENSUS_DAY)
        assert age in (group + 4, group + 5)


def test_attainment8_only_in_year_11(school: pa.Table) -> None:
    year_11 = pc.equal(school["year_group"], 11)
    assert pc.all(pc.is_valid(school["attainment8"].filter(year_11))).as_py()
    assert pc.all(pc.is_null(school["attainment8"].filter(pc.invert(year_11)))).as_py()
    scores = school["attainment8"].filter(year_11)
    assert pc.min(scores).as_py() >= 0 and pc.max(scores).as_py() <= 90
    assert 35 <= pc.mean(scores).as_py() <= 55


def test_sessions_are_whole_and_absence_within_possible(school: pa.Table) -> None:
    possible, absent = school["sessions_possible"], school["sessions_absent"]
    assert pc.all(pc.less_equal(absent, possible)).as_py()
    assert pc.min(absent).as_py() >= 0 and pc.min(possible).as_py() > 0
    rate = pc.sum(absent).as_py() / pc.sum(possible).as_py()
    assert 0.03 <= rate <= 0.08


def test_sen_type_only_with_sen(school: pa.Table) -> None:
    no_sen = pc.equal(school["sen_provision"], "N")
    assert pc.all(pc.is_null(school["sen_type_1"].filter(no_sen))).as_py()
    assert pc.all(pc.is_valid(school["sen_type_1"].filter(pc.invert(no_sen)))).as_py()


def test_la_sizes_proportional_and_varied(clean_run: SynthResult, school: pa.Table) -> None:
    sizes = Counter(school["la"].to_pylist())
    assert len(sizes) >= 150  # the two tiny LAs may round to nobody at this size
    ordinary = [n for la, n in sizes.items() if la not in ("201", "420")]
    assert max(ordinary) / min(ordinary) > 10
    # the largest LA holds about 250k of a national 8 million
    assert 0.02 <= max(ordinary) / school.num_rows <= 0.045
    assert sum(clean_run.school_pupils_by_region.values()) == school.num_rows


def test_about_half_of_ap_pupils_are_in_their_las_school_census(
    clean_run: SynthResult, clean_records: list[Record], school: pa.Table
) -> None:
    in_school = dict(zip(school["upn"].to_pylist(), school["la"].to_pylist(), strict=True))
    linked = [r for r in clean_records if r["upn"] in in_school]
    assert 0.45 <= len(linked) / len(clean_records) <= 0.55
    assert len(linked) == clean_run.linked_pupils
    assert all(in_school[r["upn"]] == r["return_la"] for r in linked)


def test_linked_pupils_keep_their_identity(clean_records: list[Record], school: pa.Table) -> None:
    ap_upns = pa.array([r["upn"] for r in clean_records])
    rows = {row["upn"]: row for row in school.filter(pc.is_in(school["upn"], ap_upns)).to_pylist()}
    linked = [r for r in clean_records if r["upn"] in rows]
    assert len(linked) > len(clean_records) * 0.45
    for record in linked:
        row = rows[record["upn"]]
        assert (row["surname"], row["forename"], row["dob"].isoformat(), row["sex"]) == (
            record["surname"],
            record["forename"],
            record["dob"],
            record["sex"],
        )
        assert (row["postcode"], row["sen_provision"]) == (
            record["postcode"],
            record["sen_provision"],
        )
