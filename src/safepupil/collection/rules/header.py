"""Rules on the return as a whole: its header, and the LA of every placement."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc

from safepupil.collection.model import Severity
from safepupil.collection.rules.base import Hits, RecordContext, Rule, as_mask, hits_where
from safepupil.domain.local_authorities import la_by_code

AP_COLLECTION = "AP"

NOT_AP = Rule(
    "AP-HDR-01",
    Severity.ERROR,
    "The header's collection is not AP",
    "set <Collection> to AP, or check this is the AP census return",
)
WRONG_REFERENCE_DATE = Rule(
    "AP-HDR-02",
    Severity.ERROR,
    "The header's reference date is not census day for the header's year",
    "give census day (the third Thursday of January) as the reference date",
)
UNKNOWN_RETURN_LA = Rule(
    "AP-HDR-03",
    Severity.ERROR,
    "The header's LA number is not an LA of England on census day",
    "give your LA's 3-digit DfE number as it was on census day",
)
NO_PUPILS = Rule(
    "AP-HDR-04",
    Severity.QUERY,
    "The return holds no pupil records",
    "check no pupil was in alternative provision at any time in the census period",
)
PLACEMENT_LA_DIFFERS = Rule(
    "AP-LA-01",
    Severity.ERROR,
    "The placement LA is missing or is not the LA making the return",
    "give the header's LA number, or move this pupil to the return of the LA "
    "that arranges the placement",
)

RULES = (NOT_AP, WRONG_REFERENCE_DATE, UNKNOWN_RETURN_LA, NO_PUPILS, PLACEMENT_LA_DIFFERS)


def check_header(context: RecordContext) -> Iterator[Hits]:
    header = context.header
    if header.collection != AP_COLLECTION:
        yield Hits(NOT_AP, "collection", None)
    if header.reference_date != context.census_day:
        yield Hits(WRONG_REFERENCE_DATE, "reference_date", None)
    if la_by_code(header.la, context.census_day) is None:
        yield Hits(UNKNOWN_RETURN_LA, "return_la", None)
    if context.rows == 0:
        yield Hits(NO_PUPILS, None, None)


def check_placement_la(context: RecordContext) -> list[Hits]:
    same = as_mask(pc.equal(context.column("placement_la"), context.header.la))
    return hits_where(PLACEMENT_LA_DIFFERS, "placement_la", ~same)
