"""Date rules: well-formed dates, a plausible age on census day, and a placement that
is the right way round and touches the census period.

A pupil who was in AP at any time in the census period is in scope; a placement
wholly outside it is reported, never silently dropped, so the officer decides.
"""

from __future__ import annotations

import numpy as np

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import Hits, RecordContext, Rule, day_number, hits_where

DATE_FIELDS = ("dob", "placement_start", "placement_end")

NOT_A_DATE = Rule(
    "AP-DAT-01",
    Severity.ERROR,
    "The date is not a real date written YYYY-MM-DD",
    "write the date as year-month-day (YYYY-MM-DD)",
)
AGE_OUT_OF_RANGE = Rule(
    "AP-AGE-01",
    Severity.ERROR,
    "The pupil's age on census day is outside the plausible range",
    "check the date of birth",
)
END_BEFORE_START = Rule(
    "AP-PLC-01",
    Severity.ERROR,
    "The placement leaving date is before its entry date",
    "correct the entry or leaving date",
)
OUTSIDE_PERIOD = Rule(
    "AP-PLC-02",
    Severity.ERROR,
    "The placement does not overlap the census period (it ended before the period "
    "began, or began after census day)",
    "remove the record if the pupil was not in AP during the period, or correct the dates",
)

RULES = (NOT_A_DATE, AGE_OUT_OF_RANGE, END_BEFORE_START, OUTSIDE_PERIOD)


def check_date_formats(context: RecordContext) -> list[Hits]:
    hits: list[Hits] = []
    for field in DATE_FIELDS:
        malformed = context.present(field) & ~context.dates(field).well_formed
        hits += hits_where(NOT_A_DATE, field, malformed)
    return hits


def check_age(context: RecordContext) -> list[Hits]:
    age, known = context.age_on_census_day
    outside = known & ((age < context.min_age) | (age > context.max_age))
    rows = np.flatnonzero(outside)
    if not rows.size:
        return []
    detail = f"The plausible range is {context.min_age} to {context.max_age}."
    return [Hits(AGE_OUT_OF_RANGE, "dob", rows, (detail,) * rows.size)]


def check_placement_dates(context: RecordContext) -> list[Hits]:
    start, end = context.dates("placement_start"), context.dates("placement_end")
    both = start.well_formed & end.well_formed
    began_late = start.well_formed & (start.days > day_number(context.period.end))
    ended_early = end.well_formed & (end.days < day_number(context.period.start))
    return [
        *hits_where(END_BEFORE_START, "placement_end", both & (end.days < start.days)),
        *hits_where(OUTSIDE_PERIOD, "placement_start", began_late),
        *hits_where(OUTSIDE_PERIOD, "placement_end", ended_early & ~began_late),
    ]
