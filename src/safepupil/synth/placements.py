"""AP placements: who provides them and when they start and end.

Every clean placement touches the census period (the AP census records the current
placement, or the last one of a pupil who left AP during the period). Some started long
before the period, most inside it (many at the start of the autumn term); some pupils
left during the period and a few have a planned end after census day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from safepupil.domain.census_calendar import CensusPeriod
from safepupil.synth.streams import pick, uniform_days

START_BEFORE_PERIOD_SHARE = 0.25
EARLIEST_START_DAYS_BEFORE_PERIOD = 3 * 365
AUTUMN_TERM_START_SHARE = 0.2  # of the starts inside the period
AUTUMN_TERM_FIRST_DAY = (9, 4)  # (month, day): term starts in the first week of September
AUTUMN_TERM_START_SPREAD_DAYS = 5
LEAVER_SHARE = 0.3
PLANNED_END_SHARE = 0.05
PLANNED_END_MAX_DAYS_AFTER_CENSUS = 180
YOUNGEST_AT_START_DAYS = 4 * 365 + 1  # nobody starts AP before turning four

# How the provider is identified: URN (registered school), else UKPRN, else a setting type.
PROVIDER_BY_URN_SHARE = 0.45
PROVIDER_BY_UKPRN_SHARE = 0.2
PUPILS_PER_PROVIDER = 12  # each LA uses a pool of providers, about one per 12 pupils
FIRST_URN, LAST_URN = 100_000, 149_999
FIRST_UKPRN, LAST_UKPRN = 10_000_000, 10_099_999


@dataclass(frozen=True)
class PlacementDates:
    start: np.ndarray  # datetime64[D]
    end: np.ndarray  # datetime64[D]; NaT while the placement goes on


def draw_placement_dates(
    rng: np.random.Generator, dob: np.ndarray, period: CensusPeriod
) -> PlacementDates:
    size = len(dob)
    first, last = np.datetime64(period.start), np.datetime64(period.end)
    before = rng.random(size) < START_BEFORE_PERIOD_SHARE
    start = np.where(
        before,
        uniform_days(
            rng, _full(size, first - EARLIEST_START_DAYS_BEFORE_PERIOD), _full(size, first - 1)
        ),
        uniform_days(rng, _full(size, first), _full(size, last)),
    )
    start = _cluster_at_autumn_term(rng, start, before, period)
    start = np.maximum(start, dob + np.timedelta64(YOUNGEST_AT_START_DAYS, "D"))
    return PlacementDates(start=start, end=_draw_ends(rng, start, period))


def _full(size: int, day: np.datetime64) -> np.ndarray:
    return np.full(size, day, dtype="datetime64[D]")


def _cluster_at_autumn_term(
    rng: np.random.Generator, start: np.ndarray, before: np.ndarray, period: CensusPeriod
) -> np.ndarray:
    month, day = AUTUMN_TERM_FIRST_DAY
    term = np.datetime64(dt.date(period.end.year - 1, month, day))
    spread = rng.integers(0, AUTUMN_TERM_START_SPREAD_DAYS, len(start)).astype("timedelta64[D]")
    at_term = ~before & (rng.random(len(start)) < AUTUMN_TERM_START_SHARE)
    return np.where(at_term, term + spread, start)


def _draw_ends(rng: np.random.Generator, start: np.ndarray, period: CensusPeriod) -> np.ndarray:
    size = len(start)
    first, last = np.datetime64(period.start), np.datetime64(period.end)
    roll = rng.random(size)
    leaver = roll < LEAVER_SHARE
    planned = (roll >= LEAVER_SHARE) & (roll < LEAVER_SHARE + PLANNED_END_SHARE)
    # A leaver's end falls inside the period and not before their start.
    left = uniform_days(rng, np.maximum(start, first), _full(size, last))
    later = last + rng.integers(1, PLANNED_END_MAX_DAYS_AFTER_CENSUS + 1, size).astype(
        "timedelta64[D]"
    )
    ongoing = _full(size, np.datetime64("NaT"))
    return np.where(leaver, left, np.where(planned, later, ongoing))


PROVIDER_URN, PROVIDER_UKPRN, PROVIDER_SETTING_TYPE = 0, 1, 2


@dataclass(frozen=True)
class Providers:
    kind: np.ndarray  # PROVIDER_URN, PROVIDER_UKPRN or PROVIDER_SETTING_TYPE
    urn: np.ndarray  # int
    ukprn: np.ndarray  # int


def draw_providers(
    rng: np.random.Generator, la_index: np.ndarray, pupils_per_la: np.ndarray
) -> Providers:
    """Which provider each pupil attends: one of their LA's pool of URNs or UKPRNs, else a type."""
    shares = np.array(
        [
            PROVIDER_BY_URN_SHARE,
            PROVIDER_BY_UKPRN_SHARE,
            1 - PROVIDER_BY_URN_SHARE - PROVIDER_BY_UKPRN_SHARE,
        ]
    )
    kind = pick(rng, shares, len(la_index))
    pool = np.maximum(1, -(-pupils_per_la // PUPILS_PER_PROVIDER))  # ceiling division
    urn_base = rng.integers(FIRST_URN, LAST_URN - pool + 1)
    ukprn_base = rng.integers(FIRST_UKPRN, LAST_UKPRN - pool + 1)
    within = (rng.random(len(la_index)) * pool[la_index]).astype(np.int64)
    return Providers(
        kind=kind, urn=urn_base[la_index] + within, ukprn=ukprn_base[la_index] + within
    )
