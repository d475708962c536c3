"""The shape of the clean AP census: marginals, dates, identifiers (with tolerances)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from safepupil.domain.census_calendar import age_on, census_period
from safepupil.synth import SynthResult
from tests.synth.readback import Record

CENSUS_DAY = dt.date(2018, 1, 18)
PERIOD = census_period(2018)
POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9]{1,2} [0-9][ABD-HJLNP-UW-Z]{2}$")
SENSITIVE_REASONS = ("PRG", "MHN", "YOF", "PHY")


def _age(record: Record) -> int:
    dob = dt.date.fromisoformat(record["dob"] or "")
    return age_on(dob.year, dob.month, dob.day, CENSUS_DAY)


def _share(records: list[Record], test: object) -> float:
    return sum(1 for r in records if test(r)) / len(records)  # type: ignore[operator]


def test_mostly_boys(clean_records: list[Record]) -> None:
    assert 0.66 <= _share(clean_records, lambda r: r["sex"] == "M") <= 0.74


def test_ages_peak_at_15_mostly_13_to_15(clean_records: list[Record]) -> None:
    ages = Counter(_age(r) for r in clean_records)
    assert ages.most_common(1)[0][0] == 15
    assert min(ages) >= 4 and max(ages) <= 19
    assert 0.55 <= sum(ages[a] for a in (13, 14, 15)) / len(clean_records) <= 0.75


def test_about_four_in_five_have_a_plan_or_statement(clean_records: list[Record]) -> None:
    assert 0.75 <= _share(clean_records, lambda r: r["sen_provision"] in ("E", "S")) <= 0.85
    assert not any(r["sen_provision"] in ("A", "P") for r in clean_records)


def test_semh_and_asd_are_the_commonest_needs(clean_records: list[Record]) -> None:
    needs = Counter(r["sen_type_1"] for r in clean_records if r["sen_type_1"])
    assert {code for code, _ in needs.most_common(2)} == {"SEMH", "ASD"}


def test_sen_types_only_with_sen_and_never_twice(clean_records: list[Record]) -> None:
    for record in clean_records:
        if record["sen_provision"] == "N":
            assert record["sen_type_1"] is None and record["sen_type_2"] is None
        else:
            assert record["sen_type_1"] is not None
        assert record["sen_type_2"] is None or record["sen_type_2"] != record["sen_type_1"]
    assert _share(clean_records, lambda r: r["sen_type_2"] is not None) > 0.2


@pytest.mark.parametrize("reason", SENSITIVE_REASONS)
def test_sensitive_reasons_are_rare_but_present(clean_records: list[Record], reason: str) -> None:
    share = _share(clean_records, lambda r: r["placement_reason"] == reason)
    assert 0.001 < share <= 0.05


def test_pregnancy_only_for_girls_of_13_and_over(clean_records: list[Record]) -> None:
    pregnant = [r for r in clean_records if r["placement_reason"] == "PRG"]
    assert pregnant and all(r["sex"] == "F" and _age(r) >= 13 for r in pregnant)


def test_young_offenders_are_at_least_ten(clean_records: list[Record]) -> None:
    assert all(_age(r) >= 10 for r in clean_records if r["placement_reason"] == "YOF")


def test_uln_only_from_14(clean_records: list[Record]) -> None:
    with_uln = [r for r in clean_records if r["uln"]]
    assert all(_age(r) >= 14 and re.fullmatch(r"[1-9][0-9]{9}", r["uln"] or "") for r in with_uln)
    old_enough = [r for r in clean_records if _age(r) >= 14]
    assert _share(old_enough, lambda r: r["uln"] is not None) > 0.7


def test_provider_is_one_of_urn_ukprn_or_setting_type(clean_records: list[Record]) -> None:
    kinds = Counter(
        tuple(name for name in ("urn", "ukprn", "ap_setting_type") if r[name])
        for r in clean_records
    )
    assert set(kinds) == {("urn",), ("ukprn",), ("ap_setting_type",)}
    assert all(re.fullmatch(r"1[0-9]{5}", r["urn"]) for r in clean_records if r["urn"])


def test_placement_dates_spread_around_the_period(clean_records: list[Record]) -> None:
    starts = [dt.date.fromisoformat(r["placement_start"] or "") for r in clean_records]
    ends = [dt.date.fromisoformat(r["placement_end"]) for r in clean_records if r["placement_end"]]
    assert 0.15 <= sum(s < PERIOD.start for s in starts) / len(starts) <= 0.35
    assert sum(s in PERIOD for s in starts) / len(starts) >= 0.6
    assert 0.2 <= sum(e in PERIOD for e in ends) / len(clean_records) <= 0.4  # left during it
    assert 0.02 <= sum(e > PERIOD.end for e in ends) / len(clean_records) <= 0.08
    assert _share(clean_records, lambda r: r["placement_end"] is None) >= 0.5


def test_every_placement_overlaps_the_period(clean_records: list[Record]) -> None:
    for record in clean_records:
        start = dt.date.fromisoformat(record["placement_start"] or "")
        end = dt.date.fromisoformat(record["placement_end"]) if record["placement_end"] else None
        assert PERIOD.overlaps(start, end)
        assert end is None or end >= start


def test_names_addresses_and_postcodes_look_real(clean_records: list[Record]) -> None:
    assert len({r["forename"] for r in clean_records}) > 200
    assert len({r["surname"] for r in clean_records}) > 200
    assert all(POSTCODE.match(r["postcode"] or "") for r in clean_records)
    assert all(
        re.match(r"^(Flat [0-9]+, )?[0-9]+ [A-Z]", r["address"] or "") for r in clean_records
    )
    assert 0.3 <= _share(clean_records, lambda r: r["middle_names"] is not None) <= 0.6


def test_la_sizes_vary_by_more_than_ten_times(clean_run: SynthResult) -> None:
    sizes = clean_run.ap_pupils_by_la
    ordinary = [n for code, n in sizes.items() if code not in ("201", "420")]
    assert max(ordinary) / min(ordinary) > 10
    assert sizes["201"] <= 5 and sizes["420"] <= 5
    assert min(sizes.values()) >= 1


def test_result_counts_match_the_files(clean_run: SynthResult, clean_records: list[Record]) -> None:
    assert clean_run.placement_reasons == dict(
        Counter(r["placement_reason"] for r in clean_records)
    )
    by_region = sum(clean_run.ap_pupils_by_region.values())
    assert by_region == len(clean_records) == clean_run.ap_pupils
