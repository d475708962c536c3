"""Small datasets for the spec tests, with hand-worked expectations in mind.

AP census 2018 (several records per pupil: pupil 2 was placed by two LAs). Ages on
2018-01-18 from the year-month of birth: p1 13, p2 14, p3 12, p4 15, p5 9; at
2017-08-31 (the age and age_band dimensions): p1 13, p2 13, p3 11, p4 14, p5 9.
LAs 201 and 202 are in London, 873 in the East of England.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

D = dt.date

AP_ROWS: list[dict[str, Any]] = [
    {
        "pupil_id": 1,
        "pupil_token": "t1",
        "la": "201",
        "year": 2018,
        "sex": "F",
        "sen_provision": "E",
        "sen_type_1": "ASD",
        "birth_year_month": "2004-03",
        "placement_reason": "PEX",
        "placement_reason_withheld": False,
        "placement_start": D(2017, 9, 4),
        "placement_end": None,
    },
    {
        "pupil_id": 2,
        "pupil_token": "t2",
        "la": "202",
        "year": 2018,
        "sex": "M",
        "sen_provision": "E",
        "sen_type_1": "SEMH",
        "birth_year_month": "2003-11",
        "placement_reason": "SUS",
        "placement_reason_withheld": False,
        "placement_start": D(2017, 10, 2),
        "placement_end": D(2017, 12, 15),
    },
    {
        "pupil_id": 2,
        "pupil_token": "t2",
        "la": "873",
        "year": 2018,
        "sex": "M",
        "sen_provision": "E",
        "sen_type_1": "SEMH",
        "birth_year_month": "2003-11",
        "placement_reason": None,
        "placement_reason_withheld": True,
        "placement_start": D(2018, 1, 8),
        "placement_end": None,
    },
    {
        "pupil_id": 3,
        "pupil_token": "t3",
        "la": "873",
        "year": 2018,
        "sex": "F",
        "sen_provision": "N",
        "sen_type_1": None,
        "birth_year_month": "2006-01",
        "placement_reason": "PEX",
        "placement_reason_withheld": False,
        "placement_start": D(2016, 12, 1),
        "placement_end": D(2017, 2, 1),
    },
    {
        "pupil_id": 4,
        "pupil_token": "t4",
        "la": "202",
        "year": 2018,
        "sex": "M",
        "sen_provision": "K",
        "sen_type_1": "MLD",
        "birth_year_month": "2002-09",
        "placement_reason": "NSP",
        "placement_reason_withheld": False,
        "placement_start": D(2017, 11, 20),
        "placement_end": None,
    },
    {
        "pupil_id": 5,
        "pupil_token": "t5",
        "la": "202",
        "year": 2018,
        "sex": "U",
        "sen_provision": "K",
        "sen_type_1": "SEMH",
        "birth_year_month": "2008-05",
        "placement_reason": "OTH",
        "placement_reason_withheld": False,
        "placement_start": D(2017, 6, 1),
        "placement_end": D(2017, 7, 20),
    },
]

_SCHOOL_COLUMNS = (
    "pupil_id",
    "la",
    "sex",
    "sen_provision",
    "sen_type_1",
    "fsm",
    "year_group",
    "sessions_possible",
    "sessions_absent",
    "attainment8",
    "birth_year_month",
)
_SCHOOL_VALUES = [
    (10, "201", "F", "N", None, False, 11, 120, 10, 50.5, "2001-10"),
    (11, "201", "F", "K", "SPLD", True, 11, 120, 30, 40.0, "2002-05"),
    (12, "201", "M", "E", "ASD", False, 7, 118, 0, None, "2005-12"),
    (13, "202", "M", "N", None, True, 7, 120, 60, None, "2005-09"),
    (14, "202", "F", "N", None, False, 9, 110, None, None, "2004-02"),
    (15, "873", "M", "K", "SEMH", True, 11, 120, 100, None, "2002-01"),
    (16, "873", "M", "K", "SEMH", False, 10, 120, 5, 30.25, "2003-03"),
    (17, "202", "F", "E", "PD", True, 8, 100, 20, None, "2005-01"),
]
SCHOOL_ROWS: list[dict[str, Any]] = [
    {
        **dict(zip(_SCHOOL_COLUMNS, values, strict=True)),
        "pupil_token": f"s{values[0]}",
        "year": 2018,
        "ethnicity": "WBRI",
        "postcode_outward": "AB1",
    }
    for values in _SCHOOL_VALUES
]
