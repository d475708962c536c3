"""Queries on items that are each valid but do not fit together. A query does not
block the return; the officer checks it and explains or corrects it."""

from __future__ import annotations

import pyarrow.compute as pc

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import Hits, RecordContext, Rule, as_mask, hits_where

NO_SEN_PROVISION = "N"  # the SEN provision code meaning "no special educational need"
ULN_FROM_AGE = 14  # ULNs are for pupils aged 14 and over
PROVIDER_FIELDS = ("urn", "ukprn", "ap_setting_type")

SECONDARY_WITHOUT_PRIMARY = Rule(
    "AP-SEN-05",
    Severity.QUERY,
    "A secondary SEN type is given without a primary one",
    "give the primary need as rank 1, or remove the secondary need",
)
SEN_TYPE_WITHOUT_SEN = Rule(
    "AP-SEN-06",
    Severity.QUERY,
    "A SEN type is given but the SEN provision says the pupil has no SEN",
    "check the SEN provision, or remove the SEN type",
)
ULN_UNDER_14 = Rule(
    "AP-ULN-01",
    Severity.QUERY,
    "A ULN is given for a pupil under 14 on census day",
    "check the date of birth and the ULN; ULNs are for pupils aged 14 and over",
)
NO_PROVIDER = Rule(
    "AP-PLC-03",
    Severity.QUERY,
    "The placement gives no provider: no URN, no UKPRN and no AP setting type",
    "give the provider's URN, else its UKPRN, else the AP setting type",
)

RULES = (SECONDARY_WITHOUT_PRIMARY, SEN_TYPE_WITHOUT_SEN, ULN_UNDER_14, NO_PROVIDER)


def check_sen_types(context: RecordContext) -> list[Hits]:
    primary, secondary = context.present("sen_type_1"), context.present("sen_type_2")
    no_sen = as_mask(pc.equal(context.column("sen_provision"), NO_SEN_PROVISION))
    return [
        *hits_where(SECONDARY_WITHOUT_PRIMARY, "sen_type_2", secondary & ~primary),
        *hits_where(SEN_TYPE_WITHOUT_SEN, "sen_type_1", no_sen & primary),
        *hits_where(SEN_TYPE_WITHOUT_SEN, "sen_type_2", no_sen & secondary & ~primary),
    ]


def check_uln_age(context: RecordContext) -> list[Hits]:
    age, known = context.age_on_census_day
    return hits_where(ULN_UNDER_14, "uln", context.present("uln") & known & (age < ULN_FROM_AGE))


def check_provider(context: RecordContext) -> list[Hits]:
    given = context.present(PROVIDER_FIELDS[0])
    for field in PROVIDER_FIELDS[1:]:
        given = given | context.present(field)
    return hits_where(NO_PROVIDER, "urn", ~given)
