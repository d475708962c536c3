"""Fake identities for many pupils at once: names, dates of birth, addresses, postcodes.

All functions take numpy arrays (one element per pupil) and return numpy string or
datetime64[D] arrays; nothing here loops over pupils in Python.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache

import numpy as np

from safepupil.domain.local_authorities import LocalAuthority
from safepupil.synth.streams import pick, uniform_days
from safepupil.synth.wordlists import postcode_areas, rank_weights, word_list

# Children start school in the September after they turn four; September is month 9.
SCHOOL_YEAR_FIRST_MONTH = 9
RECEPTION_AGE_ON_31_AUGUST = 4
# The letters of the last two places of an inward code (the "4AB" of "LS12 4AB"):
# never C, I, K, M, O or V.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
DISTRICTS_PER_LA = 8
HIGHEST_FIRST_DISTRICT = 20
HIGHEST_HOUSE_NUMBER = 180
FLAT_SHARE = 0.12
HIGHEST_FLAT_NUMBER = 24
LOCALITY_SHARE = 0.6

FEMALE = "F"
MALE = "M"


# ---- names -------------------------------------------------------------------------


def _draw_words(rng: np.random.Generator, filename: str, size: int) -> np.ndarray:
    words = np.array(word_list(filename))
    chosen: np.ndarray = words[pick(rng, rank_weights(len(words)), size)]
    return chosen


def draw_forenames(rng: np.random.Generator, sex: np.ndarray) -> np.ndarray:
    """A forename per pupil from the list for their sex (either list when sex is unknown)."""
    girls = _draw_words(rng, "forenames_female.txt", len(sex))
    boys = _draw_words(rng, "forenames_male.txt", len(sex))
    coin = rng.integers(0, 2, len(sex)).astype(bool)
    use_girls = (sex == FEMALE) | ((sex != MALE) & coin)
    return np.where(use_girls, girls, boys)


def draw_surnames(rng: np.random.Generator, size: int) -> np.ndarray:
    return _draw_words(rng, "surnames.txt", size)


# ---- dates -------------------------------------------------------------------------


def _years_before(day: dt.date, years: int) -> dt.date:
    # Census days fall in January, never on 29 February, so replace() is safe.
    return day.replace(year=day.year - years)


def dob_for_age(rng: np.random.Generator, age: np.ndarray, on: dt.date) -> np.ndarray:
    """A date of birth per pupil giving exactly ``age`` whole years on ``on``."""
    latest = np.empty(len(age), dtype="datetime64[D]")
    earliest = np.empty(len(age), dtype="datetime64[D]")
    for value in np.unique(age):
        chosen = age == value
        latest[chosen] = np.datetime64(_years_before(on, int(value)))
        earliest[chosen] = np.datetime64(_years_before(on, int(value) + 1) + dt.timedelta(days=1))
    return uniform_days(rng, earliest, latest)


def school_year_of_birth(dob: np.ndarray) -> np.ndarray:
    """The calendar year in which the pupil's birth cohort's school year began (1 September)."""
    year = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dob.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return year - (month < SCHOOL_YEAR_FIRST_MONTH)


def year_group(dob: np.ndarray, census_year: int) -> np.ndarray:
    """National curriculum year on census day: 0 for Reception, 1..11, negative for nursery."""
    academic_year_start = census_year - 1
    return academic_year_start - RECEPTION_AGE_ON_31_AUGUST - 1 - school_year_of_birth(dob)


def dob_for_year_group(rng: np.random.Generator, group: np.ndarray, census_year: int) -> np.ndarray:
    """A date of birth per pupil inside the birth cohort of their year group."""
    cohort = census_year - 1 - RECEPTION_AGE_ON_31_AUGUST - 1 - group
    first = (cohort - 1970).astype("datetime64[Y]").astype("datetime64[M]") + 8  # 1 September
    last = (first + 12).astype("datetime64[D]") - 1  # 31 August the next year
    return uniform_days(rng, first.astype("datetime64[D]"), last)


def age_on(dob: np.ndarray, on: dt.date) -> np.ndarray:
    """Whole years of age on ``on`` per pupil."""
    year = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dob.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (dob - dob.astype("datetime64[M]")).astype(np.int64) + 1
    had_birthday = month * 100 + day <= on.month * 100 + on.day
    age: np.ndarray = on.year - year - (~had_birthday).astype(np.int64)
    return age


def iso_dates(days: np.ndarray) -> np.ndarray:
    return np.datetime_as_string(days, unit="D")


# ---- addresses and postcodes ---------------------------------------------------------


def town_name(la: LocalAuthority) -> str:
    """The town line of an address: "Bristol, City of" -> "Bristol"."""
    return la.name.split(", ")[0]


def la_outward_codes(rng: np.random.Generator, las: Sequence[LocalAuthority]) -> np.ndarray:
    """A (LAs x DISTRICTS_PER_LA) array of outward codes ("LS12") plausible for each LA."""
    areas = postcode_areas()
    rows = []
    for la in las:
        area = str(rng.choice(np.array(areas[la.region])))
        first = int(rng.integers(1, HIGHEST_FIRST_DISTRICT + 1))
        rows.append([f"{area}{first + k}" for k in range(DISTRICTS_PER_LA)])
    return np.array(rows)


@cache
def _inward_codes() -> np.ndarray:
    return np.array(
        [f"{d}{a}{b}" for d in range(10) for a in INWARD_LETTERS for b in INWARD_LETTERS]
    )


def draw_postcodes(
    rng: np.random.Generator, outward_codes: np.ndarray, la_index: np.ndarray
) -> np.ndarray:
    """A postcode per pupil in their LA's districts: outward code, space, inward code."""
    outward = outward_codes[la_index, rng.integers(0, outward_codes.shape[1], len(la_index))]
    inward = _inward_codes()[rng.integers(0, len(_inward_codes()), len(la_index))]
    return _join(outward, " ", inward)


def _numbers(rng: np.random.Generator, highest: int, size: int) -> np.ndarray:
    return rng.integers(1, highest + 1, size).astype(str)


def _join(*parts: np.ndarray | str) -> np.ndarray:
    joined = parts[0]
    for part in parts[1:]:
        joined = np.strings.add(joined, part)
    return np.asarray(joined)


def draw_addresses(rng: np.random.Generator, towns: np.ndarray) -> np.ndarray:
    """Address lines joined by ", ": [flat,] house and street, [locality,] town."""
    size = len(towns)
    street = _join(
        _numbers(rng, HIGHEST_HOUSE_NUMBER, size),
        " ",
        _draw_words(rng, "streets.txt", size),
        " ",
        _draw_words(rng, "street_kinds.txt", size),
    )
    flat = _join("Flat ", _numbers(rng, HIGHEST_FLAT_NUMBER, size), ", ")
    lines = np.where(rng.random(size) < FLAT_SHARE, _join(flat, street), street)
    localities = np.array(word_list("localities.txt"))
    locality = _join(", ", localities[rng.integers(0, len(localities), size)])
    lines = np.where(rng.random(size) < LOCALITY_SHARE, _join(lines, locality), lines)
    return _join(lines, ", ", towns)
