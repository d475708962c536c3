"""The AP census: every LA's pupils, drawn with the shape AP is known to have.

Mostly boys, ages peaking at 15, about four in five with an EHC plan or statement,
SEMH and autism the commonest needs, and a few pupils placed for the most sensitive
reasons (pregnancy, mental or physical health, young offenders).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from safepupil.collection.model import RECORD_COLUMNS
from safepupil.domain.census_calendar import census_day, census_period
from safepupil.synth.frame import LaFrame
from safepupil.synth.identities import (
    age_on,
    dob_for_age,
    draw_addresses,
    draw_forenames,
    draw_postcodes,
    draw_surnames,
    iso_dates,
    school_year_of_birth,
    year_group,
)
from safepupil.synth.marginals import marginal
from safepupil.synth.placements import (
    PROVIDER_SETTING_TYPE,
    PROVIDER_UKPRN,
    PROVIDER_URN,
    draw_placement_dates,
    draw_providers,
)
from safepupil.synth.streams import pick, random_stream
from safepupil.synth.upns import SLOTS_PER_LA, make_upns, slot_parts

POPULATION = "ap"
# Relative number of AP pupils by age on census day: mostly 13-15, peaking at 15.
AP_AGE_WEIGHTS = {
    4: 0.1, 5: 0.3, 6: 0.5, 7: 0.8, 8: 1.1, 9: 1.5, 10: 2.0, 11: 3.0,
    12: 5.5, 13: 11.0, 14: 20.0, 15: 30.0, 16: 12.0, 17: 4.0, 18: 1.5, 19: 0.5,
}  # fmt: skip
NO_SEN_PROVISION = "N"  # the SEN provision code for pupils with no SEN (and so no SEN type)
ULN_MIN_AGE = 14  # learners get a ULN from 14
ULN_SHARE = 0.85  # of those old enough
FIRST_ULN, LAST_ULN = 1_000_000_000, 9_999_999_999
UPRN_SHARE = 0.75
FIRST_UPRN, LAST_UPRN = 100_000_000_000, 100_099_999_999
MIDDLE_NAME_SHARE = 0.45
SECOND_MIDDLE_NAME_SHARE = 0.1  # of those with a middle name
PREFERRED_SURNAME_SHARE = 0.03
SECONDARY_NEED_SHARE = 0.4  # of those with SEN
# UPNs are issued on entry to Reception (the September five years after the birth
# cohort's); some pupils arrive in England later and get theirs later.
RECEPTION_YEARS_AFTER_COHORT = 5
LATE_UPN_SHARE = 0.1
LATE_UPN_MAX_YEARS = 6
# Share of each LA's AP pupils who also appear in its school census (of school age only).
LINKED_SHARE = 0.5
SCHOOL_YEAR_GROUPS = (0, 11)  # Reception to Year 11


@dataclass(frozen=True)
class ApCensus:
    year: int
    frame: LaFrame
    records: pa.Table  # RECORD_COLUMNS, grouped by LA in frame order
    linked: np.ndarray  # bool per record: this pupil is also in the school census of the LA

    def la_records(self, position: int) -> pa.Table:
        """The records of the LA at ``position`` in the frame, in file order."""
        start = int(self.frame.ap_offsets[position])
        return self.records.slice(start, int(self.frame.ap_counts[position]))

    def la_linked(self, position: int) -> pa.Table:
        start = int(self.frame.ap_offsets[position])
        mask = self.linked[start : start + int(self.frame.ap_counts[position])]
        return self.la_records(position).filter(pa.array(mask))


def generate_ap_census(frame: LaFrame, year: int, seed: int) -> ApCensus:
    rng = random_stream(seed, POPULATION)
    day = census_day(year)
    la_index = np.repeat(np.arange(len(frame.las)), frame.ap_counts)
    size = len(la_index)
    sex = marginal("sex", POPULATION, day).draw(rng, size)
    ages = np.array(list(AP_AGE_WEIGHTS))
    age = ages[pick(rng, np.array(list(AP_AGE_WEIGHTS.values())), size)]
    dob = dob_for_age(rng, age, day)
    columns = {
        "upn": _present(_draw_upns(rng, frame, la_index, dob, year)),
        **_identity_columns(rng, frame, la_index, sex, age),
        "dob": _present(iso_dates(dob)),
        "sex": _present(sex),
        "ethnicity": _present(marginal("ethnicity", POPULATION, day).draw(rng, size)),
        **_sen_columns(rng, size, day),
        **_placement_columns(rng, frame, la_index, sex, dob, year),
    }
    table = pa.table({name: columns[name] for name in RECORD_COLUMNS})
    linked = _choose_linked(rng, frame, la_index, dob, year)
    return ApCensus(year=year, frame=frame, records=table, linked=linked)


def _present(values: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """A string column; null where ``present`` is False."""
    mask = None if present is None else ~present
    return pa.array(values, type=pa.string(), mask=mask)


def _draw_upns(
    rng: np.random.Generator, frame: LaFrame, la_index: np.ndarray, dob: np.ndarray, year: int
) -> np.ndarray:
    # AP pupils number their LA's UPN slots from the top, school census pupils from the
    # bottom, so the two never collide.
    rank = np.arange(len(la_index)) - frame.ap_offsets[la_index]
    establishment, serial = slot_parts(SLOTS_PER_LA - 1 - rank, frame.upn_offsets[la_index])
    return make_upns(frame.numbers[la_index], establishment, issue_years(rng, dob, year), serial)


def issue_years(rng: np.random.Generator, dob: np.ndarray, census_year: int) -> np.ndarray:
    """The year each pupil's UPN was issued: their Reception year, later for some."""
    size = len(dob)
    late = (rng.random(size) < LATE_UPN_SHARE) * rng.integers(1, LATE_UPN_MAX_YEARS + 1, size)
    issued = school_year_of_birth(dob) + RECEPTION_YEARS_AFTER_COHORT + late
    return np.minimum(issued, census_year)


def _identity_columns(
    rng: np.random.Generator,
    frame: LaFrame,
    la_index: np.ndarray,
    sex: np.ndarray,
    age: np.ndarray,
) -> dict[str, pa.Array]:
    size = len(la_index)
    middle = draw_forenames(rng, sex)
    second = draw_forenames(rng, sex)
    two_middle = rng.random(size) < SECOND_MIDDLE_NAME_SHARE
    middle = np.where(two_middle, np.strings.add(np.strings.add(middle, " "), second), middle)
    uln = rng.integers(FIRST_ULN, LAST_ULN + 1, size).astype(str)
    uprn = rng.integers(FIRST_UPRN, LAST_UPRN + 1, size).astype(str)
    return {
        "uln": _present(uln, (age >= ULN_MIN_AGE) & (rng.random(size) < ULN_SHARE)),
        "surname": _present(draw_surnames(rng, size)),
        "forename": _present(draw_forenames(rng, sex)),
        "middle_names": _present(middle, rng.random(size) < MIDDLE_NAME_SHARE),
        "preferred_surname": _present(
            draw_surnames(rng, size), rng.random(size) < PREFERRED_SURNAME_SHARE
        ),
        "address": _present(draw_addresses(rng, frame.towns[la_index])),
        "postcode": _present(draw_postcodes(rng, frame.outward_codes, la_index)),
        "uprn": _present(uprn, rng.random(size) < UPRN_SHARE),
    }


def _sen_columns(rng: np.random.Generator, size: int, day: dt.date) -> dict[str, pa.Array]:
    provision = marginal("sen_provision", POPULATION, day).draw(rng, size)
    needs = marginal("sen_type", POPULATION, day)
    first, second = needs.draw(rng, size), needs.draw(rng, size)
    has_sen = provision != NO_SEN_PROVISION
    has_second = has_sen & (rng.random(size) < SECONDARY_NEED_SHARE) & (second != first)
    return {
        "sen_provision": _present(provision),
        "sen_type_1": _present(first, has_sen),
        "sen_type_2": _present(second, has_second),
    }


def _placement_columns(
    rng: np.random.Generator,
    frame: LaFrame,
    la_index: np.ndarray,
    sex: np.ndarray,
    dob: np.ndarray,
    year: int,
) -> dict[str, pa.Array]:
    day = census_day(year)
    age = age_on(dob, day)
    dates = draw_placement_dates(rng, dob, census_period(year))
    providers = draw_providers(rng, la_index, frame.ap_counts)
    setting = marginal("ap_setting_type", POPULATION, day).draw(rng, len(la_index), age=age)
    reason = marginal("placement_reason", POPULATION, day).draw(
        rng, len(la_index), sex=sex, age=age
    )
    la_codes = np.array([la.code for la in frame.las])[la_index]
    return {
        "placement_la": _present(la_codes),
        "urn": _present(providers.urn.astype(str), providers.kind == PROVIDER_URN),
        "ukprn": _present(providers.ukprn.astype(str), providers.kind == PROVIDER_UKPRN),
        "ap_setting_type": _present(setting, providers.kind == PROVIDER_SETTING_TYPE),
        "placement_reason": _present(reason),
        "placement_start": _present(iso_dates(dates.start)),
        "placement_end": _present(iso_dates(dates.end), ~np.isnat(dates.end)),
    }


def _choose_linked(
    rng: np.random.Generator, frame: LaFrame, la_index: np.ndarray, dob: np.ndarray, year: int
) -> np.ndarray:
    """About LINKED_SHARE of each LA's pupils, all of school age, picked at random."""
    group = year_group(dob, year)
    low, high = SCHOOL_YEAR_GROUPS
    eligible = (group >= low) & (group <= high)
    keys = np.where(eligible, rng.random(len(la_index)), np.inf)
    order = np.lexsort((keys, la_index))
    rank = np.empty(len(la_index), dtype=np.int64)
    rank[order] = np.arange(len(la_index)) - frame.ap_offsets[la_index[order]]
    wanted = np.round(frame.ap_counts * LINKED_SHARE).astype(np.int64)
    linked: np.ndarray = eligible & (rank < wanted[la_index])
    return linked
