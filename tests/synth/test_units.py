"""The building blocks: UPNs, LA sizes, dates, postcodes, marginals, atomic files."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepupil.domain import census_calendar
from safepupil.domain.census_calendar import census_day
from safepupil.domain.local_authorities import local_authorities_on
from safepupil.domain.upn import make_upn
from safepupil.errors import ConfigError, UserError
from safepupil.synth.files import atomic_path, prepare_folder, write_atomically
from safepupil.synth.identities import (
    age_on,
    dob_for_age,
    dob_for_year_group,
    draw_addresses,
    draw_postcodes,
    la_outward_codes,
    year_group,
)
from safepupil.synth.la_sizes import allocate, school_shares
from safepupil.synth.marginals import marginal
from safepupil.synth.streams import random_stream, top_up_weights
from safepupil.synth.upns import SLOTS_PER_LA, make_upns, slot_parts
from safepupil.synth.wordlists import word_list

DAY = census_day(2018)
LAS = local_authorities_on(DAY)


@settings(max_examples=200, deadline=None)
@given(
    la=st.sampled_from([int(la.code) for la in LAS]),
    establishment=st.integers(2000, 4999),
    year=st.integers(2000, 2030),
    serial=st.integers(0, 999),
)
def test_vectorised_upns_equal_the_domains(
    la: int, establishment: int, year: int, serial: int
) -> None:
    (upn,) = make_upns(
        np.array([la]), np.array([establishment]), np.array([year]), np.array([serial])
    )
    assert upn == make_upn(str(la), str(establishment), year, f"{serial:03d}")


def test_upn_slots_never_collide() -> None:
    slots = np.arange(0, SLOTS_PER_LA, 7)
    establishment, serial = slot_parts(slots, offset=123_456)
    keys = establishment * 1000 + serial
    assert len(np.unique(keys)) == len(slots)
    assert establishment.min() >= 2000 and establishment.max() <= 4999


@settings(max_examples=100, deadline=None)
@given(
    shares=st.lists(st.floats(0.001, 100.0), min_size=1, max_size=160),
    extra=st.integers(0, 100_000),
    minimum=st.integers(0, 3),
)
def test_allocate_sums_exactly_and_respects_the_minimum(
    shares: list[float], extra: int, minimum: int
) -> None:
    total = minimum * len(shares) + extra
    counts = allocate(total, np.array(shares), minimum=minimum)
    assert counts.sum() == total
    assert counts.min() >= minimum
    exact = np.array(shares) / sum(shares) * extra + minimum
    assert np.all(np.abs(counts - exact) < 1 + 1e-9)


@pytest.mark.parametrize(
    ("total", "shares", "minimum", "expected"),
    [
        (10, [1, 1], 0, [5, 5]),
        (3, [1, 1], 0, [2, 1]),  # ties go to the earlier LA
        (3, [1, 100], 1, [1, 2]),  # everyone has their minimum first
        (152, [1] * 152, 1, [1] * 152),
    ],
)
def test_allocate_table(total: int, shares: list[int], minimum: int, expected: list[int]) -> None:
    assert allocate(total, np.array(shares, dtype=float), minimum=minimum).tolist() == expected


def test_school_shares_vary_tenfold_with_two_tiny_las() -> None:
    shares = school_shares(LAS, random_stream(2018, "test"))
    codes = [la.code for la in LAS]
    ordinary = np.array([s for c, s in zip(codes, shares, strict=True) if c not in ("201", "420")])
    assert ordinary.max() / ordinary.min() > 10
    assert shares[codes.index("201")] < ordinary.min() / 10
    assert 200_000 < ordinary.max() * 8_000_000 < 350_000


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 10_000), year=st.integers(2016, 2025))
def test_dob_for_age_gives_that_age(seed: int, year: int) -> None:
    day = census_day(year)
    ages = np.arange(1, 26).repeat(20)
    dobs = dob_for_age(random_stream(seed, "dob"), ages, day)
    assert (age_on(dobs, day) == ages).all()
    for dob, age in zip(dobs[::37].tolist(), ages[::37], strict=True):
        assert census_calendar.age_on(dob.year, dob.month, dob.day, day) == age


def test_year_group_cohorts_run_september_to_august() -> None:
    groups = np.arange(12).repeat(50)
    dobs = dob_for_year_group(random_stream(1, "yg"), groups, 2018)
    assert (year_group(dobs, 2018) == groups).all()
    reception = dobs[groups == 0]
    assert reception.min() >= np.datetime64("2012-09-01")
    assert reception.max() <= np.datetime64("2013-08-31")


@pytest.mark.parametrize(
    ("dob", "group"),
    [
        ("2012-09-01", 0),
        ("2013-08-31", 0),
        ("2012-08-31", 1),
        ("2001-09-01", 11),
        ("2001-08-31", 12),
    ],
)
def test_year_group_boundaries(dob: str, group: int) -> None:
    assert year_group(np.array([dob], dtype="datetime64[D]"), 2018)[0] == group


def test_postcodes_and_addresses_have_the_uk_shape() -> None:
    rng = random_stream(3, "places")
    outward = la_outward_codes(rng, LAS)
    postcodes = draw_postcodes(rng, outward, rng.integers(0, len(LAS), 2000))
    assert all(re.fullmatch(r"[A-Z]{1,2}[0-9]{1,2} [0-9][ABD-HJLNP-UW-Z]{2}", p) for p in postcodes)
    addresses = draw_addresses(rng, np.array(["Leeds"] * 500))
    assert all(2 <= len(a.split(", ")) <= 4 and a.endswith(", Leeds") for a in addresses)


@pytest.mark.parametrize(
    "filename",
    ["forenames_female.txt", "forenames_male.txt", "surnames.txt", "streets.txt", "localities.txt"],
)
def test_word_lists_are_long_and_without_repeats(filename: str) -> None:
    words = word_list(filename)
    assert len(words) == len(set(words)) >= 45
    assert all(", " not in word for word in words)  # would split an address line


def test_restricted_codes_go_only_to_those_who_qualify() -> None:
    reasons = marginal("placement_reason", "ap", DAY)
    size = 20_000
    rng = random_stream(5, "reasons")
    sex = np.where(rng.random(size) < 0.5, "F", "M")
    age = rng.integers(4, 20, size)
    drawn = reasons.draw(rng, size, sex=sex, age=age)
    assert set(sex[drawn == "PRG"]) == {"F"} and age[drawn == "PRG"].min() >= 13
    assert age[drawn == "YOF"].min() >= 10


def test_codes_not_valid_on_census_day_are_never_drawn() -> None:
    assert "S" in marginal("sen_provision", "ap", DAY).codes
    assert "S" not in marginal("sen_provision", "ap", census_day(2019)).codes  # ended March 2018
    assert {"A", "P"}.isdisjoint(marginal("sen_provision", "school", DAY).codes)


def test_unknown_population_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="no sex codes"):
        marginal("sex", "martians", DAY)


def test_top_up_weights_restore_the_marginal() -> None:
    present = np.array([70, 30])  # a group already 70% one way
    weights = top_up_weights(np.array([0.5, 0.5]), present, 100)
    # 100 more draws should bring the 200 to 100/100: 30 and 70
    assert np.allclose(weights, [30, 70])


def test_atomic_write_replaces_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "return.xml"
    target.write_bytes(b"old")
    write_atomically(target, b"new")
    assert target.read_bytes() == b"new"
    with pytest.raises(RuntimeError), atomic_path(target) as temporary:
        temporary.write_bytes(b"half")
        raise RuntimeError("interrupted")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["return.xml"]


def test_output_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        prepare_folder(blocker)
    prepare_folder(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()
